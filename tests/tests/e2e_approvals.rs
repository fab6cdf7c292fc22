//! Full approvals through the REAL relay (`assent_relay::Relay` over TLS on loopback, SQLite
//! on disk): the RP library over HTTPS with an API key, the phone's core over HTTPS with
//! the test CA, poll mode. Every approval kind, a denial, and what the relay keeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::{Decision, Entry};
use assent_protocol::ApprovalKind;
use assent_rp::{ChallengeStatus, Error as RpError, PushPolicy};
use assent_tests::backend::Backend;
use assent_tests::real_relay::{RealPhone, RealRelay, Site};

fn policy(allow_simple: bool) -> PushPolicy {
    PushPolicy {
        allow_simple,
        ..PushPolicy::default()
    }
}

/// make_offer → enroll_uri → complete_registration → activation → start_challenge →
/// pending() → answer → poll_challenge = Approved → redeem once, for `kind`.
async fn approve_once(backend: Backend, kind: ApprovalKind) {
    let relay = RealRelay::start_on(backend).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, policy(kind == ApprovalKind::Simple), 1).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 2, "Alice's phone");
    let enrolled = site.enroll(&mut phone, "alice", kind).await;

    let started = site.start("alice").await.unwrap();
    assert_eq!(started.kind, kind);
    assert_eq!(started.device_id, enrolled.device_id);
    assert_eq!(started.device_name, "Alice's phone");

    // The relay holds the challenge sealed: no login context in its database.
    let stored = relay
        .db()
        .await
        .text(
            "SELECT challenge FROM challenges WHERE challenge_id = $1",
            &[started.challenge_id.to_string().into()],
        )
        .await;
    for clear in ["Firefox", "Bern", "203.0.113.7", "alice"] {
        assert!(!stored.contains(clear), "{clear} in the relay's database");
    }

    let view = phone.the_pending().await;
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(view.account_id, enrolled.account_id);
    assert_eq!(view.kind, kind);
    assert_eq!(view.entry, Entry::for_kind(kind));
    assert_eq!(view.client, "Firefox 126 on Windows");
    assert_eq!(view.location, "Bern, CH");
    assert_eq!(view.expires_at, started.expires_at);

    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Pending
    );
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
    let redeemed = site.rp.redeem(&started.handle).await.unwrap();
    assert_eq!(redeemed.account, "alice");
    assert_eq!(redeemed.challenge_id, started.challenge_id);
    assert!(matches!(
        site.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
    // Answered: the phone is not shown it again.
    let polled = phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
}

async fn number_approval_through_the_real_relay(backend: Backend) {
    approve_once(backend, ApprovalKind::Number).await;
}

async fn code_approval_through_the_real_relay(backend: Backend) {
    approve_once(backend, ApprovalKind::Code).await;
}

async fn simple_approval_through_the_real_relay_where_the_rp_allows_it(backend: Backend) {
    approve_once(backend, ApprovalKind::Simple).await;
}

async fn long_poll_wakes_the_rp_when_the_answer_arrives_and_denial_is_not_redeemable(
    backend: Backend,
) {
    let relay = RealRelay::start_on(backend).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, policy(false), 3).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 4, "Alice's phone");
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;

    // Wrong number typed: a denial, through the relay, charged to the limiter.
    let started = site.start("alice").await.unwrap();
    let view = phone.the_pending().await;
    let wrong = if started.display.as_str() == "42" {
        "43"
    } else {
        "42"
    };
    phone
        .client
        .answer(&view, Decision::Approve, wrong, false)
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Denied
    );
    assert!(site.rp.redeem(&started.handle).await.is_err());

    // A long-poll parked at the relay returns as soon as the phone answers, well before
    // its 20 s wait.
    let started = site.start("alice").await.unwrap();
    let view = phone.the_pending().await;
    let display = started.display.clone();
    let waiting = {
        let handle = started.handle;
        tokio::spawn(async move {
            let rp = site;
            let t = std::time::Instant::now();
            let status = rp
                .rp
                .poll_challenge(&handle, Duration::from_secs(20))
                .await
                .unwrap();
            (status, t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    phone
        .client
        .answer(&view, Decision::Approve, &display, false)
        .await
        .unwrap();
    let (status, took) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, ChallengeStatus::Approved);
    assert!(took < Duration::from_secs(5), "woken late: {took:?}");
}

assent_tests::on_both_backends!(
    number_approval_through_the_real_relay,
    code_approval_through_the_real_relay,
    simple_approval_through_the_real_relay_where_the_rp_allows_it,
    long_poll_wakes_the_rp_when_the_answer_arrives_and_denial_is_not_redeemable,
);
