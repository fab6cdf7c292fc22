//! The store suite for challenges: admission under the limits, exactly-once resolution.

use super::*;

async fn challenge_limits_are_checked_with_the_insert(s: Store) {
    let now = 1_000;
    assert_eq!(
        s.insert_challenge(&challenge(1, "a", 1, now), &LIMITS, now)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    assert_eq!(
        s.insert_challenge(&challenge(2, "a", 1, now), &LIMITS, now)
            .await
            .unwrap(),
        ChallengeAdmission::PendingExists
    );
    // Another account is independent.
    assert_eq!(
        s.insert_challenge(&challenge(3, "b", 2, now), &LIMITS, now)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    // An expired pending challenge no longer blocks.
    let later = now + 120;
    assert_eq!(
        s.insert_challenge(&challenge(4, "a", 1, later), &LIMITS, later)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    assert!(s
        .resolve_challenge(
            &ChallengeId::from_bytes([4; 16]),
            ChallengeState::Pending,
            ChallengeState::Denied,
            later
        )
        .await
        .unwrap());
    assert_eq!(
        s.insert_challenge(&challenge(5, "a", 1, later), &LIMITS, later)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    s.cancel_device_challenges(&dev(1), later).await.unwrap();
    assert_eq!(
        s.insert_challenge(&challenge(6, "a", 1, later), &LIMITS, later)
            .await
            .unwrap(),
        ChallengeAdmission::WindowFull { until: now + 600 }
    );
    assert!(
        s.challenge_by_handle(&[6; 32]).await.unwrap().is_none(),
        "not stored"
    );
    assert_eq!(
        s.insert_challenge(&challenge(6, "a", 1, now + 600), &LIMITS, now + 600)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    // Mutes come first and never shorten.
    s.mute_pushes("b", 5_000).await.unwrap();
    s.mute_pushes("b", 4_000).await.unwrap();
    assert_eq!(s.pushes_muted_until("b").await.unwrap(), Some(5_000));
    assert_eq!(s.pushes_muted_until("a").await.unwrap(), None);
    assert_eq!(
        s.insert_challenge(&challenge(7, "b", 2, 4_999), &LIMITS, 4_999)
            .await
            .unwrap(),
        ChallengeAdmission::Muted { until: 5_000 }
    );
    assert_eq!(
        s.insert_challenge(&challenge(7, "b", 2, 5_000), &LIMITS, 5_000)
            .await
            .unwrap(),
        ChallengeAdmission::Inserted
    );
}

async fn challenges_resolve_exactly_once(s: Store) {
    let rec = challenge(1, "a", 1, 100);
    s.insert_challenge(&rec, &LIMITS, 100).await.unwrap();
    let got = s.challenge_by_handle(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(got, rec);
    let id = rec.challenge.challenge_id;
    assert!(s
        .resolve_challenge(&id, ChallengeState::Pending, ChallengeState::Approved, 110)
        .await
        .unwrap());
    assert!(!s
        .resolve_challenge(&id, ChallengeState::Pending, ChallengeState::Denied, 111)
        .await
        .unwrap());
    assert!(s
        .resolve_challenge(&id, ChallengeState::Approved, ChallengeState::Redeemed, 112)
        .await
        .unwrap());
    assert!(!s
        .resolve_challenge(&id, ChallengeState::Approved, ChallengeState::Redeemed, 113)
        .await
        .unwrap());
    let got = s.challenge_by_handle(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(
        (got.state, got.resolved_at),
        (ChallengeState::Redeemed, Some(112))
    );
    // Cancelling touches only pending challenges of that device.
    s.insert_challenge(&challenge(2, "b", 2, 100), &LIMITS, 100)
        .await
        .unwrap();
    assert_eq!(s.cancel_device_challenges(&dev(1), 120).await.unwrap(), 0);
    assert_eq!(s.cancel_device_challenges(&dev(2), 120).await.unwrap(), 1);
    assert_eq!(
        s.challenge_by_handle(&[2; 32])
            .await
            .unwrap()
            .unwrap()
            .state,
        ChallengeState::Cancelled
    );
}

on_every_store!(
    challenge_limits_are_checked_with_the_insert,
    challenges_resolve_exactly_once,
);
