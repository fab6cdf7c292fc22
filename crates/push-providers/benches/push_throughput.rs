//! Pushes per second through the APNs and FCM clients to the mock providers on
//! loopback (HTTP/2 over TLS, one connection per client, requests multiplexed).
//! Run: `cargo bench -p assent-push-providers --features mock --bench push_throughput`.
//! `PUSH_BENCH_N` sets the pushes per provider (default 20000), `PUSH_BENCH_C` the
//! pushes in flight (default 256).
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_push_providers::apns::ApnsClient;
use assent_push_providers::fcm::FcmClient;
use assent_push_providers::metrics::NoMetrics;
use assent_push_providers::mock::{MockApns, MockFcm};
use assent_push_providers::{
    Clock, DeviceToken, Outcome, PushId, PushPayload, PushProvider, PushTarget, RouteTag,
    SystemClock,
};
use rand_chacha::rand_core::SeedableRng;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(name: &str, provider: Arc<dyn PushProvider>, token: &str, n: usize, c: usize) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let ids: Vec<PushPayload> = (0..n)
        .map(|_| PushPayload {
            p: PushId::make(&mut rng),
            r: RouteTag::from_bytes([7; 9]),
        })
        .collect();
    let deadline = SystemClock.now() + Duration::from_secs(600);
    let target = PushTarget::new(DeviceToken::new(token));
    // Warm up: connection, JWT / access token.
    assert_eq!(
        provider.send(&target, ids[0], deadline).await,
        Outcome::Sent
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ids = Arc::new(ids);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..c {
        let (provider, target, next, ids) =
            (provider.clone(), target.clone(), next.clone(), ids.clone());
        workers.spawn(async move {
            let mut ok = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                if provider.send(&target, *id, deadline).await == Outcome::Sent {
                    ok += 1;
                }
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(r) = workers.join_next().await {
        ok += r.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: {ok}/{n} pushes sent in {secs:.2} s = {:.0} pushes/s ({c} in flight, client and mock on one machine)",
        n as f64 / secs
    );
}

fn main() {
    let n = env("PUSH_BENCH_N", 20_000);
    let c = env("PUSH_BENCH_C", 256);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let apns = MockApns::start(clock.clone()).await.unwrap();
        let client = ApnsClient::with_parts(
            apns.config().unwrap(),
            clock.clone(),
            Box::new(rand_core::OsRng),
            Arc::new(NoMetrics),
        )
        .unwrap();
        run("apns", Arc::new(client), &"ab".repeat(32), n, c).await;
        let fcm = MockFcm::start(clock.clone()).await.unwrap();
        let client = FcmClient::with_parts(
            fcm.config().unwrap(),
            clock,
            Box::new(rand_core::OsRng),
            Arc::new(NoMetrics),
        )
        .unwrap();
        run("fcm", Arc::new(client), "bench-token", n, c).await;
    });
}
