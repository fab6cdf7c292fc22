//! Webhooks against a local HTTP receiver: signatures verify, 5xx is retried
//! with backoff, delivery gives up after N attempts, bodies carry ids only,
//! and the request that caused an event never waits for the delivery.
//! Retries come due on the relay's (manual) clock, which the retry tests move.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use super::common;
use super::features_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::webhook::sign::verify;
use assent_protocol::Decision;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use axum::Router;
use common::{request, TestApp, T0};
use features_support::{fast_retries, featured};
use serde_json::Value;

#[derive(Debug, Clone)]
struct Received {
    signature: String,
    id: String,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    log: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; the last one repeats.
    statuses: Arc<Vec<u16>>,
    hits: Arc<AtomicUsize>,
    delay: Duration,
}

async fn hook(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let n = r.hits.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    r.log.lock().unwrap().push(Received {
        signature: header("assent-webhook-signature"),
        id: header("assent-webhook-id"),
        body: body.to_vec(),
    });
    tokio::time::sleep(r.delay).await;
    let status = r
        .statuses
        .get(n)
        .or(r.statuses.last())
        .copied()
        .unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// A receiver on a loopback port; returns its URL.
async fn receiver(statuses: Vec<u16>, delay: Duration) -> (String, Receiver) {
    let r = Receiver {
        log: Arc::default(),
        statuses: Arc::new(statuses),
        hits: Arc::default(),
        delay,
    };
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), r)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// [`until`], moving the relay's clock a second every 50 ms so that retries
/// come due (well inside an attempt's lease of 30 s, so no attempt in flight
/// loses its claim).
async fn until_advancing(app: &TestApp, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        app.clock.advance(1);
    }
}

/// Events waiting in the app's outbox.
async fn outbox_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_outbox")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

/// Waits (at most 10 s) until the outbox is empty.
async fn until_outbox_empty(app: &TestApp) {
    let start = Instant::now();
    while outbox_rows(app).await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "outbox not empty"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn set_webhook(app: &TestApp, key: &str, url: &str) -> String {
    let reply = app
        .send(request(
            Method::PUT,
            "/v1/rp/webhook",
            Some(key),
            Some(&format!(r#"{{"url":"{url}"}}"#)),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["url"], url);
    reply.json()["secret"].as_str().unwrap().to_owned()
}

fn event(r: &Received) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn events_are_signed_and_carry_ids_only() {
    let (app, _features) = featured(fast_retries(3)).await;
    let (_, key) = app.tenant("rp.example").await;
    let (url, r) = receiver(vec![200], Duration::ZERO).await;
    let secret = set_webhook(&app, &key, &url).await;
    // Reading it back never shows the secret.
    let reply = app.get("/v1/rp/webhook", Some(&key)).await;
    assert_eq!(reply.json(), serde_json::json!({ "url": url }));

    // registration.received, then answer.received (end-to-end tenant).
    let (rp, phone) = app.enroll(&key, 1).await;
    until("registration event", || r.hits.load(Ordering::SeqCst) >= 1).await;
    let (challenge, _) = app.challenge(&rp, &phone, 7).await;
    let answer = phone.answer(&challenge, Decision::Approve, "42");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    until("answer event", || r.hits.load(Ordering::SeqCst) >= 2).await;

    let log = r.log.lock().unwrap().clone();
    let kinds: Vec<Value> = log.iter().map(|e| event(e)["type"].clone()).collect();
    assert_eq!(kinds, ["registration.received", "answer.received"]);
    let registration = event(&log[0]);
    assert_eq!(registration["data"]["eid"], rp.offer.eid.to_string());
    let answered = event(&log[1]);
    assert_eq!(
        answered["data"],
        serde_json::json!({ "challenge_id": challenge.challenge_id.to_string() })
    );
    for e in &log {
        assert!(verify(&secret, &e.signature, &e.body, T0, 300), "{e:?}");
        assert!(!verify("whsec_other", &e.signature, &e.body, T0, 300));
        let value = event(e);
        assert_eq!(value["id"], e.id.as_str());
        assert_eq!(value["created_at"], T0);
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["created_at", "data", "id", "type"]);
        // No secret, key, answer, decision or login context.
        let text = String::from_utf8(e.body.clone()).unwrap();
        for secret_part in [
            secret.as_str(),
            key.as_str(),
            "Firefox",
            "203.0.113.7",
            "Bern",
            "decision",
            "entered",
            "signature",
            "sealed",
        ] {
            assert!(!text.contains(secret_part), "{secret_part} in {text}");
        }
    }

    // Removing the webhook stops events.
    let reply = app
        .send(request(Method::DELETE, "/v1/rp/webhook", Some(&key), None))
        .await;
    assert_eq!(reply.json(), serde_json::json!({ "url": null }));
    app.enroll(&key, 50).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let (app, features) = featured(fast_retries(5)).await;
    let (_, key) = app.tenant("rp.example").await;
    let (url, r) = receiver(vec![500, 503, 200], Duration::ZERO).await;
    let secret = set_webhook(&app, &key, &url).await;
    app.enroll(&key, 1).await;
    let stats = features.webhooks.stats();
    until_advancing(&app, "delivered", || {
        stats.delivered.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(r.hits.load(Ordering::SeqCst), 3);
    let log = r.log.lock().unwrap().clone();
    // One event, the same id on every attempt, each attempt signed.
    assert!(log
        .iter()
        .all(|e| e.id == log[0].id && e.body == log[0].body));
    assert!(log
        .iter()
        .all(|e| verify(&secret, &e.signature, &e.body, T0, 300)));
    assert_eq!(stats.failed.load(Ordering::SeqCst), 0);
    // Delivered: gone from the outbox.
    until_outbox_empty(&app).await;
}

#[tokio::test]
async fn a_removed_webhook_drops_the_events_still_waiting() {
    let (app, features) = featured(fast_retries(50)).await;
    let (_, key) = app.tenant("rp.example").await;
    let (url, r) = receiver(vec![500], Duration::ZERO).await;
    set_webhook(&app, &key, &url).await;
    app.enroll(&key, 1).await;
    // Stored before the registration's reply, then retried.
    assert_eq!(outbox_rows(&app).await, 1);
    until_advancing(&app, "retried", || r.hits.load(Ordering::SeqCst) >= 2).await;
    let reply = app
        .send(request(Method::DELETE, "/v1/rp/webhook", Some(&key), None))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let stats = features.webhooks.stats();
    until_advancing(&app, "dropped", || {
        stats.dropped.load(Ordering::SeqCst) == 1
    })
    .await;
    until_outbox_empty(&app).await;
    let hits = r.hits.load(Ordering::SeqCst);
    for _ in 0..5 {
        app.clock.advance(1);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(
        r.hits.load(Ordering::SeqCst),
        hits,
        "no attempt after the removal"
    );
    assert_eq!(stats.delivered.load(Ordering::SeqCst), 0);
    assert_eq!(stats.failed.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn delivery_gives_up_after_n_attempts() {
    let (app, features) = featured(fast_retries(3)).await;
    let (_, key) = app.tenant("rp.example").await;
    let (url, r) = receiver(vec![500], Duration::ZERO).await;
    set_webhook(&app, &key, &url).await;
    app.enroll(&key, 1).await;
    let stats = features.webhooks.stats();
    until_advancing(&app, "given up", || {
        stats.failed.load(Ordering::SeqCst) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.hits.load(Ordering::SeqCst), 3, "exactly N attempts");
    assert_eq!(stats.delivered.load(Ordering::SeqCst), 0);

    // A 4xx other than 408/429 is not retried.
    let (url, r) = receiver(vec![404], Duration::ZERO).await;
    set_webhook(&app, &key, &url).await;
    app.enroll(&key, 2).await;
    until("given up", || stats.failed.load(Ordering::SeqCst) == 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_receiver_never_delays_the_request() {
    let (app, _features) = featured(fast_retries(1)).await;
    let (_, key) = app.tenant("rp.example").await;
    let (url, r) = receiver(vec![200], Duration::from_secs(3)).await;
    set_webhook(&app, &key, &url).await;
    let start = Instant::now();
    app.enroll(&key, 1).await;
    until("request reached the receiver", || {
        r.hits.load(Ordering::SeqCst) == 1
    })
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the registration waited for the webhook: {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn webhook_urls_must_be_https() {
    let (app, _features) = featured(fast_retries(1)).await;
    let (_, key) = app.tenant("rp.example").await;
    for url in [
        "http://rp.example.com/hook",
        "ftp://rp.example.com/hook",
        "https://user:pw@rp.example.com/hook",
        "nonsense",
        // Internal addresses (SSRF), refused even where loopback is allowed (tests).
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00::1]/hook",
    ] {
        let reply = app
            .send(request(
                Method::PUT,
                "/v1/rp/webhook",
                Some(&key),
                Some(&format!(r#"{{"url":"{url}"}}"#)),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(reply.error_code(), "invalid_body");
    }
    let reply = app
        .send(request(
            Method::PUT,
            "/v1/rp/webhook",
            None,
            Some(r#"{"url":"https://rp.example.com/h"}"#),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // A bare relay (no features) says webhooks are off.
    let bare = TestApp::new().await;
    let (_, key) = bare.tenant("rp.example").await;
    assert_eq!(
        bare.get("/v1/rp/webhook", Some(&key)).await.error_code(),
        "unavailable"
    );
}
