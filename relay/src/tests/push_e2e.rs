//! Push end to end, for both platforms: the RP library (over HTTPS with an
//! API key) → the relay (served with TLS on loopback) → mock APNs / mock FCM
//! (`assent-push-providers` mocks, HTTP/2 + TLS) → the test takes the push id from what
//! the mock recorded and hands the payload to the phone's core, which fetches
//! the sealed challenge over TLS and answers → the RP's poll says Approved.
//! Also: a dead token (APNs 410 / FCM UNREGISTERED) drops the device's token
//! (the next challenge is poll-only and the RP sees the push failed), the
//! recorded payloads carry no RP name or login context, and the push metrics
//! reach `/metrics`.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::auth::make_api_key;
use crate::config::{Config, ConfigArgs};
use crate::notify::metrics::PushProm;
use crate::notify::providers::Providers;
use crate::server;
use crate::state::AppState;
use crate::store::sqlite::SqliteStore;
use crate::store::Tenant;
use crate::store::TenantStore;
use crate::tls::TlsMode;
use assent_core::https::HttpsTransport;
use assent_core::{
    DeviceInfo, MemoryStorage, PushClient, RelayTransport, SoftwareKeyStore, StaticKey, Vault,
    VaultEnv, VaultKey,
};
use assent_protocol::{ApprovalKind, LoginContext, Platform, RelayUrl, RpId};
use assent_push_providers::mock::{apns_reason, fcm_error, MockApns, MockFcm, MockWebPush};
use assent_rp::relay_http::HttpRelay;
use assent_rp::testing::FastHasher;
use assent_rp::{
    AccountPolicy, ActivationResult, ChallengeStatus, EnrollmentAuthorization, OfferRequest,
    PushPolicy, RegistrationStatus, Rp,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------
// Clock, hasher, context

#[derive(Debug, Clone)]
pub(super) struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub(super) fn wall() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Self(Arc::new(AtomicU64::new(now)))
    }
    pub(super) fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The one clock trait of phone, RP and relay (`assent_protocol::Clock`).
impl crate::clock::Clock for TestClock {
    fn now(&self) -> u64 {
        TestClock::now(self)
    }
}

pub(super) const RP_NAME: &str = "Example Bank";
pub(super) const ACCOUNT: &str = "alice";
pub(super) const BROWSER: &str = "Firefox 126 on Windows";
pub(super) const PLACE: &str = "Bern, CH";

pub(super) fn context(time: u64) -> LoginContext {
    LoginContext::new(
        BROWSER,
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        PLACE,
        time,
    )
}

// ---------------------------------------------------------------------------
// The relay over TLS with push to the mocks

pub(super) struct Relay {
    pub(super) origin: RelayUrl,
    pub(super) ca_pem: String,
    pub(super) state: AppState,
    pub(super) api_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn relay(clock: &TestClock, apns: Option<&MockApns>, fcm: Option<&MockFcm>) -> Relay {
    relay_with(clock, apns, fcm, None).await
}

/// The relay over TLS with push to the mocks given; Web Push endpoints on loopback are
/// allowed the way an operator opens a network (`--webhook-allow-network 127.0.0.0/8`).
pub(super) async fn relay_with(
    clock: &TestClock,
    apns: Option<&MockApns>,
    fcm: Option<&MockFcm>,
    webpush: Option<&MockWebPush>,
) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let origin = format!("https://127.0.0.1:{port}");
    let loopback: Vec<crate::config::Network> = vec!["127.0.0.0/8".parse().unwrap()];
    let config = Config::resolve(&ConfigArgs {
        public_origin: Some(origin.clone()),
        webhook_allow_networks: loopback.clone(),
        ..ConfigArgs::default()
    })
    .unwrap();
    let tls = server::tls_config(&TlsMode::Dev, dir.path())
        .unwrap()
        .unwrap();
    let ca_pem = std::fs::read_to_string(dir.path().join("assent-relay-ca.pem")).unwrap();
    let store = Arc::new(
        SqliteStore::open(
            &format!("sqlite://{}", dir.path().join("relay.db").display()),
            4,
        )
        .await
        .unwrap(),
    );
    store
        .create_tenant(&Tenant {
            id: "tenant-bank".into(),
            name: "bank".into(),
            created_at: 0,
        })
        .await
        .unwrap();
    let made = make_api_key("tenant-bank", 0).unwrap();
    store.create_api_key(&made.record).await.unwrap();

    let state = AppState::new(store, config).with_clock(Arc::new(clock.clone()));
    let metrics: Arc<PushProm> = state.metrics.push.clone();
    let providers = Providers::new(
        apns.map(|m| m.config().unwrap()),
        fcm.map(|m| m.config().unwrap()),
        64,
        metrics,
    )
    .unwrap()
    .with_webpush(webpush.map(|m| {
        let mut c = m.config().unwrap();
        c.addresses = Arc::new(crate::webhook::Destinations::with_networks(&loopback));
        c
    }))
    .unwrap();
    let state = state.with_push(Arc::new(providers));
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve_tls(listener, state.clone(), tls, async {
        let _ = stop_rx.await;
    }));
    Relay {
        origin: RelayUrl::parse(&origin).unwrap(),
        ca_pem,
        state,
        api_key: made.key.to_string(),
        stop: Some(stop),
        _dir: dir,
    }
}

// ---------------------------------------------------------------------------
// RP and phone

pub(super) struct Site {
    pub(super) rp: Rp,
    http: Arc<HttpRelay>,
    pub(super) rng: ChaCha20Rng,
    clock: TestClock,
    _dir: tempfile::TempDir,
}

pub(super) async fn site(relay: &Relay, clock: &TestClock) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = assent_rp::SqliteStore::open(dir.path().join("rp.sqlite"))
        .await
        .unwrap();
    let http = Arc::new(
        HttpRelay::with_extra_ca(
            relay.origin.clone(),
            &relay.api_key,
            relay.ca_pem.as_bytes(),
        )
        .unwrap(),
    );
    let rp = Rp::new(store)
        .with_clock(clock.clone())
        .with_hasher(FastHasher)
        .with_push_policy(PushPolicy::default())
        .with_push(RpId::parse("bank.example").unwrap(), http.clone());
    Site {
        rp,
        http,
        rng: ChaCha20Rng::seed_from_u64(7),
        clock: clock.clone(),
        _dir: dir,
    }
}

pub(super) fn phone(
    relay: &Relay,
    clock: &TestClock,
    platform: Platform,
    token: &str,
) -> PushClient {
    let transport: Arc<dyn RelayTransport> =
        Arc::new(HttpsTransport::with_extra_ca(relay.ca_pem.as_bytes()).unwrap());
    let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
    )
    .with_clock(Arc::new(clock.clone()))
    .with_rng(ChaCha20Rng::seed_from_u64(11));
    PushClient::new(
        Vault::open_or_create(env).unwrap(),
        transport,
        keys,
        DeviceInfo {
            platform,
            name: "Alice's phone".into(),
            push_token: token.to_owned(),
        },
    )
}

/// Offer → phone registers → RP completes → phone activates → policy Number.
pub(super) async fn enroll(site: &mut Site, relay: &Relay, phone: &mut PushClient) {
    let mut request = OfferRequest::new(RP_NAME, &format!("{ACCOUNT}@bank.example"));
    request.min = ApprovalKind::Number;
    let offer = site
        .rp
        .make_offer(
            ACCOUNT,
            &request,
            &relay.origin,
            EnrollmentAuthorization::NoSecondFactorYet,
            &mut site.rng,
        )
        .await
        .unwrap();
    let pending = phone.enroll_uri(&offer.uri).await.unwrap();
    let eid = offer.offer.eid;
    let status = site
        .rp
        .complete_registration(&eid, &mut site.rng)
        .await
        .unwrap();
    assert!(matches!(status, RegistrationStatus::AwaitingActivation(_)));
    let account_id = phone.finish_enrollment(&pending).await.unwrap().unwrap();
    let code = phone.activation_code(&account_id).unwrap().code.to_string();
    assert!(matches!(
        site.rp
            .activate(ACCOUNT, &eid, &code, &mut site.rng)
            .await
            .unwrap(),
        ActivationResult::Activated(_)
    ));
    site.rp
        .set_account_policy(
            ACCOUNT,
            AccountPolicy {
                kind: ApprovalKind::Number,
                uv: false,
            },
        )
        .await
        .unwrap();
}

/// Waits (at most 10 s) until `f` returns something.
pub(super) async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The RP-side view of a challenge's push: the `Assent-Push` header of the
/// answer read (204 while unanswered).
pub(super) async fn push_state(site: &Site, relay: &Relay, challenge_id: &str) -> Option<String> {
    let url = format!(
        "{}/v1/rp/challenges/{challenge_id}/answer",
        relay.origin.as_str()
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(relay.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let _ = &site.http;
    let response = client
        .get(url)
        .bearer_auth(&relay.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    response
        .headers()
        .get("assent-push-providers")
        .map(|v| v.to_str().unwrap().to_owned())
}

pub(super) async fn metrics(relay: &Relay) -> String {
    relay.state.metrics.render().unwrap()
}

pub(super) fn assert_no_context(payload: &str) {
    for secret in [
        RP_NAME,
        "bank.example",
        ACCOUNT,
        BROWSER,
        PLACE,
        "203.0.113.7",
    ] {
        assert!(
            !payload.contains(secret),
            "{secret} in a push payload: {payload}"
        );
    }
}

/// The full loop for one platform; the recorded push gives the phone its id.
async fn approve_through_push(platform: Platform) {
    let clock = TestClock::wall();
    let (apns, fcm) = (
        MockApns::start(Arc::new(assent_push_providers::SystemClock))
            .await
            .unwrap(),
        MockFcm::start(Arc::new(assent_push_providers::SystemClock))
            .await
            .unwrap(),
    );
    let relay = relay(&clock, Some(&apns), Some(&fcm)).await;
    let mut site = site(&relay, &clock).await;
    let token = match platform {
        Platform::Ios => "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
        _ => "fcm-token-0001:APA91bH",
    };
    let mut phone = phone(&relay, &clock, platform, token);
    enroll(&mut site, &relay, &mut phone).await;

    let ctx = context(clock.now());
    let started = site
        .rp
        .start_challenge(ACCOUNT, &ctx, &mut site.rng)
        .await
        .unwrap();

    // What the mock provider received: one push, only the push id.
    let payload = match platform {
        Platform::Ios => {
            let got = eventually("no APNs push", || {
                apns.received_for(token).into_iter().next()
            })
            .await;
            assert_eq!(got.status, 200);
            let body = String::from_utf8(got.body.clone()).unwrap();
            assert_no_context(&body);
            assert_no_context(&format!("{:?}", got.headers));
            assert!(fcm.received().is_empty());
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            // The app hands the core the top-level `p` and `r`.
            serde_json::json!({ "p": value["p"], "r": value["r"] }).to_string()
        }
        _ => {
            let got =
                eventually("no FCM push", || fcm.received_for(token).into_iter().next()).await;
            assert_eq!(got.status, 200);
            assert_no_context(&String::from_utf8_lossy(&got.raw));
            assert!(apns.received().is_empty());
            // The data is the whole payload, push id and routing tag, one size.
            let data = got.body["message"]["data"].to_string();
            assert_eq!(data.len(), assent_protocol::PUSH_PAYLOAD_LEN);
            data
        }
    };

    // The phone handles the push: fetches the sealed challenge and sees it.
    let view = phone.handle_push(payload.as_bytes()).await.unwrap();
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(view.client, BROWSER);
    assert_eq!(view.location, PLACE);
    phone
        .answer(
            &view,
            assent_core::Decision::Approve,
            &started.display,
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::from_secs(5))
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    assert!(site.rp.redeem(&started.handle).await.is_ok());

    let provider = if platform == Platform::Ios {
        "apns"
    } else {
        "fcm"
    };
    let sent = format!("assent_relay_push_sent_total{{provider=\"{provider}\"}} 1");
    let start = Instant::now();
    let mut text = metrics(&relay).await;
    while !text.contains(&sent) {
        assert!(start.elapsed() < Duration::from_secs(10), "{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        text = metrics(&relay).await;
    }
    assert!(
        text.contains("assent_relay_push_duration_seconds"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ios_push_approval_end_to_end() {
    approve_through_push(Platform::Ios).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_push_approval_end_to_end() {
    approve_through_push(Platform::Android).await;
}

/// A dead token marks the device: the RP sees the push failed, the next
/// challenge is poll-only (nothing sent), and the phone still gets it by
/// polling.
async fn dead_token(platform: Platform) {
    let clock = TestClock::wall();
    let apns = MockApns::start(Arc::new(assent_push_providers::SystemClock))
        .await
        .unwrap();
    let fcm = MockFcm::start(Arc::new(assent_push_providers::SystemClock))
        .await
        .unwrap();
    let relay = relay(&clock, Some(&apns), Some(&fcm)).await;
    let mut site = site(&relay, &clock).await;
    let token = match platform {
        Platform::Ios => "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff",
        _ => "fcm-dead-token",
    };
    match platform {
        Platform::Ios => apns.script(token, [apns_reason(410, "Unregistered")]),
        _ => fcm.script(
            token,
            [fcm_error(
                404,
                "NOT_FOUND",
                "UNREGISTERED",
                "Requested entity was not found.",
            )],
        ),
    }
    let mut phone = phone(&relay, &clock, platform, token);
    enroll(&mut site, &relay, &mut phone).await;

    let ctx = context(clock.now());
    let first = site
        .rp
        .start_challenge(ACCOUNT, &ctx, &mut site.rng)
        .await
        .unwrap();
    let challenge_id = first.challenge_id.to_string();
    let mut seen = None;
    let start = Instant::now();
    while seen.is_none() {
        seen = push_state(&site, &relay, &challenge_id).await;
        assert!(start.elapsed() < Duration::from_secs(10), "no push outcome");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        seen.as_deref(),
        Some("dead_token"),
        "the RP sees the push failed"
    );
    let sent = apns.received().len() + fcm.received().len();
    assert_eq!(sent, 1, "a dead token is not retried");

    // The phone polls and answers; the next challenge goes out poll-only.
    let polled = phone.pending().await.unwrap();
    assert_eq!(polled.shown.len(), 1);
    phone
        .answer(
            &polled.shown[0],
            assent_core::Decision::Approve,
            &first.display,
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&first.handle, Duration::from_secs(5))
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    let second = site
        .rp
        .start_challenge(ACCOUNT, &ctx, &mut site.rng)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        apns.received().len() + fcm.received().len(),
        1,
        "no push after the token died"
    );
    assert_eq!(
        push_state(&site, &relay, &second.challenge_id.to_string()).await,
        None
    );
    let polled = phone.pending().await.unwrap();
    assert_eq!(polled.shown.len(), 1);
    assert_eq!(polled.shown[0].challenge_id, second.challenge_id);
    let text = metrics(&relay).await;
    assert!(
        text.contains("assent_relay_push_dead_tokens_total"),
        "{text}"
    );
    let _ = &site.clock;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apns_410_marks_the_token_dead_and_the_device_polls() {
    dead_token(Platform::Ios).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fcm_unregistered_marks_the_token_dead_and_the_device_polls() {
    dead_token(Platform::Android).await;
}
