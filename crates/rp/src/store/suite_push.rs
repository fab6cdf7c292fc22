//! The push-table part of the store suite, run against every [`RpStore`].
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use assent_protocol::{
    ApprovalKind, Challenge, ChallengeId, ChannelKey, DeviceId, EnrollmentId, Platform, PushId,
    Signer as _, SoftwareSigner,
};
use zeroize::Zeroizing;

use super::*;
use crate::test_support::{on_both_stores, rng};
use crate::totp_verify::TotpParams;

type Store = Arc<dyn RpStore>;

fn eid(b: u8) -> EnrollmentId {
    EnrollmentId::from_bytes([b; 16])
}

fn dev(b: u8) -> DeviceId {
    DeviceId::from_bytes([b; 16])
}

fn enrollment(b: u8, account: &str) -> EnrollmentRecord {
    EnrollmentRecord {
        eid: eid(b),
        account: account.into(),
        state: EnrollmentState::Offered,
        offer_json: Some(Zeroizing::new(format!("{{\"offer\":{b}}}"))),
        rp_private_key: Some(Zeroizing::new(vec![b; 32])),
        min: ApprovalKind::Code,
        uv: true,
        expires_at: 1_000 + u64::from(b),
        authorized_by_proof: b % 2 == 0,
        device_id: None,
        created_at: 400,
    }
}

fn device(b: u8, account: &str, created_at: u64) -> DeviceRecord {
    let signer = SoftwareSigner::make(&mut rng(u64::from(b))).unwrap();
    DeviceRecord {
        device_id: dev(b),
        account: account.into(),
        eid: eid(b),
        device_pub: signer.public_key(),
        channel_key: ChannelKey::from_bytes([b; 32]),
        platform: Platform::Android,
        name: format!("phone {b}"),
        min: ApprovalKind::Number,
        uv: false,
        totp_secret: assent_otp::Secret::from_bytes(vec![b; 20]).unwrap(),
        totp_params: TotpParams::default(),
        state: DeviceState::Pending,
        created_at,
        activate_by: created_at + 600,
        activated_at: None,
        removed_at: None,
    }
}

fn challenge(b: u8, account: &str, device: u8, created_at: u64) -> ChallengeRecord {
    ChallengeRecord {
        challenge: Challenge {
            device_id: dev(device),
            challenge_id: ChallengeId::from_bytes([b; 16]),
            created_at,
            expires_at: created_at + 120,
            kind: ApprovalKind::Number,
            uv: false,
            sealed: vec![b; 540],
        },
        account: account.into(),
        push_id: PushId::from_bytes([b ^ 0xff; 16]),
        expected: Zeroizing::new("42".into()),
        handle_hash: [b; 32],
        state: ChallengeState::Pending,
        resolved_at: None,
    }
}

const LIMITS: ChallengeLimits = ChallengeLimits {
    max_pending: 1,
    window: 600,
    max_per_window: 3,
};

fn enrollments_round_trip_and_are_claimed_once(s: Store) {
    assert!(s.enrollment(&eid(1)).unwrap().is_none());
    s.insert_enrollment(&enrollment(1, "a")).unwrap();
    s.insert_enrollment(&enrollment(2, "a")).unwrap();
    assert!(
        s.insert_enrollment(&enrollment(1, "b")).is_err(),
        "eid is unique"
    );
    assert_eq!(s.enrollment(&eid(1)).unwrap().unwrap(), enrollment(1, "a"));

    let claimed = s.claim_enrollment(&eid(1)).unwrap().unwrap();
    assert_eq!(claimed.offer_json.as_str(), "{\"offer\":1}");
    assert_eq!(claimed.rp_private_key.as_slice(), &[1; 32]);
    assert!(s.claim_enrollment(&eid(1)).unwrap().is_none(), "only once");
    assert!(s.claim_enrollment(&eid(9)).unwrap().is_none());
    let after = s.enrollment(&eid(1)).unwrap().unwrap();
    assert_eq!(after.state, EnrollmentState::Claimed);
    assert!(after.offer_json.is_none() && after.rp_private_key.is_none());

    assert!(!s
        .set_enrollment_state(
            &eid(1),
            EnrollmentState::Offered,
            EnrollmentState::Killed,
            None
        )
        .unwrap());
    assert!(s
        .set_enrollment_state(
            &eid(1),
            EnrollmentState::Claimed,
            EnrollmentState::Registered,
            Some(&dev(7))
        )
        .unwrap());
    assert_eq!(
        s.enrollment(&eid(1)).unwrap().unwrap().device_id,
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
        .unwrap());
    let killed = s.enrollment(&eid(2)).unwrap().unwrap();
    assert!(killed.offer_json.is_none() && killed.rp_private_key.is_none());
    assert!(s.claim_enrollment(&eid(2)).unwrap().is_none());
}

fn devices_round_trip_and_move_once(s: Store) {
    s.insert_device(&device(2, "a", 20)).unwrap();
    s.insert_device(&device(1, "a", 10)).unwrap();
    s.insert_device(&device(3, "b", 5)).unwrap();
    assert!(s.insert_device(&device(1, "a", 10)).is_err());
    assert_eq!(s.device(&dev(1)).unwrap().unwrap(), device(1, "a", 10));
    let ids: Vec<_> = s
        .devices("a")
        .unwrap()
        .iter()
        .map(|d| d.device_id)
        .collect();
    assert_eq!(ids, vec![dev(1), dev(2)], "oldest first");
    assert!(s.devices("z").unwrap().is_empty());

    assert!(s
        .set_device_state(&dev(1), DeviceState::Pending, DeviceState::Active, 50)
        .unwrap());
    assert!(!s
        .set_device_state(&dev(1), DeviceState::Pending, DeviceState::Active, 51)
        .unwrap());
    assert!(s
        .set_device_state(&dev(1), DeviceState::Active, DeviceState::Removed, 60)
        .unwrap());
    let d = s.device(&dev(1)).unwrap().unwrap();
    assert_eq!(d.state, DeviceState::Removed);
    assert_eq!((d.activated_at, d.removed_at), (Some(50), Some(60)));
}

fn challenge_limits_are_checked_with_the_insert(s: Store) {
    let now = 1_000;
    assert_eq!(
        s.insert_challenge(&challenge(1, "a", 1, now), &LIMITS, now)
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    assert_eq!(
        s.insert_challenge(&challenge(2, "a", 1, now), &LIMITS, now)
            .unwrap(),
        ChallengeAdmission::PendingExists
    );
    // Another account is independent.
    assert_eq!(
        s.insert_challenge(&challenge(3, "b", 2, now), &LIMITS, now)
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    // An expired pending challenge no longer blocks.
    let later = now + 120;
    assert_eq!(
        s.insert_challenge(&challenge(4, "a", 1, later), &LIMITS, later)
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
        .unwrap());
    assert_eq!(
        s.insert_challenge(&challenge(5, "a", 1, later), &LIMITS, later)
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    s.cancel_device_challenges(&dev(1), later).unwrap();
    assert_eq!(
        s.insert_challenge(&challenge(6, "a", 1, later), &LIMITS, later)
            .unwrap(),
        ChallengeAdmission::WindowFull { until: now + 600 }
    );
    assert!(
        s.challenge_by_handle(&[6; 32]).unwrap().is_none(),
        "not stored"
    );
    assert_eq!(
        s.insert_challenge(&challenge(6, "a", 1, now + 600), &LIMITS, now + 600)
            .unwrap(),
        ChallengeAdmission::Inserted
    );
    // Mutes come first and never shorten.
    s.mute_pushes("b", 5_000).unwrap();
    s.mute_pushes("b", 4_000).unwrap();
    assert_eq!(s.pushes_muted_until("b").unwrap(), Some(5_000));
    assert_eq!(s.pushes_muted_until("a").unwrap(), None);
    assert_eq!(
        s.insert_challenge(&challenge(7, "b", 2, 4_999), &LIMITS, 4_999)
            .unwrap(),
        ChallengeAdmission::Muted { until: 5_000 }
    );
    assert_eq!(
        s.insert_challenge(&challenge(7, "b", 2, 5_000), &LIMITS, 5_000)
            .unwrap(),
        ChallengeAdmission::Inserted
    );
}

fn challenges_resolve_exactly_once(s: Store) {
    let rec = challenge(1, "a", 1, 100);
    s.insert_challenge(&rec, &LIMITS, 100).unwrap();
    let got = s.challenge_by_handle(&[1; 32]).unwrap().unwrap();
    assert_eq!(got, rec);
    let id = rec.challenge.challenge_id;
    assert!(s
        .resolve_challenge(&id, ChallengeState::Pending, ChallengeState::Approved, 110)
        .unwrap());
    assert!(!s
        .resolve_challenge(&id, ChallengeState::Pending, ChallengeState::Denied, 111)
        .unwrap());
    assert!(s
        .resolve_challenge(&id, ChallengeState::Approved, ChallengeState::Redeemed, 112)
        .unwrap());
    assert!(!s
        .resolve_challenge(&id, ChallengeState::Approved, ChallengeState::Redeemed, 113)
        .unwrap());
    let got = s.challenge_by_handle(&[1; 32]).unwrap().unwrap();
    assert_eq!(
        (got.state, got.resolved_at),
        (ChallengeState::Redeemed, Some(112))
    );
    // Cancelling touches only pending challenges of that device.
    s.insert_challenge(&challenge(2, "b", 2, 100), &LIMITS, 100)
        .unwrap();
    assert_eq!(s.cancel_device_challenges(&dev(1), 120).unwrap(), 0);
    assert_eq!(s.cancel_device_challenges(&dev(2), 120).unwrap(), 1);
    assert_eq!(
        s.challenge_by_handle(&[2; 32]).unwrap().unwrap().state,
        ChallengeState::Cancelled
    );
}

fn account_policy_round_trips_beside_the_mute(s: Store) {
    let p = crate::AccountPolicy {
        kind: ApprovalKind::Code,
        uv: true,
    };
    assert_eq!(s.account_policy("a").unwrap(), None);
    s.mute_pushes("a", 10).unwrap();
    assert_eq!(s.account_policy("a").unwrap(), None);
    s.set_account_policy("a", &p).unwrap();
    assert_eq!(s.account_policy("a").unwrap(), Some(p));
    assert_eq!(s.pushes_muted_until("a").unwrap(), Some(10));
}

fn deleting_an_account_removes_its_push_state(s: Store) {
    s.insert_enrollment(&enrollment(1, "a")).unwrap();
    s.insert_device(&device(1, "a", 1)).unwrap();
    s.insert_challenge(&challenge(1, "a", 1, 1), &LIMITS, 1)
        .unwrap();
    s.mute_pushes("a", 99).unwrap();
    s.insert_device(&device(2, "b", 1)).unwrap();
    s.delete_account("a").unwrap();
    assert!(s.enrollment(&eid(1)).unwrap().is_none());
    assert!(s.device(&dev(1)).unwrap().is_none());
    assert!(s.challenge_by_handle(&[1; 32]).unwrap().is_none());
    assert_eq!(s.pushes_muted_until("a").unwrap(), None);
    assert!(s.device(&dev(2)).unwrap().is_some());
}

on_both_stores!(
    enrollments_round_trip_and_are_claimed_once,
    devices_round_trip_and_move_once,
    challenge_limits_are_checked_with_the_insert,
    challenges_resolve_exactly_once,
    account_policy_round_trips_beside_the_mute,
    deleting_an_account_removes_its_push_state,
);
