//! The dispatcher: platform routing, poll-only, one task per push, the
//! concurrency limit, metrics.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_push_providers::metrics::PushCounters;
use assent_push_providers::mock::{apns_reason, fcm_error, Answer};
use assent_push_providers::{
    Clock, Dispatcher, DispatcherConfig, Failure, Outcome, Platform, ProviderKind, Push,
    PushProvider, SystemClock,
};
use common::*;

const IOS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const DROID: &str = "droid-token-1";

async fn both(limit: usize) -> (Apns, Fcm, Dispatcher, Arc<PushCounters>) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let a = apns(clock.clone()).await;
    let f = fcm(clock).await;
    let counters = Arc::new(PushCounters::new());
    let apns_p: Arc<dyn PushProvider> = a.client.clone();
    let fcm_p: Arc<dyn PushProvider> = f.client.clone();
    let d = Dispatcher::new(
        DispatcherConfig {
            max_in_flight_per_provider: limit,
        },
        Some(apns_p),
        Some(fcm_p),
        counters.clone(),
    );
    (a, f, d, counters)
}

fn dl() -> std::time::SystemTime {
    SystemClock.now() + Duration::from_secs(60)
}

#[tokio::test]
async fn poll_only_without_credentials_or_token() {
    let d = Dispatcher::poll_only();
    assert!(d.is_poll_only());
    for p in [Platform::Ios, Platform::Android, Platform::Poll] {
        assert_eq!(
            d.send(p, &target(IOS), payload(1), dl()).await,
            Outcome::PollOnly
        );
    }
    let (_a, f, d, _) = both(8).await;
    assert!(!d.is_poll_only() && d.serves(Platform::Ios) && !d.serves(Platform::Poll));
    assert_eq!(
        d.send(Platform::Android, &target(""), payload(1), dl())
            .await,
        Outcome::PollOnly
    );
    assert_eq!(
        d.send(Platform::Poll, &target(DROID), payload(1), dl())
            .await,
        Outcome::PollOnly
    );
    assert!(f.mock.received().is_empty());
    // Only FCM configured: iOS devices poll.
    let fcm_only = Dispatcher::new(
        DispatcherConfig::default(),
        None,
        Some(f.client.clone() as Arc<dyn PushProvider>),
        Arc::new(PushCounters::new()),
    );
    assert_eq!(
        fcm_only
            .send(Platform::Ios, &target(IOS), payload(1), dl())
            .await,
        Outcome::PollOnly
    );
}

#[tokio::test]
async fn routes_by_platform_each_push_in_its_own_task() {
    let (a, f, d, _) = both(8).await;
    let pushes = vec![
        Push {
            platform: Platform::Ios,
            target: target(IOS),
            payload: payload(1),
            deadline: dl(),
        },
        Push {
            platform: Platform::Android,
            target: target(DROID),
            payload: payload(2),
            deadline: dl(),
        },
        Push {
            platform: Platform::Poll,
            target: target(""),
            payload: payload(3),
            deadline: dl(),
        },
    ];
    let out = d.send_all(pushes).await;
    assert_eq!(out, [Outcome::Sent, Outcome::Sent, Outcome::PollOnly]);
    assert_eq!(a.mock.received_for(IOS).len(), 1);
    assert_eq!(f.mock.received_for(DROID).len(), 1);
}

#[tokio::test]
async fn a_failing_provider_never_delays_the_other() {
    let (a, f, d, _) = both(8).await;
    // APNs is slow and then fails for this device; FCM and another iOS device are fine.
    a.mock.script(
        IOS,
        [apns_reason(500, "InternalServerError").after(Duration::from_secs(3))],
    );
    let other_ios = "ab".repeat(32);
    let started = Instant::now();
    let slow = d.spawn(Push {
        platform: Platform::Ios,
        target: target(IOS),
        payload: payload(1),
        deadline: dl(),
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fast = d
        .send_all(vec![
            Push {
                platform: Platform::Android,
                target: target(DROID),
                payload: payload(2),
                deadline: dl(),
            },
            Push {
                platform: Platform::Ios,
                target: target(&other_ios),
                payload: payload(3),
                deadline: dl(),
            },
        ])
        .await;
    assert_eq!(fast, [Outcome::Sent, Outcome::Sent]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!slow.is_finished());
    assert_eq!(slow.await.unwrap(), Outcome::Sent, "retried after the 500");
    assert_eq!(f.mock.received().len(), 1);
}

#[tokio::test]
async fn the_concurrency_limit_fails_fast_when_saturated() {
    let (a, f, d, counters) = both(2).await;
    let slow1 = "01".repeat(32);
    let slow2 = "02".repeat(32);
    for t in [&slow1, &slow2] {
        a.mock
            .script(t, [Answer::reply(200, "").after(Duration::from_secs(2))]);
    }
    let h1 = d.spawn(Push {
        platform: Platform::Ios,
        target: target(&slow1),
        payload: payload(1),
        deadline: dl(),
    });
    let h2 = d.spawn(Push {
        platform: Platform::Ios,
        target: target(&slow2),
        payload: payload(2),
        deadline: dl(),
    });
    while a.mock.received().len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let out = d.send(Platform::Ios, &target(IOS), payload(3), dl()).await;
    assert_eq!(out, Outcome::Failed(Failure::Saturated));
    assert!(started.elapsed() < Duration::from_millis(200), "fails fast");
    assert_eq!(
        Failure::Saturated.to_string(),
        "push concurrency limit reached for this provider"
    );
    // The other provider has its own limit.
    assert_eq!(
        d.send(Platform::Android, &target(DROID), payload(4), dl())
            .await,
        Outcome::Sent
    );
    assert_eq!(
        (h1.await.unwrap(), h2.await.unwrap()),
        (Outcome::Sent, Outcome::Sent)
    );
    // Permits are released.
    assert_eq!(
        d.send(Platform::Ios, &target(IOS), payload(5), dl()).await,
        Outcome::Sent
    );
    let m = counters.snapshot(ProviderKind::Apns);
    assert_eq!(m.failed.get(&Failure::Saturated), Some(&1));
    assert_eq!(f.mock.received().len(), 1);
}

#[tokio::test]
async fn metrics_per_provider() {
    let (a, f, d, _) = both(8).await;
    a.mock.script(IOS, [apns_reason(410, "Unregistered")]);
    f.mock
        .script(DROID, [fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "x")]);
    let out = d
        .send_all(vec![
            Push {
                platform: Platform::Ios,
                target: target(IOS),
                payload: payload(1),
                deadline: dl(),
            },
            Push {
                platform: Platform::Android,
                target: target(DROID),
                payload: payload(2),
                deadline: dl(),
            },
        ])
        .await;
    assert_eq!(out, [Outcome::DeadToken, Outcome::Sent]);
    let am = a.metrics.snapshot(ProviderKind::Apns);
    assert_eq!((am.sent, am.dead_tokens, am.retries), (0, 1, 0));
    let fm = f.metrics.snapshot(ProviderKind::Fcm);
    assert_eq!(
        (fm.sent, fm.dead_tokens, fm.retries, fm.latency_count),
        (1, 0, 1, 1)
    );
    assert!(fm.latency_sum > Duration::ZERO);
}
