//! An RP and a phone speaking the real protocol through the relay app.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use assent_protocol::{
    Algorithm, Answer, ApprovalKind, Challenge, ChallengeParams, ChannelKey, Custody, Decision,
    DeviceId, Enrolled, EnrollmentAnswer, LoginContext, Offer, OfferParams, OfferSecrets, Platform,
    PushId, Registration, RelayUrl, RequestAuth, RpId, Secret, Signer, SoftwareSigner, TotpParams,
};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::{Reply, TestApp, T0};

pub const ORIGIN: &str = "https://127.0.0.1:8080";

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn rp_id() -> RpId {
    RpId::parse("example.com").unwrap()
}

/// The RP side of one enrollment.
pub struct Rp {
    pub key: String,
    pub offer: Offer,
    pub secrets: OfferSecrets,
}

/// The phone side of one enrollment.
pub struct Phone {
    pub signer: SoftwareSigner,
    pub registration: Registration,
    pub k_chan: ChannelKey,
    pub device_id: Option<DeviceId>,
}

pub fn make_offer(seed: u64, key: &str) -> Rp {
    let (offer, secrets) = Offer::make(
        OfferParams {
            rp: rp_id(),
            issuer: "Example".into(),
            account: "alice".into(),
            relay: RelayUrl::parse(ORIGIN).unwrap(),
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: T0 + 600,
        },
        &mut rng(seed),
    )
    .unwrap();
    Rp {
        key: key.to_owned(),
        offer,
        secrets,
    }
}

pub fn make_phone(seed: u64, offer: &Offer) -> Phone {
    let mut rng = rng(seed);
    let signer = SoftwareSigner::make(&mut rng).unwrap();
    let (registration, k_chan) = Registration::make(
        offer,
        &signer,
        Platform::Poll,
        "Alice's phone",
        "",
        &mut rng,
    )
    .unwrap();
    Phone {
        signer,
        registration,
        k_chan,
        device_id: None,
    }
}

/// A request signed by `signer` naming `device` (16 id bytes).
pub fn signed(
    signer: &impl Signer,
    device: &DeviceId,
    method: Method,
    path: &str,
    body: &str,
    timestamp: u64,
) -> Request<Body> {
    let auth = RequestAuth::sign(
        signer,
        &RelayUrl::parse(ORIGIN).unwrap(),
        device,
        method.as_str(),
        path,
        timestamp,
        body.as_bytes(),
    )
    .unwrap();
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in auth.to_headers() {
        builder = builder.header(name, value);
    }
    if !body.is_empty() {
        builder = builder.header("content-type", "application/json");
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

impl Phone {
    pub fn device(&self) -> DeviceId {
        self.device_id.unwrap()
    }

    pub fn eid_as_device(&self) -> DeviceId {
        DeviceId::from_bytes(*self.registration.eid.as_bytes())
    }

    pub async fn send(&self, app: &TestApp, method: Method, path: &str, body: &str) -> Reply {
        let request = signed(
            &self.signer,
            &self.device(),
            method,
            path,
            body,
            app.clock_now(),
        );
        app.send(request).await
    }

    pub fn answer(&self, challenge: &Challenge, decision: Decision, entered: &str) -> Answer {
        Answer::make(&self.signer, &rp_id(), challenge, decision, entered, false).unwrap()
    }
}

impl TestApp {
    pub fn clock_now(&self) -> u64 {
        use crate::clock::Clock;
        self.clock.now()
    }

    /// Runs announce → register → deliver → fetch, returning both sides.
    pub async fn enroll(&self, key: &str, seed: u64) -> (Rp, Phone) {
        let rp = make_offer(seed, key);
        let eid = rp.offer.eid.to_string();
        let reply = self
            .post_json(
                "/v1/rp/enrollments",
                Some(key),
                &format!(r#"{{"eid":"{eid}","expires_at":{}}}"#, T0 + 600),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        let mut phone = make_phone(seed + 1000, &rp.offer);
        let reply = self
            .post_json("/v1/register", None, &phone.registration.to_json())
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());

        let verified = phone
            .registration
            .verify(&rp.offer, &rp.secrets, self.clock_now())
            .unwrap();
        let device_id = DeviceId::make(&mut rng(seed + 2000));
        let enrolled = Enrolled {
            device_id,
            totp: TotpParams {
                secret: Secret::from_bytes(vec![7; 20]).unwrap(),
                algorithm: Algorithm::Sha1,
                digits: 6,
                period: 30,
            },
            min: ApprovalKind::Number,
        };
        let answer = EnrollmentAnswer::seal(
            &rp_id(),
            &rp.offer.eid,
            &verified.device_pub,
            &verified.channel_key,
            &enrolled,
            &mut rng(seed + 3000),
        )
        .unwrap();
        let reply = self
            .post_json(
                &format!("/v1/rp/enrollments/{eid}/answer"),
                Some(key),
                &answer.to_json(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        phone.device_id = Some(device_id);
        (rp, phone)
    }

    /// The RP asks for a new challenge for the phone's device; the reply,
    /// whatever it is.
    pub async fn try_challenge(&self, key: &str, phone: &Phone, seed: u64) -> Reply {
        let challenge = make_challenge(self, phone, seed);
        let push_id = PushId::make(&mut rng(seed)).to_string();
        self.post_json(
            "/v1/rp/challenges",
            Some(key),
            &create_body(&challenge, &push_id),
        )
        .await
    }

    /// The RP creates a challenge for the phone's device; returns it and its push id.
    pub async fn challenge(&self, rp: &Rp, phone: &Phone, seed: u64) -> (Challenge, String) {
        let challenge = make_challenge(self, phone, seed);
        let push_id = PushId::make(&mut rng(seed + 1)).to_string();
        let reply = self
            .post_json(
                "/v1/rp/challenges",
                Some(&rp.key),
                &create_body(&challenge, &push_id),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        assert_eq!(reply.json()["push_id"], push_id.as_str());
        (challenge, push_id)
    }
}

/// `{"challenge": ..., "push_id": ...}`.
pub fn create_body(challenge: &Challenge, push_id: &str) -> String {
    format!(
        r#"{{"challenge":{},"push_id":"{push_id}"}}"#,
        challenge.to_json()
    )
}

/// A challenge for the phone's device, made by the RP now.
pub fn make_challenge(app: &TestApp, phone: &Phone, seed: u64) -> Challenge {
    Challenge::make(
        &rp_id(),
        &phone.k_chan,
        &ChallengeParams {
            device_id: phone.device(),
            kind: ApprovalKind::Number,
            uv: false,
            created_at: app.clock_now(),
            ttl: 120,
        },
        &LoginContext::new(
            "Firefox on Linux",
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            "Bern, CH",
            app.clock_now(),
        ),
        &mut rng(seed),
    )
    .unwrap()
}
