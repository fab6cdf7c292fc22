use std::sync::Arc;

use assent_protocol::ApprovalKind;

use crate::test_push::{push_fixture, PushFixture};
use crate::test_support::{on_both_stores, rng};
use crate::{EnrollmentAuthorization, Error, Event, OfferRequest, RpStore, Verification};

async fn enrolled(s: Arc<dyn RpStore>) -> (PushFixture, Vec<String>) {
    let mut f = push_fixture(s);
    f.enroll("alice", ApprovalKind::Number, 11).await;
    let codes =
        f.rp.generate_backup_codes("alice", &mut rng(2))
            .await
            .unwrap();
    (f, codes.iter().map(str::to_owned).collect())
}

/// Issue 13 finding 3: with its last phone gone and backup codes left, the account keeps
/// two-step verification: the next phone needs a proof, as the next login does.
async fn removing_the_last_phone_leaves_two_step_on_while_backup_codes_remain(s: Arc<dyn RpStore>) {
    let (mut f, _codes) = enrolled(s).await;
    let device = f.rp.devices("alice").await.unwrap()[0].device_id;
    assert!(f
        .rp
        .remove_device("alice", &device, &mut rng(3))
        .await
        .unwrap());
    assert!(f.rp.has_second_factor("alice").await.unwrap());
    let first = f
        .try_offer(
            "alice",
            &OfferRequest::new("Example", "alice"),
            EnrollmentAuthorization::NoSecondFactorYet,
        )
        .await;
    assert!(
        matches!(first, Err(Error::SecondFactorRequired)),
        "{first:?}"
    );
}

/// Turning it off takes a fresh proof; a stale one changes nothing. Then every factor is
/// gone at once (the phone at the relay too), and the user is told.
async fn turning_off_needs_a_fresh_proof_and_removes_every_factor(s: Arc<dyn RpStore>) {
    let (mut f, codes) = enrolled(s).await;
    let app =
        f.rp.create_app_password("alice", "mail", &mut rng(4))
            .await
            .unwrap();
    let stale =
        f.rp.prove_with_backup_code("alice", &codes[0])
            .await
            .unwrap()
            .unwrap();
    f.clock.advance(f.rp.push_policy().proof_max_age + 1);
    let refused = f.rp.turn_off_two_step(stale, &mut rng(5)).await;
    assert!(
        matches!(refused, Err(Error::ProofRefused(_))),
        "{refused:?}"
    );
    assert_eq!(f.rp.devices("alice").await.unwrap().len(), 1);
    assert!(f.rp.has_second_factor("alice").await.unwrap());

    let proof =
        f.rp.prove_with_backup_code("alice", &codes[1])
            .await
            .unwrap()
            .unwrap();
    let done = f.rp.turn_off_two_step(proof, &mut rng(6)).await.unwrap();
    assert_eq!(
        (
            done.devices_removed,
            done.backup_codes_revoked,
            done.app_passwords_revoked
        ),
        (1, 8, 1)
    );
    assert!(!f.rp.has_second_factor("alice").await.unwrap());
    assert!(f.rp.devices("alice").await.unwrap().is_empty());
    assert_eq!(f.relay.with(|r| r.removed.len()), 1, "the relay was told");
    assert_eq!(
        f.rp.verify_backup_code("alice", &codes[2]).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        f.rp.verify_app_password("alice", app.password())
            .await
            .unwrap(),
        Verification::Rejected
    );
    let now = f.now();
    assert!(f.events.all().contains(&Event::TwoStepTurnedOff {
        account: "alice".into(),
        at: now,
    }));
    // Off means off: a first factor can be set up again without a proof.
    assert!(f
        .try_offer(
            "alice",
            &OfferRequest::new("Example", "alice"),
            EnrollmentAuthorization::NoSecondFactorYet,
        )
        .await
        .is_ok());
}

on_both_stores!(
    removing_the_last_phone_leaves_two_step_on_while_backup_codes_remain,
    turning_off_needs_a_fresh_proof_and_removes_every_factor,
);
