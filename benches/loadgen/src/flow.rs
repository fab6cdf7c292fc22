//! The simulated parties: an RP worker (API key, challenge maker, answer
//! verifier) and enrolled phones, all speaking genuine protocol messages.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use assent_protocol::{
    api, verify_answer, Algorithm, Answer, ApprovalKind, Challenge, ChallengeParams, ChannelKey,
    Custody, Decision, DeviceId, DevicePublicKey, Enrolled, EnrollmentAnswer, LoginContext, Offer,
    OfferParams, Outcome, Platform, PushId, Registration, RelayUrl, RequestAuth, RpId, Secret,
    Signer as _, SoftwareSigner, TotpParams,
};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};

use crate::http::Conn;
use crate::Error;

/// Unix seconds now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A fresh random generator for one task, seeded from the OS.
pub fn rng() -> Result<ChaCha20Rng, Error> {
    ChaCha20Rng::try_from_os_rng().map_err(|e| format!("OS random source failed: {e}").into())
}

/// 32 random bytes in hex (a bearer token).
pub fn random_token() -> Result<String, Error> {
    use rand_core::RngCore as _;
    let mut bytes = [0u8; 32];
    rng()?.fill_bytes(&mut bytes);
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// What every lane shares.
#[derive(Debug)]
pub struct Ctx {
    /// The RP id of the simulated login server.
    pub rp_id: RpId,
    /// The relay's public origin (what signed requests cover).
    pub origin: RelayUrl,
    /// `Bearer ask_...`.
    pub bearer: String,
    /// RP long-polls the answer concurrently with the phone (instead of
    /// reading it after the phone answered).
    pub long_poll: bool,
    /// Challenges the relay answered with `"push":"queued"` (a push went
    /// out to a provider).
    pub queued: AtomicU64,
}

/// An enrolled phone, with what its RP keeps about it.
pub struct Phone {
    signer: SoftwareSigner,
    device_id: DeviceId,
    /// The phone's channel key (from its registration).
    phone_k_chan: ChannelKey,
    min: ApprovalKind,
    /// The RP's copy of the channel key (unwrapped from the registration).
    rp_k_chan: ChannelKey,
    /// The device key the RP pinned.
    pinned: DevicePublicKey,
    /// Registered with a push token (iOS or Android), so every challenge
    /// must be answered `"push":"queued"`.
    push: bool,
}

/// One simulated flow's connections: the RP's and the phone's.
pub struct Lane {
    /// The login server's connection.
    pub rp: Conn,
    /// The phone's connection.
    pub phone: Conn,
}

const ENTERED: &str = "42";

async fn rp_send(
    conn: &mut Conn,
    ctx: &Ctx,
    method: Method,
    path: &str,
    body: String,
) -> Result<crate::http::Reply, Error> {
    conn.send(
        method,
        path,
        &[("authorization", ctx.bearer.as_str())],
        Bytes::from(body),
    )
    .await
}

async fn phone_send(
    conn: &mut Conn,
    ctx: &Ctx,
    signer: &SoftwareSigner,
    device_id: &DeviceId,
    method: Method,
    path: &str,
    body: String,
) -> Result<crate::http::Reply, Error> {
    let auth = RequestAuth::sign(
        signer,
        &ctx.origin,
        device_id,
        method.as_str(),
        path,
        now_unix(),
        body.as_bytes(),
    )?;
    let [(h1, v1), (h2, v2), (h3, v3)] = auth.to_headers();
    conn.send(
        method,
        path,
        &[(h1, v1.as_str()), (h2, v2.as_str()), (h3, v3.as_str())],
        Bytes::from(body),
    )
    .await
}

/// The push token phone `n` registers with on `platform` (empty for poll).
fn push_token(platform: Platform, n: usize) -> String {
    match platform {
        Platform::Ios => format!("{n:064x}"),
        Platform::Android => format!("loadgen-fcm-token-{n}:APA91b"),
        _ => String::new(),
    }
}

/// Enrolls one phone through the real API: announce, register (on
/// `platform`, with a push token unless poll), read the registration, verify
/// it, deliver the sealed answer, open it on the phone.
pub async fn enroll(
    lane: &mut Lane,
    ctx: &Ctx,
    n: usize,
    platform: Platform,
    rng: &mut ChaCha20Rng,
) -> Result<Phone, Error> {
    let now = now_unix();
    let (offer, secrets) = Offer::make(
        OfferParams {
            rp: ctx.rp_id.clone(),
            issuer: "Loadgen".into(),
            account: format!("user{n}@loadgen.example"),
            relay: ctx.origin.clone(),
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: now + 600,
        },
        rng,
    )?;
    let announce =
        serde_json::json!({"eid": offer.eid.to_string(), "expires_at": offer.expires_at});
    rp_send(
        &mut lane.rp,
        ctx,
        Method::POST,
        api::RP_ENROLLMENTS,
        announce.to_string(),
    )
    .await?
    .expect_status(StatusCode::CREATED, "announce")?;

    let signer = SoftwareSigner::make(rng)?;
    let (registration, phone_k_chan) = Registration::make(
        &offer,
        &signer,
        platform,
        &format!("Load phone {n}"),
        &push_token(platform, n),
        rng,
    )?;
    lane.phone
        .send(
            Method::POST,
            api::REGISTER,
            &[],
            Bytes::from(registration.to_json()),
        )
        .await?
        .expect_status(StatusCode::CREATED, "register")?;

    let body = rp_send(
        &mut lane.rp,
        ctx,
        Method::GET,
        &api::rp_registration(&offer.eid),
        String::new(),
    )
    .await?
    .expect_status(StatusCode::OK, "read registration")?;
    let verified = Registration::from_json(&body)?.verify(&offer, &secrets, now_unix())?;
    let mut totp_secret = vec![0u8; 20];
    rng.fill_bytes(&mut totp_secret);
    let enrolled = Enrolled {
        device_id: DeviceId::make(rng),
        totp: TotpParams {
            secret: Secret::from_bytes(totp_secret)?,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        },
        min: ApprovalKind::Number,
    };
    let sealed = EnrollmentAnswer::seal(
        &ctx.rp_id,
        &offer.eid,
        &verified.device_pub,
        &verified.channel_key,
        &enrolled,
        rng,
    )?;
    rp_send(
        &mut lane.rp,
        ctx,
        Method::POST,
        &api::rp_enrollment_answer(&offer.eid),
        sealed.to_json(),
    )
    .await?
    .expect_status(StatusCode::CREATED, "deliver enrollment answer")?;

    let body = lane
        .phone
        .send(
            Method::GET,
            &api::enrollment_answer(&offer.eid),
            &[],
            Bytes::new(),
        )
        .await?
        .expect_status(StatusCode::OK, "fetch enrollment answer")?;
    let opened = EnrollmentAnswer::from_json(&body)?.open(
        &ctx.rp_id,
        &offer.eid,
        &signer.public_key(),
        &phone_k_chan,
    )?;
    Ok(Phone {
        device_id: opened.device_id,
        min: opened.min.max(offer.min),
        pinned: verified.device_pub,
        rp_k_chan: verified.channel_key,
        phone_k_chan,
        signer,
        push: platform != Platform::Poll,
    })
}

/// The phone's half: fetch the challenge by push id, open it, sign and send
/// the answer.
async fn phone_side(
    conn: &mut Conn,
    ctx: &Ctx,
    phone: &Phone,
    push_id: &PushId,
    made: &Challenge,
) -> Result<(), Error> {
    let body = phone_send(
        conn,
        ctx,
        &phone.signer,
        &phone.device_id,
        Method::GET,
        &api::challenge(push_id),
        String::new(),
    )
    .await?
    .expect_status(StatusCode::OK, "phone fetch")?;
    let challenge = Challenge::from_json(&body)?;
    let opened = challenge.open(
        &ctx.rp_id,
        &phone.device_id,
        &phone.phone_k_chan,
        phone.min,
        now_unix(),
    )?;
    if &challenge != made || opened.context.client() != CLIENT {
        return Err("the phone received another challenge than the RP made".into());
    }
    let answer = Answer::make(
        &phone.signer,
        &ctx.rp_id,
        &challenge,
        Decision::Approve,
        ENTERED,
        true,
    )?;
    phone_send(
        conn,
        ctx,
        &phone.signer,
        &phone.device_id,
        Method::POST,
        api::ANSWER,
        answer.to_json(),
    )
    .await?
    .expect_status(StatusCode::OK, "phone answer")?;
    Ok(())
}

const CLIENT: &str = "Firefox 126 on Linux (assent-loadgen)";

/// One complete approval: the RP creates a challenge, the phone fetches,
/// opens and answers it, the RP reads the signed answer and verifies it.
pub async fn approval(
    lane: &mut Lane,
    ctx: &Ctx,
    phone: &Phone,
    rng: &mut ChaCha20Rng,
) -> Result<(), Error> {
    let now = now_unix();
    let context = LoginContext::new(
        CLIENT,
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        "Loopback",
        now,
    );
    let params = ChallengeParams {
        device_id: phone.device_id,
        kind: ApprovalKind::Number,
        uv: true,
        created_at: now,
        ttl: 120,
    };
    let challenge = Challenge::make(&ctx.rp_id, &phone.rp_k_chan, &params, &context, rng)?;
    let push_id = PushId::make(rng);
    let create = format!(
        "{{\"challenge\":{},\"push_id\":\"{push_id}\"}}",
        challenge.to_json()
    );
    let created = rp_send(&mut lane.rp, ctx, Method::POST, api::RP_CHALLENGES, create)
        .await?
        .expect_status(StatusCode::CREATED, "create challenge")?;
    if phone.push {
        let reply: serde_json::Value = serde_json::from_slice(&created)?;
        if reply["push"] != "queued" {
            return Err(format!("a push phone's challenge was not pushed: {reply}").into());
        }
        ctx.queued.fetch_add(1, Ordering::Relaxed);
    }

    let answer_path = api::rp_challenge_answer(&challenge.challenge_id);
    let body = if ctx.long_poll {
        let path = format!("{answer_path}?wait=10");
        let (read, answered) = tokio::join!(
            rp_send(&mut lane.rp, ctx, Method::GET, &path, String::new()),
            phone_side(&mut lane.phone, ctx, phone, &push_id, &challenge),
        );
        answered?;
        read?
    } else {
        phone_side(&mut lane.phone, ctx, phone, &push_id, &challenge).await?;
        rp_send(&mut lane.rp, ctx, Method::GET, &answer_path, String::new()).await?
    }
    .expect_status(StatusCode::OK, "read answer")?;
    let answer = Answer::from_json(&body)?;
    let verified = verify_answer(&phone.pinned, &ctx.rp_id, &challenge, &answer, now_unix())?;
    match verified.outcome(ENTERED) {
        Outcome::Approved => Ok(()),
        other => Err(format!("verified answer is {other:?}, not Approved").into()),
    }
}
