//! The FCM HTTP v1 client against the mock FCM on loopback.

mod common;

use std::sync::Arc;
use std::time::Duration;

use assent_push_providers::fcm::DATA_LEN;
use assent_push_providers::mock::{fcm_error, Answer};
use assent_push_providers::{Clock, Failure, Outcome, ProviderKind, PushProvider, SystemClock};
use common::*;

const TOK: &str = "fcm-token-1:APA91bExampleExampleExample";

#[tokio::test]
async fn sends_a_data_only_high_priority_message_with_ttl_to_the_deadline() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    for n in 0..3 {
        let id = payload(n);
        let dl = deadline(clock.as_ref(), 120);
        clock.advance(Duration::from_secs(3));
        assert_eq!(f.client.send(&target(TOK), id, dl).await, Outcome::Sent);
        let r = f.mock.received().pop().unwrap();
        assert!(r.http2, "HTTP/2 via ALPN");
        assert_eq!(r.status, 200);
        let m = &r.body["message"];
        assert_eq!(m["token"], TOK);
        assert_eq!(m["android"]["priority"], "high");
        assert_eq!(m["android"]["ttl"], "117s");
        assert_eq!(
            m["data"],
            serde_json::json!({ "p": id.p.to_string(), "r": id.r.to_string() })
        );
        assert_eq!(m["data"].to_string().len(), DATA_LEN);
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["android", "data", "token"],
            "data-only: no notification block"
        );
    }
    assert_eq!(f.mock.token_requests(), 1, "access token cached");
    assert_eq!(f.metrics.snapshot(ProviderKind::Fcm).sent, 3);
    assert!(!format!("{:?}", f.client).contains("PRIVATE"));
}

#[tokio::test]
async fn unregistered_and_invalid_token_are_dead_and_not_retried() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    let dl = deadline(clock.as_ref(), 120);
    f.mock.script(
        TOK,
        [fcm_error(
            404,
            "NOT_FOUND",
            "UNREGISTERED",
            "Requested entity was not found.",
        )],
    );
    assert_eq!(
        f.client.send(&target(TOK), payload(1), dl).await,
        Outcome::DeadToken
    );
    f.mock.script(
        TOK,
        [fcm_error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
        )],
    );
    assert_eq!(
        f.client.send(&target(TOK), payload(2), dl).await,
        Outcome::DeadToken
    );
    // INVALID_ARGUMENT about something else: the push fails, the token is kept.
    f.mock.script(
        TOK,
        [fcm_error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "Invalid value at 'message.android.ttl'",
        )],
    );
    assert_eq!(
        f.client.send(&target(TOK), payload(3), dl).await,
        Outcome::Failed(Failure::Rejected)
    );
    assert_eq!(f.mock.received().len(), 3);
    assert!(clock.sleeps().is_empty());
    assert_eq!(f.metrics.snapshot(ProviderKind::Fcm).dead_tokens, 2);
}

#[tokio::test]
async fn quota_exceeded_honours_retry_after_capped_by_the_deadline() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    let quota = || fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "quota").retry_after(7);
    f.mock.script(TOK, [quota()]);
    let out = f
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);

    f.mock.script(TOK, [quota()]);
    let out = f
        .client
        .send(&target(TOK), payload(2), deadline(clock.as_ref(), 5))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::RateLimited));
    assert_eq!(clock.sleeps().len(), 1, "no wait past the deadline");
    assert_eq!(f.metrics.snapshot(ProviderKind::Fcm).retries, 1);
}

#[tokio::test]
async fn internal_unavailable_and_resets_are_retried() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    f.mock.script(
        TOK,
        [
            fcm_error(500, "INTERNAL", "INTERNAL", "x"),
            fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "x").retry_after(2),
            Answer::Reset,
        ],
    );
    let out = f
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    let s = clock.sleeps();
    assert_eq!(s.len(), 3);
    assert_eq!(s[1], Duration::from_secs(2));
    assert_eq!(f.mock.received().len(), 4);
}

#[tokio::test]
async fn gives_up_after_the_attempts() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    f.mock.script(
        TOK,
        std::iter::repeat_with(|| fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "x")).take(10),
    );
    let out = f
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 3600))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Unavailable));
    assert_eq!(f.mock.received().len(), 5);
}

#[tokio::test]
async fn access_token_is_cached_until_shortly_before_expiry() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    let send = |n| {
        let client = f.client.clone();
        let clock = clock.clone();
        async move {
            client
                .send(&target(TOK), payload(n), deadline(clock.as_ref(), 120))
                .await
        }
    };
    assert_eq!(send(1).await, Outcome::Sent);
    clock.advance(Duration::from_secs(54 * 60));
    assert_eq!(send(2).await, Outcome::Sent);
    assert_eq!(f.mock.token_requests(), 1);
    clock.advance(Duration::from_secs(2 * 60));
    assert_eq!(send(3).await, Outcome::Sent);
    assert_eq!(
        f.mock.token_requests(),
        2,
        "refreshed 5 minutes before expiry"
    );
}

#[tokio::test]
async fn a_revoked_access_token_is_replaced_once() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    let dl = deadline(clock.as_ref(), 120);
    assert_eq!(
        f.client.send(&target(TOK), payload(1), dl).await,
        Outcome::Sent
    );
    f.mock.revoke_access_tokens();
    assert_eq!(
        f.client.send(&target(TOK), payload(2), dl).await,
        Outcome::Sent
    );
    assert_eq!(f.mock.token_requests(), 2);
    let statuses: Vec<u16> = f.mock.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
}

#[tokio::test]
async fn refused_service_account_fails_fast_without_sending() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    f.mock.script_token_endpoint([Answer::reply(
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
    )]);
    let out = f
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert!(f.mock.received().is_empty());
    assert!(clock.sleeps().is_empty());
    assert_eq!(
        f.metrics
            .snapshot(ProviderKind::Fcm)
            .failed
            .get(&Failure::Config),
        Some(&1)
    );
}

#[tokio::test]
async fn the_mock_verifies_the_assertion() {
    let clock = manual();
    // A service account whose client_email the mock does not know: invalid_grant.
    let f = fcm_with(clock.clone(), |_| {}).await;
    let json = f
        .mock
        .service_account_json()
        .replace("relay@", "someone-else@");
    let mut config = f.mock.config().unwrap();
    config.service_account = assent_push_providers::fcm::ServiceAccount::from_json(&json).unwrap();
    let client = assent_push_providers::fcm::FcmClient::with_parts(
        config,
        clock.clone(),
        Box::new(rand_core::OsRng),
        Arc::new(assent_push_providers::metrics::NoMetrics),
    )
    .unwrap();
    let out = client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Config));
    assert_eq!(f.mock.token_requests(), 1);
}

#[tokio::test]
async fn token_endpoint_outage_is_retried() {
    let clock = manual();
    let f = fcm(clock.clone()).await;
    f.mock
        .script_token_endpoint([Answer::reply(503, "{}"), Answer::Reset]);
    let out = f
        .client
        .send(&target(TOK), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(f.mock.token_requests(), 3);
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_slow_device_does_not_delay_another() {
    let f = fcm(Arc::new(SystemClock)).await;
    f.mock.script(
        "slow",
        [Answer::reply(200, "{}").after(Duration::from_secs(3))],
    );
    let dl = SystemClock.now() + Duration::from_secs(60);
    // Warm the access token so both sends start together.
    assert_eq!(
        f.client.send(&target(TOK), payload(0), dl).await,
        Outcome::Sent
    );
    let c = f.client.clone();
    let slow = tokio::spawn(async move { c.send(&target("slow"), payload(1), dl).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    assert_eq!(
        f.client.send(&target(TOK), payload(2), dl).await,
        Outcome::Sent
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!slow.is_finished());
    assert_eq!(slow.await.unwrap(), Outcome::Sent);
}
