//! Push approvals end to end: the RP starts a challenge, the relay pushes its id, the
//! phone fetches, opens and shows it, the user answers, the RP verifies the signed answer
//! and the browser session redeems the approval once (DESIGN.md §4, §5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::{Decision, Entry, Error as PhoneError};
use assent_protocol::ApprovalKind;
use assent_rp::{
    AccountPolicy, ChallengeStatus, Error as RpError, Event, Guess, PushPolicy, SessionHandle,
};
use assent_tests::{Config, StoreKind, World, ALICE};

fn allow_simple(store: StoreKind) -> Config {
    Config {
        store,
        push_policy: PushPolicy {
            allow_simple: true,
            ..PushPolicy::default()
        },
        ..Config::default()
    }
}

/// One full approval of `kind`: context shown, value typed, approved, redeemed once.
async fn approve_once(w: &mut World, kind: ApprovalKind) {
    let enrolled = w.enroll_phone(kind).await;
    let started = w.start(ALICE).await.unwrap();
    assert_eq!(started.kind, kind);
    assert_eq!(started.device_id, enrolled.device_id);
    assert_eq!(started.device_name, "Alice's iPhone");
    let expected_len = match kind {
        ApprovalKind::Simple => 0,
        ApprovalKind::Number => 2,
        ApprovalKind::Code => 6,
    };
    assert_eq!(started.display.len(), expected_len);

    // The push carries only a random id and its routing tag: 49 bytes, nothing about
    // the RP or the device.
    let payload = w.relay.last_payload();
    assert_eq!(payload.len(), assent_protocol::PUSH_PAYLOAD_LEN);
    let text = String::from_utf8(payload.clone()).unwrap();
    assert!(!text.contains("example") && !text.contains(&enrolled.device_id.to_string()));

    let view = w.phone.push(&payload).await.unwrap();
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(view.account_id, enrolled.account_id);
    assert_eq!(view.client, "Firefox 126 on Windows");
    assert_eq!(view.ip.to_string(), "203.0.113.7");
    assert_eq!(view.location, "Bern, CH");
    assert_eq!(view.login_time, w.now());
    assert_eq!(view.kind, kind);
    assert_eq!(view.entry, Entry::for_kind(kind));
    assert_eq!(view.entry.digits(), expected_len);
    assert!(!view.user_verification);
    assert_eq!(view.expires_at, started.expires_at);
    assert_eq!(view.expires_at, w.now() + 120, "default expiry, RP clock");
    assert_eq!(view.seconds_left, 120);

    // The relay never saw the context in the clear.
    let at_relay = w.relay.challenge(&started.challenge_id);
    assert_eq!(at_relay.sealed.len(), assent_protocol::SEALED_CONTEXT_LEN);
    let sealed = String::from_utf8_lossy(&at_relay.sealed).into_owned();
    assert!(!sealed.contains("Firefox") && !sealed.contains("Bern"));

    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Pending
    );
    w.advance(5);
    w.phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    let redeemed = w.rp.redeem(&started.handle).await.unwrap();
    assert_eq!(redeemed.account, ALICE);
    assert_eq!(redeemed.device_id, enrolled.device_id);
    assert_eq!(redeemed.challenge_id, started.challenge_id);
    assert!(matches!(
        w.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Redeemed
    );
}

#[tokio::test]
async fn number_approval_full_flow_on_both_stores() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        approve_once(&mut World::on(store).await, ApprovalKind::Number).await;
    }
}

#[tokio::test]
async fn code_approval_full_flow_on_both_stores() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        approve_once(&mut World::on(store).await, ApprovalKind::Code).await;
    }
}

#[tokio::test]
async fn simple_approval_full_flow_when_the_rp_allows_it() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        approve_once(
            &mut World::new(allow_simple(store)).await,
            ApprovalKind::Simple,
        )
        .await;
    }
}

#[tokio::test]
async fn simple_is_refused_unless_the_rp_policy_allows_it() {
    let mut w = World::sqlite().await;
    let mut request = assent_rp::OfferRequest::new("Example", "alice@example.com");
    request.min = ApprovalKind::Simple;
    let offer =
        w.rp.make_offer(
            ALICE,
            &request,
            &assent_tests::relay_url(),
            assent_rp::EnrollmentAuthorization::NoSecondFactorYet,
            &mut w.rng,
        )
        .await;
    assert!(matches!(
        offer,
        Err(RpError::KindNotAllowed(ApprovalKind::Simple))
    ));
    w.enroll_phone(ApprovalKind::Number).await;
    let policy = AccountPolicy {
        kind: ApprovalKind::Simple,
        uv: false,
    };
    assert!(matches!(
        w.rp.set_account_policy(ALICE, policy).await,
        Err(RpError::KindNotAllowed(ApprovalKind::Simple))
    ));
    // Where simple is allowed, a phone enrolled with minimum `number` still gets `number`:
    // the kind never goes below the enrollment's minimum.
    let mut w = World::new(allow_simple(StoreKind::Sqlite)).await;
    w.enroll_phone(ApprovalKind::Number).await;
    w.rp.set_account_policy(ALICE, policy).await.unwrap();
    let started = w.start(ALICE).await.unwrap();
    assert_eq!(started.kind, ApprovalKind::Number);
    assert_eq!(w.deliver_push().await.unwrap().entry, Entry::Number);
}

#[tokio::test]
async fn deny_resolves_denied_and_cannot_be_redeemed() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Deny, "", false)
        .await
        .unwrap();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
    assert!(matches!(
        w.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
    // A plain denial is not a failed credential: the limiter is untouched.
    assert_eq!(
        w.rp.limiter_state(ALICE, Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        0
    );
    // The next login may push again at once.
    w.start(ALICE).await.unwrap();
}

#[tokio::test]
async fn this_wasnt_me_mutes_pushes_for_twenty_minutes_and_tells_the_rp() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Fraud, "", false)
            .await
            .unwrap();
        let at = w.now();
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::FraudReported
        );
        assert!(matches!(
            w.rp.redeem(&started.handle).await,
            Err(RpError::NotRedeemable)
        ));
        let frauds: Vec<Event> = w
            .events
            .all()
            .into_iter()
            .filter(|e| matches!(e, Event::FraudReported { .. }))
            .collect();
        assert_eq!(
            frauds,
            [Event::FraudReported {
                account: ALICE.into(),
                device_id: enrolled.device_id,
                challenge_id: started.challenge_id,
                at,
                muted_until: at + 1200,
            }]
        );
        let pushes = w.relay.pushes().len();
        match w.start(ALICE).await {
            Err(RpError::Muted { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(1200))
            }
            other => panic!("expected Muted, got {other:?}"),
        }
        w.advance(1199);
        assert!(matches!(w.start(ALICE).await, Err(RpError::Muted { .. })));
        assert_eq!(w.relay.pushes().len(), pushes, "no push while muted");
        w.advance(1);
        let again = w.start(ALICE).await.unwrap();
        assert_eq!(w.relay.pushes().len(), pushes + 1);
        assert_eq!(
            w.deliver_push().await.unwrap().challenge_id,
            again.challenge_id
        );
    }
}

#[tokio::test]
async fn wrong_number_or_code_is_a_denial_charged_to_the_limiter() {
    for kind in [ApprovalKind::Number, ApprovalKind::Code] {
        let mut w = World::new(Config {
            limiter: assent_rp::LimiterPolicy {
                free_attempts: 2,
                base_delay: 60,
                max_delay: 900,
            },
            ..Config::default()
        })
        .await;
        w.enroll_phone(kind).await;
        for round in 1..=2u32 {
            let started = w.start(ALICE).await.unwrap();
            let view = w.deliver_push().await.unwrap();
            // A well-formed value that is not the one the login page shows.
            let wrong = wrong_value(&started.display);
            w.phone
                .client
                .answer(&view, Decision::Approve, &wrong, false)
                .await
                .unwrap();
            assert_eq!(
                w.poll(&started.handle).await.unwrap(),
                ChallengeStatus::Denied
            );
            assert!(matches!(
                w.rp.redeem(&started.handle).await,
                Err(RpError::NotRedeemable)
            ));
            assert_eq!(
                w.rp.limiter_state(ALICE, Guess::PushEntry)
                    .await
                    .unwrap()
                    .failures,
                round
            );
        }
        // Two failures with two free attempts: the next one waits, and no push is sent.
        let pushes = w.relay.pushes().len();
        match w.start(ALICE).await {
            Err(RpError::Throttled { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(60))
            }
            other => panic!("expected Throttled, got {other:?}"),
        }
        assert_eq!(w.relay.pushes().len(), pushes);
        // Wrong entries on the phone throttle push only: TOTP has its own count.
        assert_eq!(
            w.rp.limiter_state(ALICE, Guess::Totp)
                .await
                .unwrap()
                .failures,
            0
        );
        assert_ne!(
            w.rp.verify_totp(ALICE, "123456").await.unwrap(),
            assent_rp::Verification::Throttled {
                retry_after: Duration::from_secs(60)
            }
        );
    }
}

/// A value of the same shape as `shown` that differs from it.
fn wrong_value(shown: &str) -> String {
    let n: u32 = shown.parse().unwrap();
    match shown.len() {
        2 => (if n == 99 { 10 } else { n + 1 }).to_string(),
        6 => format!("{:06}", (n + 1) % 1_000_000),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn the_phone_refuses_an_approval_without_the_value_to_type() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Code).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    for bad in ["", "12", "1234567", "abcdef"] {
        assert!(matches!(
            w.phone
                .client
                .answer(&view, Decision::Approve, bad, false)
                .await,
            Err(PhoneError::WrongEntry(Entry::Code))
        ));
    }
    assert!(w.relay.stored_answer(&started.challenge_id).is_none());
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Pending
    );
}

#[tokio::test]
async fn an_approval_is_redeemed_only_by_the_session_that_started_it() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let mut bobs_phone = w.new_phone(2, "Bob's Pixel");
    w.enroll_other(&mut bobs_phone, "bob", ApprovalKind::Number)
        .await;

    let alice = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &alice.display, false)
        .await
        .unwrap();
    assert_eq!(
        w.poll(&alice.handle).await.unwrap(),
        ChallengeStatus::Approved
    );

    // Another session: bob's login, and a handle nobody issued.
    let bob = w.start("bob").await.unwrap();
    assert!(matches!(
        w.rp.redeem(&bob.handle).await,
        Err(RpError::NotRedeemable)
    ));
    let forged = SessionHandle::parse(&"A".repeat(43)).unwrap();
    assert!(matches!(
        w.rp.redeem(&forged).await,
        Err(RpError::NotRedeemable)
    ));
    // The handle never reached the relay or the phone.
    let handle = alice.handle.to_base64url();
    {
        assert!(w
            .relay
            .calls()
            .iter()
            .all(|c| !String::from_utf8_lossy(&c.body).contains(handle.as_str())));
        let stored = w
            .relay
            .challenges()
            .iter()
            .map(|c| c.to_json())
            .collect::<String>();
        assert!(!stored.contains(handle.as_str()));
    }

    let redeemed = w.rp.redeem(&alice.handle).await.unwrap();
    assert_eq!(redeemed.account, ALICE);
    assert!(matches!(
        w.rp.redeem(&alice.handle).await,
        Err(RpError::NotRedeemable)
    ));
    // Bob's challenge is untouched by all this.
    assert_eq!(w.poll(&bob.handle).await.unwrap(), ChallengeStatus::Pending);
}

#[tokio::test]
async fn expiry_is_by_the_rps_clock_at_the_exact_deadline() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        w.enroll_phone(ApprovalKind::Number).await;

        // Answer observed at expires_at − 1: approved.
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        w.clock.set(started.expires_at - 1);
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        w.rp.redeem(&started.handle).await.unwrap();

        // Answer observed at expires_at: expired, although the phone answered in time.
        w.advance(1);
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        w.clock.set(started.expires_at);
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Expired
        );
        assert!(matches!(
            w.rp.redeem(&started.handle).await,
            Err(RpError::NotRedeemable)
        ));
        // Once expired, always expired.
        w.clock.set(started.expires_at - 1);
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Expired
        );
    }
}

#[tokio::test]
async fn a_second_answer_never_resolves_a_challenge_twice() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    let approval = w.relay.stored_answer(&started.challenge_id).unwrap();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );

    // The phone answers again, differently: the relay keeps the first answer.
    let second = w
        .phone
        .client
        .answer(&view, Decision::Fraud, "", false)
        .await;
    assert!(
        matches!(second, Err(PhoneError::Relay { status: 409, .. })),
        "{second:?}"
    );
    // The relay kept that second, genuinely signed answer (it saw the request body);
    // serving it now changes nothing: the challenge is resolved once.
    let fraud = {
        let calls = w.relay.calls();
        let call = calls
            .iter()
            .rev()
            .find(|c| c.path == assent_protocol::api::ANSWER)
            .unwrap();
        assent_protocol::Answer::from_json(&call.body).unwrap()
    };
    assert_eq!(fraud.decision, Decision::Fraud);
    assert_ne!(fraud, approval);
    w.relay.on_answer(move |_| Some(fraud.clone()));
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    assert!(w
        .events
        .all()
        .iter()
        .all(|e| !matches!(e, Event::FraudReported { .. })));
    w.rp.redeem(&started.handle).await.unwrap();
    assert!(matches!(
        w.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
}

#[tokio::test]
async fn a_high_s_twin_verifies_but_concurrent_polls_resolve_once() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;

        // The twin alone is a valid answer: it resolves the challenge.
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        let original = w.relay.stored_answer(&started.challenge_id).unwrap();
        let mut twin = original.clone();
        twin.signature = assent_tests::high_s_twin(&original.signature);
        let served = twin.clone();
        w.relay.on_answer(move |_| Some(served.clone()));
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        w.relay.on_answer(Some);
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        w.rp.redeem(&started.handle).await.unwrap();
        w.relay.clear_hooks();

        // A fraud report and its twin, polled concurrently: one resolution, one event,
        // one mute.
        w.advance(1);
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Fraud, "", false)
            .await
            .unwrap();
        let original = w.relay.stored_answer(&started.challenge_id).unwrap();
        let mut twin = original.clone();
        twin.signature = assent_tests::high_s_twin(&original.signature);
        let mut calls = 0;
        w.relay.on_answer(move |a| {
            calls += 1;
            Some(if calls % 2 == 0 { twin.clone() } else { a })
        });
        let (a, b) = tokio::join!(w.poll(&started.handle), w.poll(&started.handle));
        assert_eq!(a.unwrap(), ChallengeStatus::FraudReported);
        assert_eq!(b.unwrap(), ChallengeStatus::FraudReported);
        let frauds = w
            .events
            .all()
            .into_iter()
            .filter(|e| matches!(e, Event::FraudReported { device_id, .. } if *device_id == enrolled.device_id))
            .count();
        assert_eq!(frauds, 1, "only the resolving poll has effects");
    }
}

#[tokio::test]
async fn concurrent_wrong_entries_charge_the_limiter_once() {
    let mut w = World::on(StoreKind::Sqlite).await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    let wrong = wrong_value(&started.display);
    w.phone
        .client
        .answer(&view, Decision::Approve, &wrong, false)
        .await
        .unwrap();
    let original = w.relay.stored_answer(&started.challenge_id).unwrap();
    let mut twin = original.clone();
    twin.signature = assent_tests::high_s_twin(&original.signature);
    let mut calls = 0;
    w.relay.on_answer(move |a| {
        calls += 1;
        Some(if calls % 2 == 0 { twin.clone() } else { a })
    });
    let (a, b) = tokio::join!(w.poll(&started.handle), w.poll(&started.handle));
    assert_eq!(a.unwrap(), ChallengeStatus::Denied);
    assert_eq!(b.unwrap(), ChallengeStatus::Denied);
    assert_eq!(
        w.rp.limiter_state(ALICE, Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        1
    );
}

#[tokio::test]
async fn one_pending_challenge_per_account_and_a_limit_per_window() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let first = w.start(ALICE).await.unwrap();
    assert!(matches!(
        w.start(ALICE).await,
        Err(RpError::ChallengePending)
    ));
    // Resolving it frees the slot; five per ten-minute window.
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Deny, "", false)
        .await
        .unwrap();
    w.poll(&first.handle).await.unwrap();
    for _ in 0..4 {
        let s = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Deny, "", false)
            .await
            .unwrap();
        assert_eq!(w.poll(&s.handle).await.unwrap(), ChallengeStatus::Denied);
    }
    assert!(matches!(
        w.start(ALICE).await,
        Err(RpError::TooManyChallenges { .. })
    ));
    w.advance(600);
    w.start(ALICE).await.unwrap();
}

#[tokio::test]
async fn a_lost_push_is_caught_up_by_polling() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Code).await;
    let started = w.start(ALICE).await.unwrap();
    // The push never arrives; the app opens and polls.
    let pending = w.phone.client.pending().await.unwrap();
    assert!(pending.refused.is_empty(), "{:?}", pending.refused);
    assert_eq!(pending.shown.len(), 1);
    let view = &pending.shown[0];
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(view.entry, Entry::Code);
    w.phone
        .client
        .answer(view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    // Answered: no longer listed, and the late push is refused as already seen.
    assert!(w.phone.client.pending().await.unwrap().shown.is_empty());
    let late = w.phone.push(&w.relay.last_payload()).await;
    assert!(matches!(late, Err(PhoneError::AlreadySeen)), "{late:?}");
}

#[tokio::test]
async fn user_verification_required_by_policy_is_enforced_on_both_sides() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    w.rp.set_account_policy(
        ALICE,
        AccountPolicy {
            kind: ApprovalKind::Number,
            uv: true,
        },
    )
    .await
    .unwrap();
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    assert!(view.user_verification);
    assert!(matches!(
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await,
        Err(PhoneError::UserVerificationRequired)
    ));
    w.phone
        .client
        .answer(&view, Decision::Approve, &started.display, true)
        .await
        .unwrap();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
}
