//! The APNs client against the mock APNs on loopback: one test per provider answer.

mod common;

use std::time::{Duration, SystemTime};

use assent_push_providers::apns::{ApnsKey, ALERT_BODY, ALERT_TITLE, APNS_PAYLOAD_LEN};
use assent_push_providers::mock::{apns_reason, Answer, MOCK_TOPIC};
use assent_push_providers::{
    Clock, Failure, Outcome, ProviderKind, PushProvider, PushTarget, SystemClock,
};
use common::*;
use std::sync::Arc;

const TOK: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

#[tokio::test]
async fn sends_over_h2_with_headers_jwt_and_a_fixed_size_payload() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    let dl = deadline(clock.as_ref(), 120);
    let mut lens = Vec::new();
    for n in 0..5 {
        let id = payload(n);
        assert_eq!(a.client.send(&target(TOK), id, dl).await, Outcome::Sent);
        let r = a.mock.received().pop().unwrap();
        assert!(r.http2, "APNs is HTTP/2 only");
        assert_eq!(r.token, TOK);
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["apns-topic"], MOCK_TOPIC);
        assert_eq!(r.headers["apns-push-type"], "alert");
        assert_eq!(r.headers["apns-priority"], "10");
        assert_eq!(r.headers["apns-expiration"], (T0 + 120).to_string());
        assert_eq!(r.headers["apns-collapse-id"], id.p.to_string());
        assert_eq!(r.jwt_iat, Some(T0));
        // Only the generic alert, the push id and its tag: nothing about the RP, device or login.
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "aps": {"alert": {"title": ALERT_TITLE, "body": ALERT_BODY}, "mutable-content": 1, "sound": "default"},
                "p": id.p.to_string(),
                "r": id.r.to_string(),
            })
        );
        lens.push(r.body.len());
    }
    assert!(lens.iter().all(|l| *l == APNS_PAYLOAD_LEN));
    let m = a.metrics.snapshot(ProviderKind::Apns);
    assert_eq!((m.sent, m.retries, m.latency_count), (5, 0, 5));
    assert!(!format!("{:?}", a.client).contains("PRIVATE"));
}

#[tokio::test]
async fn bad_device_token_is_dead_and_not_retried() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock.script(TOK, [apns_reason(400, "BadDeviceToken")]);
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::DeadToken);
    assert_eq!(a.mock.received_for(TOK).len(), 1);
    assert_eq!(a.metrics.snapshot(ProviderKind::Apns).dead_tokens, 1);
    // A token that cannot be an APNs token is dead without a request.
    assert_eq!(
        a.client
            .send(
                &target("not/hex"),
                payload(2),
                deadline(clock.as_ref(), 120)
            )
            .await,
        Outcome::DeadToken
    );
    assert_eq!(a.mock.received().len(), 1);
}

#[tokio::test]
async fn unregistered_410_is_dead_unless_registered_again_after_its_timestamp() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    let ts_ms = (T0 - 60) * 1000;
    let gone = || {
        Answer::reply(
            410,
            serde_json::json!({"reason": "Unregistered", "timestamp": ts_ms}).to_string(),
        )
    };
    let since = SystemTime::UNIX_EPOCH + Duration::from_millis(ts_ms);
    let dl = deadline(clock.as_ref(), 120);
    let cases = [
        (None, Outcome::DeadToken),
        (Some(since - Duration::from_secs(3600)), Outcome::DeadToken),
        (
            Some(since + Duration::from_secs(30)),
            Outcome::Failed(Failure::StaleUnregistered),
        ),
    ];
    for (registered_at, want) in cases {
        a.mock.script(TOK, [gone()]);
        let t = PushTarget {
            registered_at,
            ..target(TOK)
        };
        assert_eq!(a.client.send(&t, payload(1), dl).await, want);
    }
    assert_eq!(a.mock.received().len(), 3, "never retried");
}

#[tokio::test]
async fn expired_provider_token_gets_a_new_jwt_and_one_retry() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    assert_eq!(
        a.client
            .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
            .await,
        Outcome::Sent
    );
    clock.advance(Duration::from_secs(25 * 60));
    a.mock
        .script(TOK, [apns_reason(403, "ExpiredProviderToken")]);
    let out = a
        .client
        .send(&target(TOK), payload(2), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    let r = a.mock.received();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].jwt_fingerprint, r[1].jwt_fingerprint);
    assert_ne!(r[1].jwt_fingerprint, r[2].jwt_fingerprint, "re-signed");
    assert_eq!(r[2].jwt_iat, Some(T0 + 25 * 60));
    assert_eq!(
        a.metrics.snapshot(ProviderKind::Apns).retries,
        0,
        "not a backoff retry"
    );

    // Only once: a second ExpiredProviderToken fails the push (config alert).
    clock.advance(Duration::from_secs(25 * 60));
    a.mock.script(
        TOK,
        [
            apns_reason(403, "ExpiredProviderToken"),
            apns_reason(403, "ExpiredProviderToken"),
        ],
    );
    let out = a
        .client
        .send(&target(TOK), payload(3), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(a.mock.received().len(), 5);
}

#[tokio::test]
async fn expired_provider_token_on_a_young_jwt_is_not_resigned() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock
        .script(TOK, [apns_reason(403, "ExpiredProviderToken")]);
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(a.mock.received().len(), 1);
}

#[tokio::test]
async fn invalid_provider_token_fails_fast_and_keeps_the_device_token() {
    let clock = manual();
    // A key the mock does not know: the mock's signature check answers InvalidProviderToken.
    let other = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let a = apns_with(clock.clone(), |c| {
        c.key = ApnsKey::from_pkcs8_der(other.as_ref(), "MOCKKEY123", "MOCKTEAM12").unwrap();
    })
    .await;
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(a.mock.received().len(), 1, "no retry");
    assert_eq!(a.mock.received()[0].status, 403);
    let m = a.metrics.snapshot(ProviderKind::Apns);
    assert_eq!(
        (m.dead_tokens, m.failed.get(&Failure::Config).copied()),
        (0, Some(1))
    );
}

#[tokio::test]
async fn wrong_topic_is_a_config_error() {
    let clock = manual();
    let a = apns_with(clock.clone(), |c| c.topic = "com.example.other".into()).await;
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(a.mock.received().len(), 1);
}

#[tokio::test]
async fn jwt_is_reused_then_refreshed_after_50_minutes() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    let send_at = |mins: u64| {
        let clock = clock.clone();
        let client = a.client.clone();
        async move {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + mins * 60);
            clock.advance(now.duration_since(clock.now()).unwrap());
            client
                .send(&target(TOK), payload(mins), now + Duration::from_secs(120))
                .await
        }
    };
    for m in [0, 10, 30, 49, 50, 60, 99, 100] {
        assert_eq!(send_at(m).await, Outcome::Sent, "minute {m}");
    }
    let iats: Vec<u64> = a
        .mock
        .received()
        .iter()
        .map(|r| r.jwt_iat.unwrap())
        .collect();
    let at = |m: u64| T0 + m * 60;
    assert_eq!(
        iats,
        vec![at(0), at(0), at(0), at(0), at(50), at(50), at(50), at(100)]
    );
    let fps: std::collections::BTreeSet<u64> = a
        .mock
        .received()
        .iter()
        .map(|r| r.jwt_fingerprint)
        .collect();
    assert_eq!(fps.len(), 3, "three signatures in 100 minutes");
}

#[tokio::test]
async fn too_many_provider_token_updates_stops_resigning() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    assert_eq!(
        a.client
            .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
            .await,
        Outcome::Sent
    );
    clock.advance(Duration::from_secs(45 * 60));
    a.mock
        .script(TOK, [apns_reason(429, "TooManyProviderTokenUpdates")]);
    let out = a
        .client
        .send(&target(TOK), payload(2), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::TokenUpdatesThrottled));
    assert_eq!(a.mock.received().len(), 2, "not retried");
    // 55 minutes: past the 50-minute refresh, but re-signing is paused; even an
    // ExpiredProviderToken does not make the client sign again.
    clock.advance(Duration::from_secs(10 * 60));
    a.mock
        .script(TOK, [apns_reason(403, "ExpiredProviderToken")]);
    let out = a
        .client
        .send(&target(TOK), payload(3), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(
        a.client
            .send(&target(TOK), payload(4), deadline(clock.as_ref(), 120))
            .await,
        Outcome::Sent
    );
    let r = a.mock.received();
    assert_eq!(r.len(), 4);
    assert!(r.iter().all(|x| x.jwt_fingerprint == r[0].jwt_fingerprint));
    // At an hour the old token is useless to Apple: a new one is signed anyway.
    clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(
        a.client
            .send(&target(TOK), payload(5), deadline(clock.as_ref(), 120))
            .await,
        Outcome::Sent
    );
    assert_eq!(a.mock.received().pop().unwrap().jwt_iat, Some(T0 + 3600));
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock.script(
        TOK,
        [
            apns_reason(500, "InternalServerError"),
            apns_reason(503, "ServiceUnavailable"),
        ],
    );
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= Duration::from_millis(125) && sleeps[0] <= Duration::from_millis(250));
    assert!(sleeps[1] >= Duration::from_millis(250) && sleeps[1] <= Duration::from_millis(500));
    assert_eq!(a.mock.received().len(), 3);
    assert_eq!(a.metrics.snapshot(ProviderKind::Apns).retries, 2);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_within_the_deadline() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock
        .script(TOK, [apns_reason(429, "TooManyRequests").retry_after(5)]);
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);

    // Retry-After beyond the deadline: give up at once, no sleep.
    a.mock
        .script(TOK, [apns_reason(429, "TooManyRequests").retry_after(30)]);
    let out = a
        .client
        .send(&target(TOK), payload(2), deadline(clock.as_ref(), 20))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::RateLimited));
    assert_eq!(clock.sleeps().len(), 1);
    assert_eq!(a.mock.received().len(), 3);
}

#[tokio::test]
async fn connection_reset_is_retried() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock.script(TOK, [Answer::Reset]);
    let out = a
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(a.mock.received().len(), 2);
    assert_eq!(a.mock.received()[0].status, 0);
}

#[tokio::test]
async fn persistent_failures_stop_at_the_deadline() {
    let clock = manual();
    let a = apns(clock.clone()).await;
    a.mock.script(
        TOK,
        std::iter::repeat_with(|| apns_reason(503, "ServiceUnavailable")).take(20),
    );
    let dl = deadline(clock.as_ref(), 1);
    let out = a.client.send(&target(TOK), payload(1), dl).await;
    assert_eq!(out, Outcome::Failed(Failure::Unavailable));
    assert!(clock.now() < dl, "never waits past the deadline");
}

#[tokio::test]
async fn a_slow_device_does_not_delay_another() {
    let a = apns(Arc::new(SystemClock)).await;
    let slow = "ff".repeat(32);
    a.mock.script(
        &slow,
        [Answer::reply(200, "").after(Duration::from_secs(3))],
    );
    let dl = SystemClock.now() + Duration::from_secs(60);
    let c = a.client.clone();
    let slow_task = tokio::spawn(async move { c.send(&target(&slow), payload(1), dl).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    assert_eq!(
        a.client.send(&target(TOK), payload(2), dl).await,
        Outcome::Sent
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!slow_task.is_finished());
    assert_eq!(slow_task.await.unwrap(), Outcome::Sent);
}

#[tokio::test]
async fn p8_files_are_read() {
    let clock = manual();
    let a = apns(clock).await;
    let (kid, team) = a.mock.ids();
    assert!(ApnsKey::from_p8(&a.mock.p8_pem(), kid, team).is_ok());
    assert!(ApnsKey::from_p8(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        kid,
        team
    )
    .is_err());
}
