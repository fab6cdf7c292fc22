//! The Web Push client against the mock push service on loopback: the encrypted,
//! fixed-size message with VAPID and the RFC 8030 headers; 404/410 drop the endpoint;
//! 429/5xx are retried with backoff within the challenge's deadline; endpoints on
//! addresses the policy refuses are never contacted.

// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use assent_protocol::webpush::{WebPushKeys, WEBPUSH_BODY_LEN};
use assent_push_providers::mock::{Answer, MOCK_CONTACT};
use assent_push_providers::webpush::AddressPolicy;
use assent_push_providers::{
    Clock, Dispatcher, DispatcherConfig, Failure, Outcome, Platform, ProviderKind, PushProvider,
};
use common::*;
use rand_chacha::rand_core::SeedableRng;

fn keys(n: u64) -> WebPushKeys {
    WebPushKeys::make(&mut rand_chacha::ChaCha20Rng::seed_from_u64(n)).unwrap()
}

/// The push token of subscription `id` at `mock`, for `keys`.
fn token(w: &WebPush, id: &str, keys: &WebPushKeys) -> String {
    keys.subscription(&w.mock.endpoint(id))
        .unwrap()
        .to_push_token()
}

#[tokio::test]
async fn sends_the_encrypted_payload_with_vapid_ttl_and_urgency() {
    let clock = manual();
    let w = webpush(clock.clone()).await;
    let k = keys(1);
    let tok = token(&w, "sub-1", &k);
    for n in 0..3 {
        let id = payload(n);
        let dl = deadline(clock.as_ref(), 120);
        clock.advance(Duration::from_secs(3));
        assert_eq!(w.client.send(&target(&tok), id, dl).await, Outcome::Sent);
        let r = w.mock.received_for("sub-1").pop().unwrap();
        assert_eq!(r.status, 201);
        assert!(r.http2, "HTTP/2 via ALPN");
        assert_eq!(r.headers["ttl"], "117");
        assert_eq!(r.headers["urgency"], "high");
        assert_eq!(r.headers["content-encoding"], "aes128gcm");
        assert_eq!(r.headers["content-type"], "application/octet-stream");
        let claims = r.vapid_claims.clone().expect("VAPID JWT verified");
        assert_eq!(claims["aud"], w.mock.origin());
        assert_eq!(claims["sub"], MOCK_CONTACT);
        let exp = claims["exp"].as_u64().unwrap();
        let now = clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(exp > now && exp <= now + 24 * 3600);
        assert_eq!(r.vapid_key, w.client.vapid_public_key());
        // One fixed size, far below the 4096 bytes push services take: never a 413.
        assert_eq!(r.body.len(), WEBPUSH_BODY_LEN);
        assert!(r.body.len() <= 4096);
        let plain = k.decrypt(&r.body).unwrap();
        assert_eq!(plain.as_slice(), id.to_json().as_bytes());
    }
    assert_eq!(w.metrics.snapshot(ProviderKind::WebPush).sent, 3);
    assert!(!format!("{:?}", w.client).contains("yfWP"));
}

#[tokio::test]
async fn gone_and_not_found_drop_the_endpoint_without_retry() {
    let clock = manual();
    let w = webpush(clock.clone()).await;
    let tok = token(&w, "old", &keys(2));
    for status in [410, 404] {
        w.mock.script("old", [Answer::reply(status, "")]);
        let out = w
            .client
            .send(&target(&tok), payload(1), deadline(clock.as_ref(), 120))
            .await;
        assert_eq!(out, Outcome::DeadToken, "{status}");
    }
    assert_eq!(w.mock.received().len(), 2);
    assert!(clock.sleeps().is_empty());
    assert_eq!(w.metrics.snapshot(ProviderKind::WebPush).dead_tokens, 2);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_within_the_deadline() {
    let clock = manual();
    let w = webpush(clock.clone()).await;
    let tok = token(&w, "busy", &keys(3));
    w.mock
        .script("busy", [Answer::reply(429, "").retry_after(7)]);
    let out = w
        .client
        .send(&target(&tok), payload(1), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);

    w.mock.script(
        "busy",
        [
            Answer::reply(500, ""),
            Answer::reply(503, "").retry_after(2),
            Answer::Reset,
        ],
    );
    let out = w
        .client
        .send(&target(&tok), payload(2), deadline(clock.as_ref(), 120))
        .await;
    assert_eq!(out, Outcome::Sent);
    let s = clock.sleeps();
    assert_eq!(s.len(), 4);
    assert_eq!(s[2], Duration::from_secs(2));

    // A Retry-After beyond the deadline: no wait past it.
    w.mock
        .script("busy", [Answer::reply(429, "").retry_after(7)]);
    let out = w
        .client
        .send(&target(&tok), payload(3), deadline(clock.as_ref(), 5))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::RateLimited));
    assert_eq!(clock.sleeps().len(), 4, "no wait past the deadline");

    w.mock.script(
        "busy",
        std::iter::repeat_with(|| Answer::reply(502, "")).take(10),
    );
    let out = w
        .client
        .send(&target(&tok), payload(4), deadline(clock.as_ref(), 3600))
        .await;
    assert_eq!(out, Outcome::Failed(Failure::Unavailable));
    let counters = w.metrics.snapshot(ProviderKind::WebPush);
    assert_eq!(counters.retries, 1 + 3 + 4);
}

#[tokio::test]
async fn refused_vapid_and_rejected_requests_keep_the_endpoint() {
    let clock = manual();
    let w = webpush(clock.clone()).await;
    let tok = token(&w, "s", &keys(4));
    w.mock.script("s", [Answer::reply(403, "")]);
    let dl = deadline(clock.as_ref(), 120);
    assert_eq!(
        w.client.send(&target(&tok), payload(1), dl).await,
        Outcome::Failed(Failure::Config)
    );
    w.mock.script("s", [Answer::reply(413, "")]);
    assert_eq!(
        w.client.send(&target(&tok), payload(2), dl).await,
        Outcome::Failed(Failure::Rejected)
    );
    assert!(clock.sleeps().is_empty());
    // A token that is not a Web Push subscription is useless: dropped, nothing sent.
    assert_eq!(
        w.client.send(&target("fcm-token"), payload(3), dl).await,
        Outcome::DeadToken
    );
    assert_eq!(w.mock.received().len(), 2);
}

struct NoLoopback;

impl AddressPolicy for NoLoopback {
    fn allows(&self, ip: IpAddr) -> bool {
        !ip.is_loopback()
    }
}

#[tokio::test]
async fn endpoints_on_refused_addresses_are_never_contacted() {
    let clock = manual();
    let w = webpush_with(clock.clone(), |c| c.addresses = Arc::new(NoLoopback)).await;
    let k = keys(5);
    let literal = token(&w, "x", &k);
    let dl = deadline(clock.as_ref(), 120);
    assert_eq!(
        w.client.send(&target(&literal), payload(1), dl).await,
        Outcome::DeadToken,
        "an internal address literal is dropped"
    );
    let port = w.mock.origin().rsplit(':').next().unwrap().to_owned();
    let named = k
        .subscription(&format!("https://localhost:{port}/push/x"))
        .unwrap()
        .to_push_token();
    let out = w.client.send(&target(&named), payload(2), dl).await;
    assert_eq!(
        out,
        Outcome::Failed(Failure::Connection),
        "the resolver refuses it"
    );
    assert!(w.mock.received().is_empty(), "no request reached the mock");
}

#[tokio::test]
async fn the_dispatcher_routes_webpush_devices_to_their_lane() {
    let clock = manual();
    let w = webpush(clock.clone()).await;
    let tok = token(&w, "d", &keys(6));
    let d = Dispatcher::new(
        DispatcherConfig::default(),
        None,
        None,
        Arc::new(assent_push_providers::metrics::NoMetrics),
    );
    assert!(d.is_poll_only() && !d.serves(Platform::WebPush));
    let d = d.with_webpush(w.client.clone() as Arc<dyn PushProvider>);
    assert!(!d.is_poll_only() && d.serves(Platform::WebPush) && !d.serves(Platform::Android));
    let dl = deadline(clock.as_ref(), 60);
    assert_eq!(
        d.send(Platform::WebPush, &target(&tok), payload(1), dl)
            .await,
        Outcome::Sent
    );
    assert_eq!(
        d.send(Platform::Android, &target(&tok), payload(1), dl)
            .await,
        Outcome::PollOnly
    );
    assert_eq!(w.mock.received().len(), 1);
}
