use std::sync::Arc;
use std::time::Duration;

use assent_protocol::{sha256, Answer, ApprovalKind, Decision};

use super::*;
use crate::test_push::{context, push_fixture, Phone, PushFixture};
use crate::test_support::on_both_stores;
use crate::{AccountPolicy, Error, Event, Guess, LimiterState, PushPolicy, RpStore};

async fn setup(s: Arc<dyn RpStore>) -> (PushFixture, Phone) {
    let mut f = push_fixture(s);
    let phone = f.enroll("alice", ApprovalKind::Number, 11).await;
    (f, phone)
}

async fn start(f: &mut PushFixture, account: &str) -> StartedChallenge {
    f.rp.start_challenge(account, &context(), &mut f.rng)
        .await
        .unwrap()
}

async fn start_err(f: &mut PushFixture, account: &str) -> Error {
    f.rp.start_challenge(account, &context(), &mut f.rng)
        .await
        .unwrap_err()
}

async fn check(f: &PushFixture, handle: &SessionHandle) -> crate::Result<ChallengeStatus> {
    f.rp.check(handle).await
}

/// Someone else's entry for the shown value.
fn other_than(shown: &str) -> String {
    let n: u32 = shown.parse().unwrap();
    if shown.len() == 2 {
        (10 + (n - 10 + 1) % 90).to_string()
    } else {
        format!("{:06}", (n + 1) % 1_000_000)
    }
}

/// The high-S/low-S twin of a DER signature (s' = n - s); it verifies too.
fn twin(answer: &Answer) -> Answer {
    let sig = p256::ecdsa::Signature::from_der(&answer.signature).unwrap();
    let (r, s) = sig.split_scalars();
    let flipped = p256::ecdsa::Signature::from_scalars(r, -s).unwrap();
    let mut out = answer.clone();
    out.signature = flipped.to_der().as_bytes().to_vec();
    assert_ne!(out.signature, answer.signature);
    out
}

async fn a_number_approval_logs_in_once(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let started = start(&mut f, "alice").await;
    assert_eq!(started.kind, ApprovalKind::Number);
    assert!(ApprovalKind::Number.entered_is_well_formed(&started.display));
    assert_eq!(started.device_name, "Alice's iPhone");
    assert_eq!(started.expires_at, f.now() + 120);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Pending
    );

    let challenge = f.relay.last_challenge();
    assert_eq!(challenge.challenge_id, started.challenge_id);
    // The handle never reaches the relay; the store keeps only its hash.
    let handle_text = started.handle.to_base64url();
    assert!(!challenge.to_json().contains(handle_text.as_str()));
    let rec =
        f.rp.store()
            .challenge_by_handle(&sha256(&SessionHandle::parse(&handle_text).unwrap().0[..]))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(rec.challenge, challenge);
    assert_eq!(format!("{:?}", started.handle), "SessionHandle(redacted)");

    f.clock.advance(10);
    let answer = phone.answer(&challenge, Decision::Approve, &started.display, false);
    f.relay.put_answer(&answer);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    let redeemed = f.rp.redeem(&started.handle).await.unwrap();
    assert_eq!(redeemed.account, "alice");
    assert_eq!(redeemed.device_id, phone.device_id());
    assert_eq!(redeemed.proof.by(), crate::ProvenBy::Approval);
    assert!(matches!(
        f.rp.redeem(&started.handle).await,
        Err(Error::NotRedeemable)
    ));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Redeemed
    );
    // The handle parsed back from the session works like the original.
    let parsed = SessionHandle::parse(&handle_text).unwrap();
    assert_eq!(parsed, started.handle);
    assert!(matches!(
        f.rp.redeem(&parsed).await,
        Err(Error::NotRedeemable)
    ));
}

async fn the_code_kind_and_the_device_minimum(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    // Enrolled with min `code`: a `number` policy is raised to `code`.
    let phone = f.enroll("alice", ApprovalKind::Code, 11).await;
    let started = start(&mut f, "alice").await;
    assert_eq!(started.kind, ApprovalKind::Code);
    assert!(ApprovalKind::Code.entered_is_well_formed(&started.display));
    let challenge = f.relay.last_challenge();
    let answer = phone.answer(&challenge, Decision::Approve, &started.display, false);
    f.relay.put_answer(&answer);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    assert_eq!(f.rp.redeem(&started.handle).await.unwrap().account, "alice");
}

async fn simple_only_where_the_rp_allows_it(s: Arc<dyn RpStore>) {
    let (mut f, _) = setup(s).await;
    let simple = AccountPolicy {
        kind: ApprovalKind::Simple,
        uv: false,
    };
    assert!(matches!(
        f.rp.set_account_policy("alice", simple).await,
        Err(Error::KindNotAllowed(ApprovalKind::Simple))
    ));
    assert_eq!(
        f.rp.account_policy("alice").await.unwrap(),
        AccountPolicy::default()
    );

    f.rp = f.rp.clone().with_push_policy(PushPolicy {
        allow_simple: true,
        ..PushPolicy::default()
    });
    let offer = f.offer("carol", ApprovalKind::Simple).await;
    let mut phone = Phone::new(21);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&offer.offer.eid).await.unwrap();
    phone.open_answer(&f.relay);
    let code = phone.code(f.now());
    assert!(matches!(
        f.activate("carol", &offer.offer.eid, &code).await,
        crate::ActivationResult::Activated(_)
    ));
    f.rp.set_account_policy("carol", simple).await.unwrap();
    let started = start(&mut f, "carol").await;
    assert_eq!(started.kind, ApprovalKind::Simple);
    assert!(started.display.is_empty());
    let answer = phone.answer(&f.relay.last_challenge(), Decision::Approve, "", false);
    f.relay.put_answer(&answer);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
}

async fn an_answer_with_any_field_changed_is_refused(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let started = start(&mut f, "alice").await;
    let challenge = f.relay.last_challenge();
    let good = phone.answer(&challenge, Decision::Approve, &started.display, false);
    let mut variants = Vec::new();
    let mut a = good.clone();
    a.decision = Decision::Deny;
    variants.push(a);
    let mut a = good.clone();
    a.entered = other_than(&started.display);
    variants.push(a);
    let mut a = good.clone();
    a.uv_done = true;
    variants.push(a);
    let mut a = good.clone();
    let last = a.signature.len() - 1;
    a.signature[last] ^= 1;
    variants.push(a);
    let mut a = good.clone();
    a.signature = vec![0x30, 0x00];
    variants.push(a);
    let mut a = good.clone();
    a.device_id = assent_protocol::DeviceId::from_bytes([1; 16]);
    variants.push(a);
    // Signed by another key (a relay's own).
    let mut a = Phone::new(66).signer;
    let forged = {
        let mut offer_phone = Phone::new(0);
        std::mem::swap(&mut offer_phone.signer, &mut a);
        offer_phone.offer = phone.offer.clone();
        offer_phone.k_chan = phone.k_chan.clone();
        offer_phone.enrolled = phone.enrolled.clone();
        offer_phone.answer(&challenge, Decision::Approve, &started.display, false)
    };
    variants.push(forged);
    for (i, v) in variants.iter().enumerate() {
        f.relay.put_answer_for(&challenge.challenge_id, v);
        let err = check(&f, &started.handle).await.unwrap_err();
        assert!(matches!(err, Error::InvalidAnswer(_)), "variant {i}: {err}");
        assert_eq!(
            f.rp.store()
                .challenge_by_handle(&started.handle.hash())
                .await
                .unwrap()
                .unwrap()
                .state,
            crate::ChallengeState::Pending,
            "variant {i} changed nothing"
        );
    }
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        0
    );
    f.relay.put_answer(&good);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
}

async fn an_answer_replayed_on_another_challenge_or_device_is_refused(s: Arc<dyn RpStore>) {
    let (mut f, alice) = setup(s).await;
    let bob = f.enroll("bob", ApprovalKind::Number, 12).await;
    let first = start(&mut f, "alice").await;
    let c1 = f.relay.last_challenge();
    let a1 = alice.answer(&c1, Decision::Approve, &first.display, false);
    f.relay.put_answer(&a1);
    assert_eq!(
        check(&f, &first.handle).await.unwrap(),
        ChallengeStatus::Approved
    );

    // Alice's next challenge: the relay replays the old approval.
    let second = start(&mut f, "alice").await;
    let c2 = f.relay.last_challenge();
    f.relay.put_answer_for(&c2.challenge_id, &a1);
    assert!(matches!(
        check(&f, &second.handle).await,
        Err(Error::InvalidAnswer(assent_protocol::Error::WrongChallenge))
    ));
    // Even rewritten to name the new challenge, the signature does not follow.
    let mut moved = a1.clone();
    moved.challenge_id = c2.challenge_id;
    f.relay.put_answer(&moved);
    assert!(matches!(
        check(&f, &second.handle).await,
        Err(Error::InvalidAnswer(assent_protocol::Error::BadSignature))
    ));
    // Bob's phone's approval of his own challenge, served for Alice's.
    let bobs = start(&mut f, "bob").await;
    let cb = f.relay.last_challenge();
    let ab = bob.answer(&cb, Decision::Approve, &bobs.display, false);
    f.relay.put_answer_for(&c2.challenge_id, &ab);
    assert!(matches!(
        check(&f, &second.handle).await,
        Err(Error::InvalidAnswer(assent_protocol::Error::WrongDevice))
    ));
    f.relay.put_answer_for(
        &c2.challenge_id,
        &alice.answer(&c2, Decision::Deny, "", false),
    );
    assert_eq!(
        check(&f, &second.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
}

async fn the_deadline_is_exact_by_the_rp_clock(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    // Arrives at exactly expires_at: refused.
    let late = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &late.display, false));
    f.clock.set(late.expires_at);
    assert_eq!(
        check(&f, &late.handle).await.unwrap(),
        ChallengeStatus::Expired
    );
    assert!(matches!(
        f.rp.redeem(&late.handle).await,
        Err(Error::NotRedeemable)
    ));
    // One second before: accepted.
    let on_time = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &on_time.display, false));
    f.clock.set(on_time.expires_at - 1);
    assert_eq!(
        check(&f, &on_time.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    // No answer at all: expires at the deadline, not before.
    let silent = start(&mut f, "alice").await;
    f.clock.set(silent.expires_at - 1);
    assert_eq!(
        check(&f, &silent.handle).await.unwrap(),
        ChallengeStatus::Pending
    );
    f.clock.set(silent.expires_at);
    assert_eq!(
        check(&f, &silent.handle).await.unwrap(),
        ChallengeStatus::Expired
    );
}

async fn a_wrong_entry_is_a_denial_charged_to_the_limiter(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    let wrong = other_than(&started.display);
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &wrong, false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        1
    );
    assert!(matches!(
        f.rp.redeem(&started.handle).await,
        Err(Error::NotRedeemable)
    ));
    // A plain "no" is a denial but not a failed attempt.
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay
        .put_answer(&phone.answer(&c, Decision::Deny, "", false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        1
    );
}

async fn a_code_kind_wrong_entry_is_a_denial_too(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    let phone = f.enroll("alice", ApprovalKind::Number, 11).await;
    f.rp.set_account_policy(
        "alice",
        AccountPolicy {
            kind: ApprovalKind::Code,
            uv: false,
        },
    )
    .await
    .unwrap();
    let started = start(&mut f, "alice").await;
    assert_eq!(started.kind, ApprovalKind::Code);
    let c = f.relay.last_challenge();
    let wrong = other_than(&started.display);
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &wrong, false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        1
    );
}

async fn user_verification_is_required_when_asked(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    f.rp.set_account_policy(
        "alice",
        AccountPolicy {
            kind: ApprovalKind::Number,
            uv: true,
        },
    )
    .await
    .unwrap();
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    assert!(c.uv);
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &started.display, false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &started.display, true));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
}

async fn a_second_answer_or_high_s_twin_never_resolves_twice(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    // Wrong entry and its twin, polled concurrently: both verify, one resolves, the
    // limiter is charged once.
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    let wrong = phone.answer(&c, Decision::Approve, &other_than(&started.display), false);
    let wrong_twin = twin(&wrong);
    f.relay.queue_answers(&[wrong.clone(), wrong_twin.clone()]);
    let (a, b) = tokio::join!(f.rp.check(&started.handle), f.rp.check(&started.handle));
    assert_eq!(a.unwrap(), ChallengeStatus::Denied);
    assert_eq!(b.unwrap(), ChallengeStatus::Denied);
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        1
    );
    assert_eq!(
        f.relay.with(|r| r.answer_calls),
        2,
        "both polls got an answer"
    );

    // Fraud and its twin: one mute, one event.
    f.clock.advance(10);
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    let fraud = phone.answer(&c, Decision::Fraud, "", false);
    f.relay.queue_answers(&[fraud.clone(), twin(&fraud)]);
    let (a, b) = tokio::join!(f.rp.check(&started.handle), f.rp.check(&started.handle));
    assert_eq!(a.unwrap(), ChallengeStatus::FraudReported);
    assert_eq!(b.unwrap(), ChallengeStatus::FraudReported);
    let frauds = f
        .events
        .all()
        .iter()
        .filter(|e| matches!(e, Event::FraudReported { .. }))
        .count();
    assert_eq!(frauds, 1);

    // An approval and then its twin: approved once, redeemed once.
    f.clock.advance(20 * 60);
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    let ok = phone.answer(&c, Decision::Approve, &started.display, false);
    f.relay.queue_answers(&[ok.clone(), twin(&ok)]);
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    f.rp.redeem(&started.handle).await.unwrap();
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Redeemed
    );
    assert!(matches!(
        f.rp.redeem(&started.handle).await,
        Err(Error::NotRedeemable)
    ));
    // A later denial cannot overturn the resolved approval either.
    f.relay
        .put_answer(&phone.answer(&c, Decision::Deny, "", false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Redeemed
    );
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        0,
        "redeem reset the limiter"
    );
}

async fn only_the_starting_session_can_redeem(s: Arc<dyn RpStore>) {
    let (mut f, alice) = setup(s).await;
    let bob = f.enroll("bob", ApprovalKind::Number, 12).await;
    let a = start(&mut f, "alice").await;
    let ca = f.relay.last_challenge();
    let b = start(&mut f, "bob").await;
    let cb = f.relay.last_challenge();
    f.relay
        .put_answer(&alice.answer(&ca, Decision::Approve, &a.display, false));
    assert_eq!(
        check(&f, &a.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    // Bob's session (its own challenge still pending) cannot take Alice's approval.
    assert!(matches!(
        f.rp.redeem(&b.handle).await,
        Err(Error::NotRedeemable)
    ));
    // Nor can a made-up handle.
    let forged = SessionHandle::make(&mut f.rng);
    assert!(matches!(
        f.rp.redeem(&forged).await,
        Err(Error::NotRedeemable)
    ));
    assert!(matches!(
        check(&f, &forged).await,
        Err(Error::UnknownSession)
    ));
    assert_eq!(f.rp.redeem(&a.handle).await.unwrap().account, "alice");
    assert!(matches!(
        f.rp.redeem(&a.handle).await,
        Err(Error::NotRedeemable)
    ));
    f.relay
        .put_answer(&bob.answer(&cb, Decision::Approve, &b.display, false));
    assert_eq!(
        check(&f, &b.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    assert_eq!(f.rp.redeem(&b.handle).await.unwrap().account, "bob");
}

async fn an_approval_must_be_redeemed_soon(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let grace = f.rp.push_policy().redeem_grace;
    for (late_by, redeemable) in [(grace - 1, true), (grace, false)] {
        let started = start(&mut f, "alice").await;
        let c = f.relay.last_challenge();
        f.relay
            .put_answer(&phone.answer(&c, Decision::Approve, &started.display, false));
        assert_eq!(
            check(&f, &started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        f.clock.set(started.expires_at + late_by);
        assert_eq!(
            f.rp.redeem(&started.handle).await.is_ok(),
            redeemable,
            "{late_by}"
        );
    }
}

async fn one_pending_challenge_per_account(s: Arc<dyn RpStore>) {
    let (mut f, _phone) = setup(s).await;
    let first = start(&mut f, "alice").await;
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::ChallengePending
    ));
    f.clock.set(first.expires_at);
    start(&mut f, "alice").await;
}

async fn challenges_are_limited_per_window(s: Arc<dyn RpStore>) {
    let (mut f, _phone) = setup(s).await;
    f.rp = f.rp.clone().with_push_policy(PushPolicy {
        max_pending: 100,
        ..PushPolicy::default()
    });
    let t = f.now();
    for _ in 0..5 {
        start(&mut f, "alice").await;
        f.clock.advance(1);
    }
    match start_err(&mut f, "alice").await {
        Error::TooManyChallenges { retry_after } => {
            assert_eq!(retry_after, Duration::from_secs(t + 600 - f.now()))
        }
        e => panic!("{e}"),
    }
    f.clock.set(t + 599);
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::TooManyChallenges { .. }
    ));
    f.clock.set(t + 600);
    start(&mut f, "alice").await;
}

async fn a_fraud_report_mutes_pushes_for_twenty_minutes(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay
        .put_answer(&phone.answer(&c, Decision::Fraud, "", false));
    let at = f.now();
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::FraudReported
    );
    assert!(matches!(
        f.events.all().last(),
        Some(Event::FraudReported { muted_until, .. }) if *muted_until == at + 1200
    ));
    match start_err(&mut f, "alice").await {
        Error::Muted { retry_after } => assert_eq!(retry_after, Duration::from_secs(1200)),
        e => panic!("{e}"),
    }
    f.clock.set(at + 1199);
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::Muted { .. }
    ));
    f.clock.set(at + 1200);
    start(&mut f, "alice").await;
}

/// Wrong TOTP codes throttle TOTP only: the user's push still goes out at once.
async fn wrong_totp_guesses_never_hold_up_a_push(s: Arc<dyn RpStore>) {
    let (mut f, _phone) = setup(s).await;
    for _ in 0..8 {
        let _ = f.rp.verify_totp("alice", "000000x").await.unwrap();
    }
    let totp = f.rp.limiter_state("alice", Guess::Totp).await.unwrap();
    assert!(totp.next_allowed > f.now(), "TOTP is throttled: {totp:?}");
    start(&mut f, "alice").await;
    assert_eq!(
        f.rp.limiter_state("alice", Guess::Totp).await.unwrap(),
        totp,
        "a push start neither charges nor resets TOTP"
    );
}

/// Wrong numbers typed on the phone do throttle push starts (anti push-bombing), and a
/// throttled start sends nothing and charges nothing; starting never resets the count.
async fn wrong_entries_throttle_push_starts_and_starting_resets_nothing(s: Arc<dyn RpStore>) {
    let (mut f, _phone) = setup(s).await;
    let at = f.now();
    f.rp.store()
        .update_limiter("alice", &Guess::PushEntry.into(), &mut |_| LimiterState {
            failures: 3,
            next_allowed: at,
        })
        .await
        .unwrap();
    let before = f.rp.limiter_state("alice", Guess::PushEntry).await.unwrap();
    start(&mut f, "alice").await;
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry).await.unwrap(),
        before
    );
    f.rp.store()
        .update_limiter("alice", &Guess::PushEntry.into(), &mut |_| LimiterState {
            failures: 9,
            next_allowed: at + 60,
        })
        .await
        .unwrap();
    let throttled = f.rp.limiter_state("alice", Guess::PushEntry).await.unwrap();
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::Throttled { .. }
    ));
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry).await.unwrap(),
        throttled
    );
}

async fn relay_garbage_is_a_clear_error_and_changes_nothing(s: Arc<dyn RpStore>) {
    let (mut f, phone) = setup(s).await;
    let started = start(&mut f, "alice").await;
    let c = f.relay.last_challenge();
    f.relay.with(|r| r.down = true);
    assert!(matches!(
        check(&f, &started.handle).await,
        Err(Error::Relay(_))
    ));
    f.relay.with(|r| r.down = false);
    let mut garbage = phone.answer(&c, Decision::Approve, &started.display, false);
    garbage.signature = vec![0xff; 72];
    f.relay.put_answer(&garbage);
    let err = check(&f, &started.handle).await.unwrap_err();
    assert!(matches!(err, Error::InvalidAnswer(_)));
    let mut garbage = phone.answer(&c, Decision::Approve, &started.display, false);
    garbage.entered = "abc".into();
    f.relay.put_answer(&garbage);
    assert!(matches!(
        check(&f, &started.handle).await,
        Err(Error::InvalidAnswer(_))
    ));
    assert_eq!(
        f.rp.limiter_state("alice", Guess::PushEntry)
            .await
            .unwrap()
            .failures,
        0
    );
    assert!(f
        .events
        .all()
        .iter()
        .all(|e| matches!(e, Event::NewDevice { .. })));
    // The genuine answer still counts.
    f.relay
        .put_answer(&phone.answer(&c, Decision::Approve, &started.display, false));
    assert_eq!(
        check(&f, &started.handle).await.unwrap(),
        ChallengeStatus::Approved
    );
    // Creating a challenge while the relay is down cancels it: no phantom pending one.
    f.relay.with(|r| r.down = true);
    assert!(matches!(start_err(&mut f, "alice").await, Error::Relay(_)));
    f.relay.with(|r| r.down = false);
    start(&mut f, "alice").await;
}

async fn no_active_device_no_push(s: Arc<dyn RpStore>) {
    let mut f = push_fixture(s);
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::NoActiveDevice
    ));
    // A phone awaiting activation gets none either.
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&offer.offer.eid).await.unwrap();
    assert!(matches!(
        start_err(&mut f, "alice").await,
        Error::NoActiveDevice
    ));
}

async fn session_handles_parse_strictly(_s: Arc<dyn RpStore>) {
    assert!(SessionHandle::parse("").is_err());
    assert!(SessionHandle::parse("AAAA").is_err());
    assert!(SessionHandle::parse(&"A".repeat(43)).is_ok());
    assert!(SessionHandle::parse(&format!("{}=", "A".repeat(43))).is_err());
}

on_both_stores!(
    a_number_approval_logs_in_once,
    the_code_kind_and_the_device_minimum,
    simple_only_where_the_rp_allows_it,
    an_answer_with_any_field_changed_is_refused,
    an_answer_replayed_on_another_challenge_or_device_is_refused,
    the_deadline_is_exact_by_the_rp_clock,
    a_wrong_entry_is_a_denial_charged_to_the_limiter,
    a_code_kind_wrong_entry_is_a_denial_too,
    user_verification_is_required_when_asked,
    a_second_answer_or_high_s_twin_never_resolves_twice,
    only_the_starting_session_can_redeem,
    an_approval_must_be_redeemed_soon,
    one_pending_challenge_per_account,
    challenges_are_limited_per_window,
    a_fraud_report_mutes_pushes_for_twenty_minutes,
    wrong_totp_guesses_never_hold_up_a_push,
    wrong_entries_throttle_push_starts_and_starting_resets_nothing,
    relay_garbage_is_a_clear_error_and_changes_nothing,
    no_active_device_no_push,
    session_handles_parse_strictly,
);
