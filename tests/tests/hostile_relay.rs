//! A malicious relay, end to end: it rewrites, replays, injects and drops challenges and
//! answers. The phone shows nothing it did not get from the RP, and the RP approves
//! nothing the phone did not sign (DESIGN.md §1–§5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assent_core::{Decision, Error as PhoneError};
use assent_protocol::{
    Answer, ApprovalKind, Challenge, ChallengeId, ChallengeParams, ChannelKey, DeviceId, PushId,
};
use assent_rp::{ChallengeStatus, Error as RpError, Event, Guess};
use assent_tests::{context, rp_id, StoreKind, World, ALICE};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

type AlterChallenge = fn(&mut Challenge);

fn refused_as(field: &str, got: &assent_core::Result<assent_core::ChallengeView>) -> bool {
    match field {
        "device_id" => matches!(got, Err(PhoneError::UnknownDevice)),
        "kind down" => matches!(
            got,
            Err(PhoneError::Downgraded {
                kind: ApprovalKind::Simple,
                min: ApprovalKind::Number
            })
        ),
        "expires_at = created_at" | "sealed truncated" => {
            matches!(got, Err(PhoneError::Protocol(_)))
        }
        _ => matches!(got, Err(PhoneError::ChallengeTampered)),
    }
}

#[tokio::test]
async fn any_change_to_a_challenge_header_or_body_is_refused_and_nothing_is_shown() {
    let cases: [(&str, AlterChallenge); 11] = [
        ("device_id", |c| c.device_id = DeviceId::from_bytes([7; 16])),
        ("challenge_id", |c| {
            c.challenge_id = ChallengeId::from_bytes([7; 16])
        }),
        ("created_at", |c| c.created_at -= 1),
        ("expires_at later", |c| c.expires_at += 600),
        ("expires_at earlier", |c| c.expires_at -= 60),
        ("expires_at = created_at", |c| c.expires_at = c.created_at),
        ("kind up", |c| c.kind = ApprovalKind::Code),
        ("kind down", |c| c.kind = ApprovalKind::Simple),
        ("uv", |c| c.uv = !c.uv),
        ("sealed", |c| c.sealed[100] ^= 1),
        ("sealed truncated", |c| {
            c.sealed.pop();
        }),
    ];
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        w.enroll_phone(ApprovalKind::Number).await;
        let started = w.start(ALICE).await.unwrap();
        for (field, alter) in cases {
            w.relay.on_challenge(move |mut c| {
                alter(&mut c);
                Some(c)
            });
            // By push …
            let got = w.deliver_push().await;
            assert!(refused_as(field, &got), "{field}: {got:?}");
            // … and by poll.
            let polled = w.phone.client.pending().await.unwrap();
            assert!(polled.shown.is_empty(), "{field}");
            assert_eq!(polled.refused.len(), 1, "{field}");
            assert!(w.relay.stored_answer(&started.challenge_id).is_none());
        }
        // Nothing was recorded as seen: the genuine challenge still opens, once.
        w.relay.clear_hooks();
        let view = w.deliver_push().await.unwrap();
        assert_eq!(view.challenge_id, started.challenge_id);
        assert!(matches!(
            w.deliver_push().await,
            Err(PhoneError::AlreadySeen)
        ));
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
    }
}

#[tokio::test]
async fn a_downgraded_kind_is_refused_against_the_pinned_minimum() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Code).await;
    w.start(ALICE).await.unwrap();
    for kind in [ApprovalKind::Number, ApprovalKind::Simple] {
        w.relay.on_challenge(move |mut c| {
            c.kind = kind;
            Some(c)
        });
        let got = w.deliver_push().await;
        assert!(
            matches!(got, Err(PhoneError::Downgraded { kind: k, min: ApprovalKind::Code }) if k == kind),
            "{got:?}"
        );
    }
}

#[tokio::test]
async fn a_challenge_the_relay_makes_itself_is_refused() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let mut rng = ChaCha20Rng::seed_from_u64(666);
    // Well formed, for the right device, fresh — but sealed under a key of the relay's.
    let forged = Challenge::make(
        &rp_id(),
        &ChannelKey::make(&mut rng),
        &ChallengeParams {
            device_id: enrolled.device_id,
            kind: ApprovalKind::Number,
            uv: false,
            created_at: w.now(),
            ttl: 120,
        },
        &context(w.now()),
        &mut rng,
    )
    .unwrap();
    let push_id = PushId::make(&mut rng);
    w.relay.inject_challenge(forged.clone(), push_id);
    let got = w.deliver_push().await;
    assert!(matches!(got, Err(PhoneError::ChallengeTampered)), "{got:?}");
    let polled = w.phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
    assert!(matches!(
        polled.refused[0].error,
        PhoneError::ChallengeTampered
    ));
}

#[tokio::test]
async fn a_challenge_for_another_account_of_the_same_phone_cannot_be_retargeted() {
    let mut w = World::sqlite().await;
    let alice = w.enroll_phone(ApprovalKind::Number).await;
    w.enroll_account("bob", ApprovalKind::Number).await;
    w.start("bob").await.unwrap();
    // The relay relabels bob's genuine challenge as alice's.
    let alice_device = alice.device_id;
    w.relay.on_challenge(move |mut c| {
        c.device_id = alice_device;
        Some(c)
    });
    let got = w.deliver_push().await;
    assert!(matches!(got, Err(PhoneError::ChallengeTampered)), "{got:?}");
}

#[tokio::test]
async fn an_old_challenge_replayed_is_refused() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let first = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &first.display, false)
        .await
        .unwrap();
    w.poll(&first.handle).await.unwrap();
    w.rp.redeem(&first.handle).await.unwrap();
    let old = w.relay.challenge(&first.challenge_id);

    // Re-pushed under a fresh push id while still unexpired: already seen.
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    w.relay
        .inject_challenge(old.clone(), PushId::make(&mut rng));
    assert!(matches!(
        w.deliver_push().await,
        Err(PhoneError::AlreadySeen)
    ));
    // Served in place of a new genuine challenge, by push and by poll: refused too.
    w.advance(1);
    let second = w.start(ALICE).await.unwrap();
    let replay = old.clone();
    w.relay.on_challenge(move |_| Some(replay.clone()));
    assert!(matches!(
        w.deliver_push().await,
        Err(PhoneError::AlreadySeen)
    ));
    let polled = w.phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
    assert!(matches!(polled.refused[0].error, PhoneError::AlreadySeen));
    w.relay.clear_hooks();
    let view = w.deliver_push().await.unwrap();
    assert_eq!(view.challenge_id, second.challenge_id);
    w.phone
        .client
        .answer(&view, Decision::Deny, "", false)
        .await
        .unwrap();
    w.poll(&second.handle).await.unwrap();

    // Long after: expired (whether or not the phone still remembers the id).
    w.advance(3600);
    w.relay.inject_challenge(old, PushId::make(&mut rng));
    let got = w.deliver_push().await;
    assert!(
        matches!(
            got,
            Err(PhoneError::ChallengeExpired | PhoneError::AlreadySeen)
        ),
        "{got:?}"
    );
    // A relay lying about its time so the old one looks fresh still cannot get it shown:
    // the phone remembers ids until they expire by both clocks.
    let old = w.relay.challenge(&first.challenge_id);
    w.relay.set_time_lie(-3601);
    w.relay.inject_challenge(old, PushId::make(&mut rng));
    let got = w.deliver_push().await;
    assert!(
        matches!(
            got,
            Err(PhoneError::ChallengeExpired | PhoneError::AlreadySeen)
        ),
        "{got:?}"
    );
}

#[tokio::test]
async fn an_opened_but_unanswered_challenge_is_never_pushed_twice() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    w.deliver_push().await.unwrap();
    // The relay pushes the same challenge again (push bombing with one challenge).
    let old = w.relay.challenge(&started.challenge_id);
    w.relay
        .inject_challenge(old, PushId::make(&mut ChaCha20Rng::seed_from_u64(3)));
    assert!(matches!(
        w.deliver_push().await,
        Err(PhoneError::AlreadySeen)
    ));
}

type AlterAnswer = fn(&mut Answer);

#[tokio::test]
async fn any_change_to_an_answer_is_refused_and_the_challenge_stays_pending() {
    let cases: [(&str, AlterAnswer); 9] = [
        ("decision deny", |a| a.decision = Decision::Deny),
        ("decision fraud", |a| a.decision = Decision::Fraud),
        ("entered", |a| {
            let n: u32 = a.entered.parse().unwrap();
            a.entered = (if n == 99 { 10 } else { n + 1 }).to_string()
        }),
        ("uv_done", |a| a.uv_done = !a.uv_done),
        ("device_id", |a| a.device_id = DeviceId::from_bytes([7; 16])),
        ("challenge_id", |a| {
            a.challenge_id = ChallengeId::from_bytes([7; 16])
        }),
        ("signature", |a| {
            let n = a.signature.len();
            a.signature[n - 1] ^= 1
        }),
        ("signature empty", |a| a.signature.clear()),
        ("signature of another message", |a| a.signature[10] ^= 0x40),
    ];
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        w.enroll_phone(ApprovalKind::Number).await;
        let started = w.start(ALICE).await.unwrap();
        let view = w.deliver_push().await.unwrap();
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        for (field, alter) in cases {
            w.relay.on_answer(move |mut a| {
                alter(&mut a);
                Some(a)
            });
            let got = w.poll(&started.handle).await;
            assert!(
                matches!(got, Err(RpError::InvalidAnswer(_))),
                "{field}: {got:?}"
            );
            assert!(matches!(
                w.rp.redeem(&started.handle).await,
                Err(RpError::NotRedeemable)
            ));
        }
        // No forged answer had an effect: no mute, no limiter charge.
        assert!(w
            .events
            .all()
            .iter()
            .all(|e| !matches!(e, Event::FraudReported { .. })));
        assert_eq!(
            w.rp.limiter_state(ALICE, Guess::PushEntry)
                .await
                .unwrap()
                .failures,
            0
        );
        w.relay.clear_hooks();
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
    }
}

#[tokio::test]
async fn a_denial_cannot_be_turned_into_an_approval() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Deny, "", false)
        .await
        .unwrap();
    // Even knowing the number shown on the login page.
    let shown = started.display.to_string();
    w.relay.on_answer(move |mut a| {
        a.decision = Decision::Approve;
        a.entered = shown.clone();
        Some(a)
    });
    assert!(matches!(
        w.poll(&started.handle).await,
        Err(RpError::InvalidAnswer(_))
    ));
    assert!(matches!(
        w.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
    w.relay.clear_hooks();
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Denied
    );
}

#[tokio::test]
async fn an_answer_replayed_onto_another_challenge_is_refused() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    w.enroll_account("bob", ApprovalKind::Number).await;
    let first = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &first.display, false)
        .await
        .unwrap();
    w.poll(&first.handle).await.unwrap();
    w.rp.redeem(&first.handle).await.unwrap();
    let old = w.relay.stored_answer(&first.challenge_id).unwrap();

    // The next login of the same account, and another account's login.
    w.advance(1);
    let second = w.start(ALICE).await.unwrap();
    let bobs = w.start("bob").await.unwrap();
    for target in [&second, &bobs] {
        let target_id = target.challenge_id;
        // As is: names the old challenge.
        let replay = old.clone();
        w.relay.on_answer(move |_| Some(replay.clone()));
        // Relay serves it for `target` even though nothing was answered there.
        w.relay.serve_answer(target_id, old.clone());
        assert!(matches!(
            w.poll(&target.handle).await,
            Err(RpError::InvalidAnswer(_))
        ));
        // Relabelled with the new challenge's id (and device): the signature fails.
        let mut relabelled = old.clone();
        relabelled.challenge_id = target_id;
        relabelled.device_id = target.device_id;
        w.relay.on_answer(move |_| Some(relabelled.clone()));
        assert!(matches!(
            w.poll(&target.handle).await,
            Err(RpError::InvalidAnswer(assent_protocol::Error::BadSignature))
        ));
        assert!(matches!(
            w.rp.redeem(&target.handle).await,
            Err(RpError::NotRedeemable)
        ));
        w.relay.clear_hooks();
    }
}

#[tokio::test]
async fn a_dropped_answer_never_approves_and_the_challenge_expires() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    w.relay.on_answer(|_| None);
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Pending
    );
    w.clock.set(started.expires_at);
    w.relay.clear_hooks();
    // The answer shows up after the deadline: too late, by the RP's clock.
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        ChallengeStatus::Expired
    );
    assert!(matches!(
        w.rp.redeem(&started.handle).await,
        Err(RpError::NotRedeemable)
    ));
}

#[tokio::test]
async fn the_relay_never_sees_the_context_or_the_displayed_value() {
    let mut w = World::sqlite().await;
    w.enroll_phone(ApprovalKind::Code).await;
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    // The RP API traffic the relay stores: the challenge (sealed context, fixed size).
    let challenge = w.relay.challenge(&started.challenge_id).to_json();
    for secret in ["Firefox", "203.0.113.7", "Bern", started.display.as_str()] {
        assert!(!challenge.contains(secret), "{secret} leaked to the relay");
    }
    // The typed code does go through the relay inside the signed answer: it is only
    // useful for this challenge, which the relay cannot redeem (no session handle).
    let answer = w.relay.stored_answer(&started.challenge_id).unwrap();
    assert_eq!(answer.entered, started.display.as_str());
}
