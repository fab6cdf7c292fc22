//! The store test suite, run against every [`RpStore`] backend (the memory store, an
//! in-memory SQLite database, an SQLite file and, with the `postgres` feature, a new
//! PostgreSQL database), one file per record family. The records it stores are made
//! here.

mod accounts;
mod app_passwords;
mod challenges;
mod codes;
mod devices;
mod enrollments;
mod orgs;
mod throttle;
mod totp;
mod trusted_browsers;

use std::sync::Arc;

use assent_otp::{Algorithm, Secret};
use assent_protocol::{Challenge, ChannelKey, Platform, PushId, Signer as _, SoftwareSigner};
use zeroize::Zeroizing;

pub(super) use super::*;
pub(super) use crate::store::TotpParams;
pub(super) use crate::store::{Guess, LimiterState};
pub(super) use crate::test_support::on_every_store;
use crate::test_support::rng;
pub(super) use assent_protocol::{ApprovalKind, ChallengeId, DeviceId, EnrollmentId};

pub(super) type Store = Arc<dyn RpStore>;

pub(super) fn totp_record(byte: u8) -> TotpRecord {
    TotpRecord {
        secret: Secret::from_bytes(vec![byte; 20]).unwrap(),
        params: TotpParams {
            algorithm: Algorithm::Sha256,
            digits: 8,
            period: 60,
        },
        last_step: None,
        created_at: 1_700_000_000,
    }
}

pub(super) fn code(id: &str, hash: &str) -> BackupCodeRecord {
    BackupCodeRecord {
        id: id.into(),
        hash: hash.into(),
        used_at: None,
    }
}

pub(super) fn app_password(id: &str, created_at: u64) -> AppPasswordRecord {
    AppPasswordRecord {
        info: AppPasswordInfo {
            id: id.into(),
            name: format!("tool {id}"),
            created_at,
            last_used_at: None,
            revoked_at: None,
        },
        hash: format!("hash-{id}"),
    }
}

pub(super) fn eid(b: u8) -> EnrollmentId {
    EnrollmentId::from_bytes([b; 16])
}

pub(super) fn dev(b: u8) -> DeviceId {
    DeviceId::from_bytes([b; 16])
}

pub(super) fn enrollment(b: u8, account: &str) -> EnrollmentRecord {
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

pub(super) fn device(b: u8, account: &str, created_at: u64) -> DeviceRecord {
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

pub(super) fn challenge(b: u8, account: &str, device: u8, created_at: u64) -> ChallengeRecord {
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

pub(super) const LIMITS: ChallengeLimits = ChallengeLimits {
    max_pending: 1,
    window: 600,
    max_per_window: 3,
};
