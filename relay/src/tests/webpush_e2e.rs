//! Web Push (UnifiedPush) end to end: the RP library → the relay (TLS on loopback) →
//! the mock Web Push service (TLS, checks VAPID) → the phone's core decrypts the
//! recorded message (RFC 8291) → `handle_push` fetches the sealed challenge → the
//! answer → the RP's poll says Approved. Also: the relay publishes its VAPID key; a
//! phone cannot make the relay POST to internal addresses; a 410 drops the endpoint and
//! the phone polls.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_core::MemoryStorage;
use assent_protocol::api::WebPushInfo;
use assent_protocol::webpush::WEBPUSH_BODY_LEN;
use assent_protocol::Platform;
use assent_push_providers::mock::{Answer, MockWebPush, MOCK_CONTACT};
use assent_rp::ChallengeStatus;

use super::push_e2e::{
    assert_no_context, context, enroll, eventually, metrics, phone, push_state, relay_with, site,
    Relay, TestClock, ACCOUNT, BROWSER, PLACE,
};

async fn mock() -> MockWebPush {
    MockWebPush::start(Arc::new(assent_push_providers::SystemClock))
        .await
        .unwrap()
}

async fn vapid_key(relay: &Relay) -> WebPushInfo {
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(relay.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("{}{}", relay.origin.as_str(), assent_protocol::api::WEBPUSH);
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webpush_approval_end_to_end() {
    let clock = TestClock::wall();
    let push = mock().await;
    let relay = relay_with(&clock, None, None, Some(&push)).await;
    let mut site = site(&relay, &clock).await;

    // The app learns the VAPID key to subscribe with at its distributor.
    let info = vapid_key(&relay).await;
    let expected = push.config().unwrap().vapid.public_key().to_owned();
    assert_eq!(info.vapid_public_key.as_deref(), Some(expected.as_str()));

    // A Google-free phone: enrolled polling, then it registers the distributor's
    // endpoint with its core-made keys through the signed push-token update.
    let mut phone = phone(&relay, &clock, Platform::Poll, "");
    enroll(&mut site, &relay, &mut phone).await;
    let storage = MemoryStorage::new();
    let receiver = phone.webpush_receiver(&storage).unwrap();
    let failed = phone
        .use_webpush(&receiver, &push.endpoint("phone-1"))
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");

    let started = site
        .rp
        .start_challenge(ACCOUNT, &context(clock.now()), &mut site.rng)
        .await
        .unwrap();
    let got = eventually("no Web Push", || {
        push.received_for("phone-1").into_iter().next()
    })
    .await;
    assert_eq!(got.status, 201);
    assert_eq!(got.headers["urgency"], "high");
    assert_eq!(got.headers["content-encoding"], "aes128gcm");
    let ttl: u64 = got.headers["ttl"].parse().unwrap();
    assert!(
        (1..=120).contains(&ttl),
        "TTL is the time to the deadline: {ttl}"
    );
    let claims = got.vapid_claims.clone().expect("VAPID verified");
    assert_eq!(claims["aud"], push.origin());
    assert_eq!(claims["sub"], MOCK_CONTACT);
    assert_eq!(got.vapid_key, expected);
    assert_eq!(got.body.len(), WEBPUSH_BODY_LEN, "one fixed size");
    assert_no_context(&String::from_utf8_lossy(&got.body));
    assert_no_context(&format!("{:?}", got.headers));

    // The app hands the body to the core, which decrypts it and handles the push.
    let view = phone.handle_webpush(&receiver, &got.body).await.unwrap();
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

    let sent = "assent_relay_push_sent_total{provider=\"webpush\"} 1";
    let start = Instant::now();
    let mut text = metrics(&relay).await;
    while !text.contains(sent) {
        assert!(start.elapsed() < Duration::from_secs(10), "{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        text = metrics(&relay).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_cannot_point_the_relay_at_internal_addresses() {
    let clock = TestClock::wall();
    let push = mock().await;
    let relay = relay_with(&clock, None, None, Some(&push)).await;
    let mut site = site(&relay, &clock).await;
    let mut phone = phone(&relay, &clock, Platform::Poll, "");
    enroll(&mut site, &relay, &mut phone).await;
    let storage = MemoryStorage::new();
    let receiver = phone.webpush_receiver(&storage).unwrap();
    for internal in [
        "https://10.0.0.1/push/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:8443/push/x",
        "https://[fd00::1]/push/x",
        "https://192.168.1.1/push/x",
    ] {
        let failed = phone.use_webpush(&receiver, internal).await.unwrap();
        assert_eq!(failed.len(), 1, "{internal}");
        let e = failed[0].1.to_string();
        assert!(e.contains("400"), "{internal}: {e}");
    }
    // Not https: refused by the core before anything is sent.
    assert!(phone
        .use_webpush(&receiver, "http://127.0.0.1/push/x")
        .await
        .is_err());
    // The device still polls: a challenge is not pushed anywhere.
    let started = site
        .rp
        .start_challenge(ACCOUNT, &context(clock.now()), &mut site.rng)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(push.received().is_empty());
    let polled = phone.pending().await.unwrap();
    assert_eq!(polled.shown[0].challenge_id, started.challenge_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gone_endpoint_is_dropped_and_the_phone_polls() {
    let clock = TestClock::wall();
    let push = mock().await;
    let relay = relay_with(&clock, None, None, Some(&push)).await;
    let mut site = site(&relay, &clock).await;
    let storage = MemoryStorage::new();
    let mut phone = phone(&relay, &clock, Platform::Poll, "");
    let receiver = phone.webpush_receiver(&storage).unwrap();
    // Enrolled with the subscription from the start this time (the registration's token).
    let token = receiver.push_token(&push.endpoint("gone")).unwrap();
    let mut info = phone.device_info().clone();
    info.platform = Platform::WebPush;
    info.push_token = token;
    phone.set_device_info(info);
    enroll(&mut site, &relay, &mut phone).await;
    push.script("gone", [Answer::reply(410, "")]);

    let first = site
        .rp
        .start_challenge(ACCOUNT, &context(clock.now()), &mut site.rng)
        .await
        .unwrap();
    let id = first.challenge_id.to_string();
    let mut seen = None;
    let start = Instant::now();
    while seen.is_none() {
        seen = push_state(&site, &relay, &id).await;
        assert!(start.elapsed() < Duration::from_secs(10), "no push outcome");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.as_deref(), Some("dead_token"));
    assert_eq!(push.received().len(), 1, "a gone endpoint is not retried");
    let polled = phone.pending().await.unwrap();
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
        .start_challenge(ACCOUNT, &context(clock.now()), &mut site.rng)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        push.received().len(),
        1,
        "no push after the endpoint was dropped"
    );
    let polled = phone.pending().await.unwrap();
    assert_eq!(polled.shown[0].challenge_id, second.challenge_id);
}
