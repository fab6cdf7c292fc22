//! Limits, expiry, idempotency and bad input through the real relay's TLS listener, with
//! real signed requests from an enrolled phone's key and a real tenant key. The relay's
//! in-process table (relay/tests/malformed.rs) covers parsing; this covers what only an
//! end-to-end setup shows: the clock window and the signed origin as phones and relays
//! see them, key revocation, and the answer rules over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::Decision;
use assent_protocol::api::ErrorCode;
use assent_protocol::{ApprovalKind, Challenge, ChallengeParams, ChannelKey, PushId, RelayUrl};
use assent_rp::{ChallengeStatus, PushPolicy, RelayApi};
use assent_tests::backend::Backend;
use assent_tests::real_relay::{RealEnrolled, RealPhone, RealRelay, RelayOptions, Site, TestClock};
use assent_tests::{context, rp_id};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

async fn setup(options: RelayOptions) -> (RealRelay, String, Site, RealPhone, RealEnrolled) {
    let relay = RealRelay::start_with(options).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, PushPolicy::default(), 1).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 2, "Alice's phone");
    let enrolled = site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    (relay, key, site, phone, enrolled)
}

/// The pending challenge as the relay serves it, fetched with a signed request.
async fn fetch(relay: &RealRelay, phone: &RealPhone, enrolled: &RealEnrolled) -> Challenge {
    let reply = relay
        .signed(phone, &enrolled.account_id, "GET", "/v1/challenges", "")
        .await;
    assert_eq!(reply.status, 200);
    Challenge::from_json(reply.json()["challenges"][0].to_string().as_bytes()).unwrap()
}

async fn the_same_answer_again_returns_the_first_result_and_a_different_one_is_409(
    backend: Backend,
) {
    let (relay, _, mut site, phone, enrolled) = setup(RelayOptions::on(backend)).await;
    let started = site.start("alice").await.unwrap();
    let challenge = fetch(&relay, &phone, &enrolled).await;
    let approve = phone.make_answer(
        &enrolled.account_id,
        &challenge,
        Decision::Approve,
        &started.display,
    );
    let id = &enrolled.account_id;
    let first = relay
        .signed(&phone, id, "POST", "/v1/answer", &approve.to_json())
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json(), serde_json::json!({"state": "answered"}));
    // A retry (a lost reply, a second tap): the same result, a fresh signed request.
    relay.clock.advance(2);
    let again = relay
        .signed(&phone, id, "POST", "/v1/answer", &approve.to_json())
        .await;
    assert_eq!((again.status, again.json()), (first.status, first.json()));
    // A different answer is refused.
    let deny = phone.make_answer(id, &challenge, Decision::Deny, "");
    let other = relay
        .signed(&phone, id, "POST", "/v1/answer", &deny.to_json())
        .await;
    assert_eq!(other.code(), (409, "not_pending".into()));
    // The same approval signed again (other signature bytes, same fields) counts as the
    // same answer, and the first one stays the one stored.
    let resigned = phone.make_answer(id, &challenge, Decision::Approve, &started.display);
    let again = relay
        .signed(&phone, id, "POST", "/v1/answer", &resigned.to_json())
        .await;
    assert_eq!((again.status, again.json()), (first.status, first.json()));
    // The RP sees the first answer only.
    let stored = site
        .relay
        .answer(&started.challenge_id, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, approve);
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
}

async fn an_answer_after_expiry_is_refused_by_the_relay_and_the_rp_says_expired(backend: Backend) {
    let (relay, _, mut site, mut phone, enrolled) = setup(RelayOptions::on(backend)).await;
    let started = site.start("alice").await.unwrap();
    let view = phone.the_pending().await;
    let challenge = fetch(&relay, &phone, &enrolled).await;
    let answer = phone.make_answer(
        &enrolled.account_id,
        &challenge,
        Decision::Approve,
        &started.display,
    );
    // 120 s lifetime: at +120 it is over (relay clock).
    relay.clock.advance(120);
    let late = relay
        .signed(
            &phone,
            &enrolled.account_id,
            "POST",
            "/v1/answer",
            &answer.to_json(),
        )
        .await;
    assert_eq!(late.code(), (410, "expired".into()));
    // The phone's core, answering through the relay, is refused too.
    assert!(phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .is_err());
    // Nothing stored; the phone is not shown it; the RP settles it as expired.
    assert!(site
        .relay
        .answer(&started.challenge_id, Duration::ZERO)
        .await
        .unwrap()
        .is_none());
    assert!(phone.client.pending().await.unwrap().shown.is_empty());
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Expired
    );
}

async fn the_relay_enforces_its_per_device_pending_limit_over_http(backend: Backend) {
    let (relay, _, site, mut phone, enrolled) = setup(RelayOptions {
        backend,
        max_pending_per_device: Some(3),
        ..RelayOptions::default()
    })
    .await;
    // An RP that ignores its own one-per-account rule and talks to the relay directly.
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let k_chan = ChannelKey::make(&mut rng);
    let now = relay.clock.now();
    let make = |rng: &mut ChaCha20Rng| {
        Challenge::make(
            &rp_id(),
            &k_chan,
            &ChallengeParams {
                device_id: enrolled.device_id,
                kind: ApprovalKind::Number,
                uv: false,
                created_at: now,
                ttl: 120,
            },
            &context(now),
            rng,
        )
        .unwrap()
    };
    for _ in 0..3 {
        let c = make(&mut rng);
        site.relay
            .create_challenge(&c, &PushId::make(&mut rng))
            .await
            .unwrap();
    }
    let over = make(&mut rng);
    let got = site
        .relay
        .create_challenge(&over, &PushId::make(&mut rng))
        .await;
    assert!(
        matches!(&got, Err(e) if e.code() == Some(ErrorCode::LimitExceeded)),
        "{got:?}"
    );
    // Expired ones no longer count.
    relay.clock.advance(121);
    site.relay
        .create_challenge(&over, &PushId::make(&mut rng))
        .await
        .unwrap();
    // (Sealed under a key the phone does not have: it refuses all of them.)
    let polled = phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
}

async fn signed_requests_through_tls_clock_window_origin_and_keys(backend: Backend) {
    let (relay, key, mut site, phone, enrolled) = setup(RelayOptions::on(backend)).await;
    site.start("alice").await.unwrap();
    let id = &enrolled.account_id;
    let now = relay.clock.now();
    let origin = relay.origin.clone();
    let port = relay.addr.port();
    let other = |text: String| RelayUrl::parse(&text).unwrap();

    // (case, origin signed over, timestamp, expected status, code)
    let cases: Vec<(&str, RelayUrl, u64, u16, &str)> = vec![
        ("in time", origin.clone(), now, 200, ""),
        ("60 s behind", origin.clone(), now - 60, 200, ""),
        ("60 s ahead", origin.clone(), now + 60, 200, ""),
        (
            "61 s behind",
            origin.clone(),
            now - 61,
            401,
            "stale_timestamp",
        ),
        (
            "61 s ahead",
            origin.clone(),
            now + 61,
            401,
            "stale_timestamp",
        ),
        (
            "a day behind",
            origin.clone(),
            now - 86_400,
            401,
            "stale_timestamp",
        ),
        (
            "signed for localhost (same server, other origin)",
            other(format!("https://localhost:{port}")),
            now,
            401,
            "bad_signature",
        ),
        (
            "signed for another port",
            other(format!("https://127.0.0.1:{}", port.wrapping_add(1))),
            now,
            401,
            "bad_signature",
        ),
        (
            "signed for another relay",
            other("https://relay.example.com".into()),
            now,
            401,
            "bad_signature",
        ),
        (
            "signed with a path prefix",
            other(format!("https://127.0.0.1:{port}/relay")),
            now,
            401,
            "bad_signature",
        ),
    ];
    for (case, signed_origin, timestamp, status, code) in cases {
        let reply = relay
            .signed_as(
                &phone,
                id,
                &signed_origin,
                timestamp,
                "GET",
                "/v1/challenges",
                "",
            )
            .await;
        assert_eq!(reply.code(), (status, code.to_owned()), "{case}");
        // Every reply, refusals included, carries the relay's clock.
        assert_eq!(reply.assent_time, Some(now), "{case}");
        if status == 200 {
            assert_eq!(reply.json()["challenges"].as_array().unwrap().len(), 1);
        }
    }
    // A request signed with a query and sent without it (or the reverse).
    let headers = phone.sign_request(id, &origin, "GET", "/v1/challenges?wait=0", now, b"");
    let reply = relay.raw("GET", "/v1/challenges", &headers, "").await;
    assert_eq!(reply.code(), (401, "bad_signature".into()));
    let headers = phone.sign_request(id, &origin, "GET", "/v1/challenges", now, b"");
    let reply = relay
        .raw("GET", "/v1/challenges?wait=0", &headers, "")
        .await;
    assert_eq!(reply.code(), (401, "bad_signature".into()));
    // Signed as GET, sent as POST to the same path.
    let reply = relay.raw("POST", "/v1/answer", &headers, "{}").await;
    assert_eq!(reply.code(), (401, "bad_signature".into()));

    // RP keys: a revoked key, a well-formed key with the wrong secret, another scheme.
    let good = relay.rp_call(&key, "GET", "/v1/rp/tenant", "").await;
    assert_eq!(good.status, 200);
    let forged = format!("{}x", &key[..key.len() - 1]);
    let forged = if forged == key {
        format!("{}y", &key[..key.len() - 1])
    } else {
        forged
    };
    let reply = relay.rp_call(&forged, "GET", "/v1/rp/tenant", "").await;
    assert_eq!(reply.code(), (401, "unauthorized".into()));
    let reply = relay
        .raw(
            "GET",
            "/v1/rp/tenant",
            &[("authorization", format!("Basic {key}"))],
            "",
        )
        .await;
    assert_eq!(reply.code(), (401, "unauthorized".into()));
    let key_id = &key[4..20];
    relay.admin(&["key", "revoke", key_id]).await;
    // The operator revoked it with the admin command beside the running relay: the
    // relay's lookup cache may serve the key for its lifetime (1 s by default), never
    // longer.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let reply = relay.rp_call(&key, "GET", "/v1/rp/tenant", "").await;
    assert_eq!(reply.code(), (401, "unauthorized".into()));
    // The RP library sees the refusal as such.
    let got = site.relay.unenroll_requests().await;
    assert!(
        matches!(&got, Err(e) if e.code() == Some(ErrorCode::Unauthorized)),
        "{got:?}"
    );
}

async fn a_phone_whose_clock_is_ten_minutes_off_still_signs_in_the_relays_window(backend: Backend) {
    let relay = RealRelay::start_on(backend).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, PushPolicy::default(), 5).await;
    // The phone's own clock is 10 minutes slow; it learns the relay's time from replies.
    let phone_clock = TestClock::at(relay.clock.now() - 600);
    let mut phone = RealPhone::new(relay.ca.ca_pem(), phone_clock, 6, "Slow phone");
    site.enroll(&mut phone, "alice", ApprovalKind::Code).await;
    let started = site.start("alice").await.unwrap();
    let view = phone.the_pending().await;
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    assert_eq!(phone.client.clock_status().relay_offset, 600);
}

assent_tests::on_both_backends!(
    the_same_answer_again_returns_the_first_result_and_a_different_one_is_409,
    an_answer_after_expiry_is_refused_by_the_relay_and_the_rp_says_expired,
    the_relay_enforces_its_per_device_pending_limit_over_http,
    signed_requests_through_tls_clock_window_origin_and_keys,
    a_phone_whose_clock_is_ten_minutes_off_still_signs_in_the_relays_window,
);
