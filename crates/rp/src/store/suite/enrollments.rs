//! The store suite for enrollment offers.

use super::*;

async fn enrollments_round_trip_and_are_claimed_once(s: Store) {
    assert!(s.enrollment(&eid(1)).await.unwrap().is_none());
    s.insert_enrollment(&enrollment(1, "a")).await.unwrap();
    s.insert_enrollment(&enrollment(2, "a")).await.unwrap();
    assert!(
        s.insert_enrollment(&enrollment(1, "b")).await.is_err(),
        "eid is unique"
    );
    assert_eq!(
        s.enrollment(&eid(1)).await.unwrap().unwrap(),
        enrollment(1, "a")
    );

    let claimed = s.claim_enrollment(&eid(1)).await.unwrap().unwrap();
    assert_eq!(claimed.offer_json.as_str(), "{\"offer\":1}");
    assert_eq!(claimed.rp_private_key.as_slice(), &[1; 32]);
    assert!(
        s.claim_enrollment(&eid(1)).await.unwrap().is_none(),
        "only once"
    );
    assert!(s.claim_enrollment(&eid(9)).await.unwrap().is_none());
    let after = s.enrollment(&eid(1)).await.unwrap().unwrap();
    assert_eq!(after.state, EnrollmentState::Claimed);
    assert!(after.offer_json.is_none() && after.rp_private_key.is_none());

    assert!(!s
        .set_enrollment_state(
            &eid(1),
            EnrollmentState::Offered,
            EnrollmentState::Killed,
            None
        )
        .await
        .unwrap());
    assert!(s
        .set_enrollment_state(
            &eid(1),
            EnrollmentState::Claimed,
            EnrollmentState::Registered,
            Some(&dev(7))
        )
        .await
        .unwrap());
    assert_eq!(
        s.enrollment(&eid(1)).await.unwrap().unwrap().device_id,
        Some(dev(7))
    );
    // Killing wipes the secrets of an unclaimed offer.
    assert!(s
        .set_enrollment_state(
            &eid(2),
            EnrollmentState::Offered,
            EnrollmentState::Killed,
            None
        )
        .await
        .unwrap());
    let killed = s.enrollment(&eid(2)).await.unwrap().unwrap();
    assert!(killed.offer_json.is_none() && killed.rp_private_key.is_none());
    assert!(s.claim_enrollment(&eid(2)).await.unwrap().is_none());
}

on_every_store!(enrollments_round_trip_and_are_claimed_once,);
