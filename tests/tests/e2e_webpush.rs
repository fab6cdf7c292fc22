//! A Google-free Android phone (UnifiedPush) through the real relay over TLS: the RP
//! library starts a challenge → the relay's Web Push provider POSTs the encrypted push
//! payload with VAPID to a mock Web Push service (TLS on loopback) → the phone's core
//! decrypts the recorded body (RFC 8291) and handles the push → the signed answer → the
//! RP sees Approved. The subscription's secrets never reach a log line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use assent_core::{Decision, MemoryStorage};
use assent_protocol::webpush::WEBPUSH_BODY_LEN;
use assent_protocol::ApprovalKind;
use assent_push_providers::mock::MockWebPush;
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::real_relay::{eventually, RealPhone, RealRelay, RelayOptions, Site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_reaches_a_unifiedpush_phone_through_web_push_and_is_answered() {
    let push = Arc::new(
        MockWebPush::start(Arc::new(assent_push_providers::SystemClock))
            .await
            .unwrap(),
    );
    let relay = RealRelay::start_with(RelayOptions {
        webpush: Some(push.clone()),
        ..RelayOptions::default()
    })
    .await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, PushPolicy::default(), 1).await;
    let mut phone = RealPhone::new(
        relay.ca.ca_pem(),
        relay.clock.clone(),
        2,
        "Alice's Fairphone",
    );
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;

    // The app got an endpoint from its distributor; the core registers it with its keys.
    let storage = MemoryStorage::new();
    let receiver = phone.client.webpush_receiver(&storage).unwrap();
    let endpoint = push.endpoint("fairphone");
    assent_tests::log_scan::register("Web Push auth secret", &receiver.auth());
    assent_tests::log_scan::register("Web Push endpoint", &endpoint);
    let failed = phone
        .client
        .use_webpush(&receiver, &endpoint)
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");

    let started = site.start("alice").await.unwrap();
    let got = eventually(Duration::from_secs(10), || {
        let push = push.clone();
        async move { push.received_for("fairphone").into_iter().next() }
    })
    .await;
    assert_eq!(got.status, 201);
    assert!(
        got.vapid_claims.is_some(),
        "VAPID verified by the push service"
    );
    assert_eq!(got.headers["urgency"], "high");
    assert_eq!(got.body.len(), WEBPUSH_BODY_LEN);

    let view = phone
        .client
        .handle_webpush(&receiver, &got.body)
        .await
        .unwrap();
    assert_eq!(view.challenge_id, started.challenge_id);
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::from_secs(5))
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    assert_eq!(push.received().len(), 1, "one push, no retry");
}
