//! Writes the seed corpora in `fuzz/corpus/` (run from `fuzz/seeds`:
//! `cargo run`). Every message is made by the real protocol API with fixed
//! "randomness" (`FixedRng`), so the seeds are valid inputs that the targets'
//! round-trip checks see accepted, and rerunning gives the same ids and keys
//! (ECDSA signatures use fresh randomness inside ring, so those bytes vary).
//! The device key and ids match what `relay_http` enrolls at start-up.

use std::error::Error;
use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use assent_protocol::api::{ErrorBody, ErrorCode, PendingList};
use assent_protocol::testing::FixedRng;
use assent_protocol::{
    Algorithm, Answer, ApprovalKind, Challenge, ChallengeParams, ChannelKey, Custody, Decision,
    DeviceId, Enrolled, EnrollmentAnswer, LoginContext, Offer, OfferParams, Platform, PushId,
    PushPayload, PushTokenUpdate, Registration, RelayUrl, RequestAuth, RpId, Secret,
    SoftwareSigner, TotpParams, UnenrollConfirmation, UnenrollRequest,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const NOW: u64 = 1_700_000_000;
const ORIGIN: &str = "https://relay.example.com";

fn rng(seed: u8) -> FixedRng {
    FixedRng::new(vec![seed; 256])
}

struct Corpus {
    root: PathBuf,
}

impl Corpus {
    fn put(&self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)?;
        Ok(())
    }

    /// A seed whose first byte selects the parser (`messages`, `scalars`).
    fn tagged(&self, target: &str, tag: u8, name: &str, text: &str) -> Result<()> {
        let mut bytes = vec![tag];
        bytes.extend_from_slice(text.as_bytes());
        self.put(target, &format!("{tag:02}-{name}"), &bytes)
    }
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let corpus = Corpus { root };

    // The same offer, device and enrollment as relay_http's start-up.
    let rp = RpId::parse("example.com")?;
    let relay = RelayUrl::parse(ORIGIN)?;
    let (offer, secrets) = Offer::make(
        OfferParams {
            rp: rp.clone(),
            issuer: "Example".into(),
            account: "alice@example.com".into(),
            relay: relay.clone(),
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: NOW + 600,
        },
        &mut rng(1),
    )?;
    let signer = SoftwareSigner::make(&mut rng(2))?;
    let (registration, _) =
        Registration::make(&offer, &signer, Platform::Poll, "phone", "", &mut rng(3))?;
    let (ios_registration, _) = Registration::make(
        &offer,
        &signer,
        Platform::Ios,
        "Alice's iPhone",
        "a1b2c3d4e5f6",
        &mut rng(3),
    )?;
    let verified = registration.verify(&offer, &secrets, NOW)?;
    let k_chan: ChannelKey = verified.channel_key.clone();
    let device = DeviceId::from_bytes([4; 16]);
    let enrolled = Enrolled {
        device_id: device,
        totp: TotpParams {
            secret: Secret::from_bytes(vec![7; 20])?,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        },
        min: ApprovalKind::Number,
    };
    let enrollment_answer = EnrollmentAnswer::seal(
        &rp,
        &offer.eid,
        &verified.device_pub,
        &k_chan,
        &enrolled,
        &mut rng(5),
    )?;
    let challenge = Challenge::make(
        &rp,
        &k_chan,
        &ChallengeParams {
            device_id: device,
            kind: ApprovalKind::Number,
            uv: false,
            created_at: NOW,
            ttl: 120,
        },
        &LoginContext::new(
            "Firefox on Linux",
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            "Bern, CH",
            NOW,
        ),
        &mut rng(6),
    )?;
    let answer = Answer::make(&signer, &rp, &challenge, Decision::Approve, "42", false)?;
    let unenroll = UnenrollRequest::make(&signer, &rp, &device, NOW)?;
    let confirmation = UnenrollConfirmation::seal(&rp, &k_chan, &unenroll, NOW + 1, &mut rng(7))?;
    let push_id = PushId::from_bytes([8; 16]);
    let auth = RequestAuth::sign(&signer, &relay, &device, "POST", "/v1/answer", NOW, b"{}")?;
    let activation = format!(
        r#"{{"eid":"{}","device_id":"{device}","code":"123456"}}"#,
        offer.eid
    );

    // offer: the URI and JSON forms.
    corpus.put("offer", "uri", offer.to_uri().as_bytes())?;
    corpus.put("offer", "json", offer.to_json().as_bytes())?;
    let mut uv = offer.clone();
    uv.uv = true;
    uv.custody = Custody::Relay;
    uv.min = ApprovalKind::Code;
    corpus.put("offer", "uri-uv-relay-code", uv.to_uri().as_bytes())?;

    // messages: selector byte + JSON.
    let m = "messages";
    corpus.tagged(m, 0, "registration-poll", &registration.to_json())?;
    corpus.tagged(m, 0, "registration-ios", &ios_registration.to_json())?;
    corpus.tagged(m, 1, "unenroll-request", &unenroll.to_json())?;
    corpus.tagged(m, 2, "unenroll-confirmation", &confirmation.to_json())?;
    corpus.tagged(m, 3, "enrollment-answer", &enrollment_answer.to_json())?;
    corpus.tagged(m, 4, "activation", &activation)?;
    corpus.tagged(m, 5, "challenge", &challenge.to_json())?;
    corpus.tagged(m, 6, "answer", &answer.to_json())?;
    corpus.tagged(m, 7, "push-payload", &PushPayload::derive(push_id, &verified.device_pub).to_json())?;
    let update = PushTokenUpdate {
        platform: Platform::Android,
        push_token: "fcm-token-1".into(),
        seq: 7,
    };
    corpus.tagged(m, 8, "push-token-update", &update.to_json()?)?;
    let list = format!(
        r#"{{"requests":[{},{{"device_id":"x"}}]}}"#,
        unenroll.to_json()
    );
    corpus.tagged(m, 9, "unenroll-list", &list)?;
    corpus.tagged(m, 10, "request-auth", &serde_json::to_string(&auth)?)?;
    let pending = PendingList {
        challenges: vec![challenge.clone()],
    };
    corpus.tagged(m, 11, "pending-list", &serde_json::to_string(&pending)?)?;
    let error = ErrorBody::new(ErrorCode::InvalidBody, "invalid body: missing field `eid`");
    corpus.tagged(m, 12, "error-body", &serde_json::to_string(&error)?)?;

    // scalars: selector byte + text.
    let s = "scalars";
    corpus.tagged(s, 0, "eid", &offer.eid.to_string())?;
    corpus.tagged(s, 1, "device-id", &device.to_string())?;
    corpus.tagged(s, 2, "challenge-id", &challenge.challenge_id.to_string())?;
    corpus.tagged(s, 3, "push-id", &push_id.to_string())?;
    corpus.tagged(s, 4, "device-pub", &verified.device_pub.to_string())?;
    corpus.tagged(s, 5, "rpk", &offer.rpk.to_string())?;
    corpus.tagged(s, 6, "es", &offer.es.to_base64url())?;
    corpus.tagged(s, 7, "rp-id", "login.example.co.uk")?;
    corpus.tagged(s, 8, "relay-url", "https://[2001:db8::1]:8443/assent/v1")?;
    corpus.tagged(s, 9, "kind", "number")?;
    corpus.tagged(
        s,
        10,
        "base64url",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    )?;
    let [(_, d), (_, t), (_, sig)] = auth.to_headers();
    corpus.tagged(s, 11, "headers", &format!("{d}\n{t}\n{sig}"))?;

    relay_http(&corpus, &challenge, &answer, &unenroll, &update, push_id)?;
    Ok(())
}

/// HTTP-like requests for `relay_http` (placeholders as that target's docs say).
fn relay_http(
    corpus: &Corpus,
    challenge: &Challenge,
    answer: &Answer,
    unenroll: &UnenrollRequest,
    update: &PushTokenUpdate,
    push_id: PushId,
) -> Result<()> {
    let r = "relay_http";
    let json = "content-type: application/json";
    let bearer = "authorization: Bearer {KEY}";
    let signed = "assent-device: {DEVICE}\nassent-timestamp: {NOW}\nassent-signature: {SIG}";
    let create = format!(
        r#"{{"challenge":{},"push_id":"{push_id}"}}"#,
        challenge.to_json()
    );
    let seeds: Vec<(&str, String)> = vec![
        ("healthz", "GET /healthz\n".into()),
        ("tenant", format!("GET /v1/rp/tenant\n{bearer}\n")),
        (
            "announce",
            format!(
                "POST /v1/rp/enrollments\n{bearer}\n{json}\n\n\
                 {{\"eid\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"expires_at\":1700000300}}"
            ),
        ),
        (
            "registration",
            format!("GET /v1/rp/enrollments/{{EID}}/registration\n{bearer}\n"),
        ),
        (
            "registrations",
            format!("GET /v1/rp/registrations?limit=5\n{bearer}\n"),
        ),
        (
            "create-challenge",
            format!("POST /v1/rp/challenges\n{bearer}\n{json}\n\n{create}"),
        ),
        (
            "poll",
            format!("GET /v1/challenges?wait=0\n{signed}\n"),
        ),
        (
            "fetch",
            format!("GET /v1/challenges/{push_id}\n{signed}\n"),
        ),
        (
            "answer",
            format!("POST /v1/answer\n{signed}\n{json}\n\n{}", answer.to_json()),
        ),
        (
            "push-token",
            format!("POST /v1/push-token\n{signed}\n{json}\n\n{}", update.to_json()?),
        ),
        (
            "unenroll",
            format!("POST /v1/unenroll\n{signed}\n{json}\n\n{}", unenroll.to_json()),
        ),
        (
            "unenroll-requests",
            format!("GET /v1/rp/unenroll-requests\n{bearer}\n"),
        ),
        (
            "webhook",
            format!(
                "PUT /v1/rp/webhook\n{bearer}\n{json}\n\n{{\"url\":\"https://rp.example.com/hook\"}}"
            ),
        ),
        (
            "remove-device",
            format!("DELETE /v1/rp/devices/{{DEVICE}}\n{bearer}\n"),
        ),
        (
            "managed-offer",
            format!(
                "POST /v1/managed/enrollments\n{bearer}\n{json}\n\n\
                 {{\"account\":\"alice\",\"issuer\":\"Example\"}}"
            ),
        ),
    ];
    for (name, text) in seeds {
        corpus.put(r, name, text.as_bytes())?;
    }
    Ok(())
}
