//! Challenge creations per second through the relay with push on, to the mock
//! APNs and FCM (`assent-push` mocks, HTTP/2 + TLS on loopback), against the
//! same load with push off (poll-only). The RP side is an HTTPS (h2) client
//! with `CONCURRENCY` requests in flight; half the devices are iOS, half
//! Android. Everything (relay, mocks, client) shares this machine.
//!
//! `cargo bench -p assent-relay --bench push_through_relay`
#![allow(missing_docs)]
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assent_protocol::PushId;
use assent_push::mock::{MockApns, MockFcm};
use assent_relay::config::{Config, ConfigArgs};
use assent_relay::push::providers::Providers;
use assent_relay::store::DeviceStore;
use assent_relay::tls::TlsMode;
use assent_relay::{server, AppState};
use common::flow::{create_body, make_challenge, rng, ORIGIN};
use common::TestApp;
use tokio::net::TcpListener;

const DEVICES: usize = 16;
const CHALLENGES: usize = 6000;
const CONCURRENCY: usize = 64;

struct Run {
    created_per_sec: f64,
    pushes_per_sec: Option<f64>,
}

async fn run(push: bool) -> Run {
    let config = Config::resolve(&ConfigArgs {
        public_origin: Some(ORIGIN.to_owned()),
        max_pending_per_device: Some(u32::MAX),
        log: Some("warn".into()),
        ..ConfigArgs::default()
    })
    .unwrap();
    let app = TestApp::with_config(config).await;
    let (_, key) = app.tenant("example.com").await;
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let (rp, phone) = app.enroll(&key, 10_000 + i as u64 * 10).await;
        let (platform, token) = if i % 2 == 0 {
            ("ios", format!("{:064x}", i + 1))
        } else {
            ("android", format!("fcm-bench-token-{i}"))
        };
        app.store
            .update_push_token(&phone.device().to_string(), platform, &token, 1, 0)
            .await
            .unwrap();
        devices.push((rp, phone));
    }
    // From here on the relay runs at the wall clock (the push clients do).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    app.clock.set(now);
    let bodies: Vec<String> = (0..CHALLENGES)
        .map(|n| {
            let (_, phone) = &devices[n % DEVICES];
            let challenge = make_challenge(&app, phone, 1_000_000 + n as u64);
            let push_id = PushId::make(&mut rng(5_000_000 + n as u64)).to_string();
            create_body(&challenge, &push_id)
        })
        .collect();

    let clock = Arc::new(assent_push::SystemClock);
    let apns = MockApns::start(clock.clone()).await.unwrap();
    let fcm = MockFcm::start(clock).await.unwrap();
    let mut state: AppState = app.state.clone();
    if push {
        let providers = Providers::new(
            Some(apns.config().unwrap()),
            Some(fcm.config().unwrap()),
            4096,
            state.metrics.push.clone(),
        )
        .unwrap();
        state = state.with_push(Arc::new(providers));
    }
    let dir = tempfile::tempdir().unwrap();
    let tls = server::tls_config(&TlsMode::Dev, dir.path())
        .unwrap()
        .unwrap();
    let ca = std::fs::read(dir.path().join("assent-relay-ca.pem")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/v1/rp/challenges",
        listener.local_addr().unwrap().port()
    );
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve_tls(listener, state, tls, async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();

    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, key, queue) = (client.clone(), url.clone(), key.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    break;
                };
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let created = start.elapsed();
    let pushes_per_sec = if push {
        let deadline = Instant::now() + Duration::from_secs(60);
        while apns.received().len() + fcm.received().len() < CHALLENGES {
            assert!(Instant::now() < deadline, "pushes missing");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let pushed = start.elapsed();
        assert!(apns.received().iter().all(|r| r.status == 200));
        assert!(fcm.received().iter().all(|r| r.status == 200));
        Some(CHALLENGES as f64 / pushed.as_secs_f64())
    } else {
        None
    };
    let _ = stop.send(());
    let _ = serving.await;
    Run {
        created_per_sec: CHALLENGES as f64 / created.as_secs_f64(),
        pushes_per_sec,
    }
}

#[tokio::main]
async fn main() {
    let off = run(false).await;
    println!(
        "push off (poll-only): {:.0} challenge creations/s ({CHALLENGES} over HTTPS h2, {CONCURRENCY} in flight)",
        off.created_per_sec
    );
    let on = run(true).await;
    println!(
        "push on (mock APNs + FCM): {:.0} challenge creations/s; all {CHALLENGES} pushes accepted by the mocks at {:.0} pushes/s end to end",
        on.created_per_sec,
        on.pushes_per_sec.unwrap_or(0.0)
    );
}
