//! The real binary with push turned on by its flags: `--apns-*` and
//! `--fcm-*` point at mock APNs and mock FCM (their CA, `.p8` key and
//! service-account JSON written to files), so `Providers::from_settings`
//! builds real providers from the flags. A challenge for an iOS device
//! reaches mock APNs and one for an Android device reaches mock FCM, each
//! carrying the RP's push id.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assent_protocol::{
    api, Algorithm, ApprovalKind, Challenge, ChallengeParams, Custody, DeviceId, Enrolled,
    EnrollmentAnswer, LoginContext, Offer, OfferParams, Platform, PushId, PushPayload,
    Registration, RelayUrl, RpId, Secret, SoftwareSigner, TotpParams, PUSH_PAYLOAD_LEN,
};
use assent_push_providers::mock::{MockApns, MockFcm, MOCK_TOPIC};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const BIN: &str = env!("CARGO_BIN_EXE_assent-relay");
const IOS_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const ANDROID_TOKEN: &str = "fcm-flags-token-0001:APA91bH";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn admin(dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .current_dir(dir)
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "admin {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

struct Rp {
    http: reqwest::Client,
    base: String,
    origin: RelayUrl,
    key: String,
    rp_id: RpId,
}

impl Rp {
    async fn send(&self, method: reqwest::Method, path: &str, body: String) -> (u16, String) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

/// Enrolls a device on `platform` with `token` through the API (announce,
/// register, read and verify the registration, deliver the sealed answer,
/// the phone fetches it); returns the device id and the RP's channel key.
async fn enroll(
    rp: &Rp,
    platform: Platform,
    token: &str,
    rng: &mut ChaCha20Rng,
) -> (
    DeviceId,
    assent_protocol::ChannelKey,
    assent_protocol::DevicePublicKey,
) {
    let (offer, secrets) = Offer::make(
        OfferParams {
            rp: rp.rp_id.clone(),
            issuer: "Flags".into(),
            account: format!("{token}@flags.example"),
            relay: rp.origin.clone(),
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: now() + 600,
        },
        rng,
    )
    .unwrap();
    let announce =
        serde_json::json!({"eid": offer.eid.to_string(), "expires_at": offer.expires_at});
    let (status, body) = rp
        .send(
            reqwest::Method::POST,
            api::RP_ENROLLMENTS,
            announce.to_string(),
        )
        .await;
    assert_eq!(status, 201, "announce: {body}");

    let signer = SoftwareSigner::make(rng).unwrap();
    let (registration, _phone_k_chan) =
        Registration::make(&offer, &signer, platform, "Flags phone", token, rng).unwrap();
    let response = rp
        .http
        .post(format!("{}{}", rp.base, api::REGISTER))
        .header("content-type", "application/json")
        .body(registration.to_json())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "register");

    let (status, body) = rp
        .send(
            reqwest::Method::GET,
            &api::rp_registration(&offer.eid),
            String::new(),
        )
        .await;
    assert_eq!(status, 200, "read registration: {body}");
    let verified = Registration::from_json(body.as_bytes())
        .unwrap()
        .verify(&offer, &secrets, now())
        .unwrap();
    let mut totp = vec![0u8; 20];
    rng.fill_bytes(&mut totp);
    let enrolled = Enrolled {
        device_id: DeviceId::make(rng),
        totp: TotpParams {
            secret: Secret::from_bytes(totp).unwrap(),
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        },
        min: ApprovalKind::Number,
    };
    let sealed = EnrollmentAnswer::seal(
        &rp.rp_id,
        &offer.eid,
        &verified.device_pub,
        &verified.channel_key,
        &enrolled,
        rng,
    )
    .unwrap();
    let (status, body) = rp
        .send(
            reqwest::Method::POST,
            &api::rp_enrollment_answer(&offer.eid),
            sealed.to_json(),
        )
        .await;
    assert_eq!(status, 201, "deliver enrollment answer: {body}");
    let response = rp
        .http
        .get(format!("{}{}", rp.base, api::enrollment_answer(&offer.eid)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "fetch enrollment answer");
    (
        enrolled.device_id,
        verified.channel_key,
        verified.device_pub,
    )
}

/// Creates a challenge for the device; returns the push id the RP chose.
async fn challenge(
    rp: &Rp,
    device: &(
        DeviceId,
        assent_protocol::ChannelKey,
        assent_protocol::DevicePublicKey,
    ),
    rng: &mut ChaCha20Rng,
) -> PushId {
    let context = LoginContext::new(
        "Firefox 126 on Linux",
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        "Loopback",
        now(),
    );
    let params = ChallengeParams {
        device_id: device.0,
        kind: ApprovalKind::Number,
        uv: false,
        created_at: now(),
        ttl: 120,
    };
    let challenge = Challenge::make(&rp.rp_id, &device.1, &params, &context, rng).unwrap();
    let push_id = PushId::make(rng);
    let create = format!(
        "{{\"challenge\":{},\"push_id\":\"{push_id}\"}}",
        challenge.to_json()
    );
    let (status, body) = rp
        .send(reqwest::Method::POST, api::RP_CHALLENGES, create)
        .await;
    assert_eq!(status, 201, "create challenge: {body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["push"], "queued", "{body}");
    push_id
}

/// Waits (at most 10 s) until `f` returns something.
async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_flags_reach_mock_apns_and_fcm() {
    let apns = MockApns::start(Arc::new(assent_push_providers::SystemClock))
        .await
        .unwrap();
    let fcm = MockFcm::start(Arc::new(assent_push_providers::SystemClock))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let p8 = write("AuthKey.p8", &apns.p8_pem());
    let apns_ca = write("apns-ca.pem", apns.ca_pem());
    let account = write("firebase-sa.json", &fcm.service_account_json());
    let fcm_ca = write("fcm-ca.pem", fcm.ca_pem());
    let (key_id, team_id) = apns.ids();

    admin(dir.path(), &["tenant", "create", "flags.example"]);
    let out = admin(dir.path(), &["key", "create", "flags.example"]);
    let key = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ask_"))
        .unwrap()
        .to_owned();

    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["--plain-http", "--log-format", "json"])
        .args(["--listen", &addr.to_string(), "--metrics-listen", "off"])
        .args(["--public-origin", &format!("https://{addr}")])
        .args(["--apns-key", &p8, "--apns-key-id", key_id])
        .args(["--apns-team-id", team_id, "--apns-topic", MOCK_TOPIC])
        .args(["--apns-environment", "sandbox"])
        .args(["--apns-base-url", &apns.base_url(), "--apns-ca", &apns_ca])
        .args(["--fcm-service-account", &account])
        .args(["--fcm-base-url", &fcm.base_url(), "--fcm-ca", &fcm_ca])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Killed(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    // Start-up log: both providers on, listening.
    let (mut apns_on, mut fcm_on, mut listening) = (false, false, false);
    let mut log = Vec::new();
    while !(apns_on && fcm_on && listening) {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("relay start-up log: {}", log.join("\n")));
        assert!(!line.contains("push is OFF"), "{line}");
        apns_on |= line.contains("APNs push is on");
        fcm_on |= line.contains("FCM push is on");
        listening |= line.contains("assent-relay listening");
        log.push(line);
    }

    let rp = Rp {
        http: reqwest::Client::new(),
        base: format!("http://{addr}"),
        origin: RelayUrl::parse(&format!("https://{addr}")).unwrap(),
        key,
        rp_id: RpId::parse("flags.example").unwrap(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let ios = enroll(&rp, Platform::Ios, IOS_TOKEN, &mut rng).await;
    let android = enroll(&rp, Platform::Android, ANDROID_TOKEN, &mut rng).await;

    // iOS → mock APNs, over HTTP/2 with the verified provider token.
    let push_id = challenge(&rp, &ios, &mut rng).await;
    let got = eventually("no push at mock APNs", || {
        apns.received_for(IOS_TOKEN).into_iter().next()
    })
    .await;
    assert_eq!(got.status, 200);
    assert!(got.http2 && got.jwt_iat.is_some());
    assert_eq!(
        got.headers.get("apns-topic").map(String::as_str),
        Some(MOCK_TOPIC)
    );
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["p"], push_id.to_string());
    // The routing tag for the device's own key: the phone asks this relay only.
    let routed = PushPayload::derive(push_id, &ios.2);
    assert_eq!(body["r"], routed.r.to_string());
    assert!(fcm.received().is_empty(), "an iOS device gets APNs only");

    // Android → mock FCM (OAuth token from the mock's token endpoint).
    let push_id = challenge(&rp, &android, &mut rng).await;
    let got = eventually("no push at mock FCM", || {
        fcm.received_for(ANDROID_TOKEN).into_iter().next()
    })
    .await;
    assert_eq!(got.status, 200);
    let data = &got.body["message"]["data"];
    assert_eq!(data.to_string().len(), PUSH_PAYLOAD_LEN);
    let payload = PushPayload::from_json(data.to_string().as_bytes()).unwrap();
    assert_eq!(payload, PushPayload::derive(push_id, &android.2));
    assert!(payload.is_for(&android.2) && !payload.is_for(&ios.2));
    assert!(fcm.token_requests() >= 1);
    assert_eq!(apns.received().len(), 1, "an Android device gets FCM only");
    drop(child);
}
