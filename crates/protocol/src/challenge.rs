//! Challenges: the header `H` the phone checks, and the login context sealed under the
//! channel key with `aad = H`.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::context::{LoginContext, CONTEXT_PADDED_LEN};
use crate::encoding::{b64_vec, sha256, Enc};
use crate::error::{Error, Result};
use crate::ids::{ChallengeId, DeviceId};
use crate::keys::ChannelKey;
use crate::kinds::ApprovalKind;
use crate::rp_id::RpId;
use crate::seal::{open, seal, SEAL_OVERHEAD};

/// Default lifetime of a challenge, by the RP's clock.
pub const DEFAULT_CHALLENGE_TTL: u64 = 120;
/// Size of every sealed challenge body.
pub const SEALED_CONTEXT_LEN: usize = CONTEXT_PADDED_LEN + SEAL_OVERHEAD;

/// A challenge as the relay stores and serves it (JSON), and as the RP keeps it to verify
/// the answer. The number or code shown on the login page is not in it: the user carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The device (enrollment) asked.
    pub device_id: DeviceId,
    /// Fresh random id; the phone remembers those it has seen until `expires_at`.
    pub challenge_id: ChallengeId,
    /// RP's time of creation (Unix seconds). Authenticated once opened, so the phone may use
    /// it to correct its TOTP display (capped at one step).
    pub created_at: u64,
    /// RP's deadline (Unix seconds).
    pub expires_at: u64,
    /// What the user must do.
    pub kind: ApprovalKind,
    /// User verification required.
    pub uv: bool,
    /// The padded [`LoginContext`] sealed under `k_chan` with `aad = H`.
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

/// `H = enc("assent/v1/challenge", rp_id, device_id, challenge_id, created_at, expires_at, kind, uv)`.
pub fn challenge_header(
    rp_id: &RpId,
    device_id: &DeviceId,
    challenge_id: &ChallengeId,
    created_at: u64,
    expires_at: u64,
    kind: ApprovalKind,
    uv: bool,
) -> Vec<u8> {
    Enc::new("assent/v1/challenge")
        .str(rp_id.as_str())
        .bytes(device_id.as_bytes())
        .bytes(challenge_id.as_bytes())
        .u64(created_at)
        .u64(expires_at)
        .str(kind.as_str())
        .bool(uv)
        .finish()
}

/// The RP's choices for a new challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeParams {
    /// The device asked.
    pub device_id: DeviceId,
    /// Approval kind (never below the account's policy and the enrollment's minimum).
    pub kind: ApprovalKind,
    /// Require user verification.
    pub uv: bool,
    /// Now, by the RP's clock.
    pub created_at: u64,
    /// Lifetime in seconds (e.g. [`DEFAULT_CHALLENGE_TTL`]); at least 1.
    pub ttl: u64,
}

/// A challenge the phone opened and may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedChallenge {
    /// Who asks.
    pub context: LoginContext,
    /// What the user must do.
    pub kind: ApprovalKind,
    /// Whether the app must verify the user before approving.
    pub uv: bool,
    /// The RP's creation time, now authenticated.
    pub created_at: u64,
    /// The RP's deadline, authenticated.
    pub expires_at: u64,
}

impl Challenge {
    /// RP: makes a challenge with a fresh id, sealing `context` under `k_chan`.
    pub fn make(
        rp_id: &RpId,
        k_chan: &ChannelKey,
        params: &ChallengeParams,
        context: &LoginContext,
        rng: &mut impl CryptoRng,
    ) -> Result<Challenge> {
        if params.ttl == 0 {
            return Err(Error::invalid("ttl", "must be at least 1 second"));
        }
        let challenge_id = ChallengeId::make(rng);
        let expires_at = params
            .created_at
            .checked_add(params.ttl)
            .ok_or(Error::invalid("ttl", "overflows"))?;
        let h = challenge_header(
            rp_id,
            &params.device_id,
            &challenge_id,
            params.created_at,
            expires_at,
            params.kind,
            params.uv,
        );
        let sealed = seal(k_chan, &h, &context.to_padded(), rng)?;
        Ok(Challenge {
            device_id: params.device_id,
            challenge_id,
            created_at: params.created_at,
            expires_at,
            kind: params.kind,
            uv: params.uv,
            sealed,
        })
    }

    /// This challenge's `H` for `rp_id`.
    pub fn header(&self, rp_id: &RpId) -> Vec<u8> {
        challenge_header(
            rp_id,
            &self.device_id,
            &self.challenge_id,
            self.created_at,
            self.expires_at,
            self.kind,
            self.uv,
        )
    }

    /// `SHA-256(sealed)`, which the answer signs.
    pub fn sealed_digest(&self) -> [u8; 32] {
        sha256(&self.sealed)
    }

    /// Phone: checks the header against this account's policy and opens the body.
    ///
    /// In order: [`Error::WrongDevice`] if it names another device; [`Error::Malformed`] if
    /// `created_at >= expires_at` or the body is not the fixed size; [`Error::Downgraded`]
    /// if `kind < min`; [`Error::Expired`] if `now_estimate >= expires_at` (the phone's
    /// estimate of the RP's time; advisory, the RP decides); [`Error::Tampered`] if the
    /// body or any header field was changed or the key is not this channel's. Whether the
    /// id was seen before is the caller's check (keep ids until `expires_at`).
    pub fn open(
        &self,
        rp_id: &RpId,
        own_device_id: &DeviceId,
        k_chan: &ChannelKey,
        min: ApprovalKind,
        now_estimate: u64,
    ) -> Result<OpenedChallenge> {
        if &self.device_id != own_device_id {
            return Err(Error::WrongDevice);
        }
        if self.created_at >= self.expires_at {
            return Err(Error::Malformed("challenge expires before it is created"));
        }
        if self.sealed.len() != SEALED_CONTEXT_LEN {
            return Err(Error::Malformed(
                "sealed challenge body is not the fixed size",
            ));
        }
        if self.kind < min {
            return Err(Error::Downgraded {
                kind: self.kind,
                min,
            });
        }
        if now_estimate >= self.expires_at {
            return Err(Error::Expired);
        }
        let body = open(k_chan, &self.header(rp_id), &self.sealed)?;
        let context = LoginContext::from_padded(&body)?;
        Ok(OpenedChallenge {
            context,
            kind: self.kind,
            uv: self.uv,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        crate::encoding::from_json(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    pub(crate) const NOW: u64 = 1_700_000_000;

    pub(crate) struct Fixture {
        pub rp: RpId,
        pub k: ChannelKey,
        pub device: DeviceId,
        pub challenge: Challenge,
        pub context: LoginContext,
        pub rng: ChaCha20Rng,
    }

    pub(crate) fn fixture(kind: ApprovalKind) -> Fixture {
        let mut rng = ChaCha20Rng::seed_from_u64(31);
        let rp = RpId::parse("example.com").unwrap();
        let k = ChannelKey::make(&mut rng);
        let device = DeviceId::make(&mut rng);
        let context = LoginContext::new(
            "Firefox on Linux",
            "203.0.113.7".parse().unwrap(),
            "Bern, CH",
            NOW,
        );
        let params = ChallengeParams {
            device_id: device,
            kind,
            uv: false,
            created_at: NOW,
            ttl: DEFAULT_CHALLENGE_TTL,
        };
        let challenge = Challenge::make(&rp, &k, &params, &context, &mut rng).unwrap();
        Fixture {
            rp,
            k,
            device,
            challenge,
            context,
            rng,
        }
    }

    #[test]
    fn challenge_opens_and_has_fixed_size() {
        let f = fixture(ApprovalKind::Number);
        let c = Challenge::from_json(f.challenge.to_json().as_bytes()).unwrap();
        assert_eq!(c.sealed.len(), SEALED_CONTEXT_LEN);
        let opened = c
            .open(&f.rp, &f.device, &f.k, ApprovalKind::Number, NOW + 5)
            .unwrap();
        assert_eq!(opened.context, f.context);
        assert_eq!(opened.kind, ApprovalKind::Number);
        assert_eq!(opened.expires_at, NOW + DEFAULT_CHALLENGE_TTL);
    }

    #[test]
    fn any_header_field_changed_fails_open() {
        let mut f = fixture(ApprovalKind::Code);
        let open = |c: &Challenge, rp: &RpId| {
            c.open(rp, &c.device_id.clone(), &f.k, ApprovalKind::Simple, NOW)
        };
        let mut c = f.challenge.clone();
        c.challenge_id = ChallengeId::make(&mut f.rng);
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.device_id = DeviceId::make(&mut f.rng);
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.created_at -= 1;
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.expires_at += 1;
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.kind = ApprovalKind::Number;
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.uv = true;
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let mut c = f.challenge.clone();
        c.sealed[40] ^= 1;
        assert_eq!(open(&c, &f.rp), Err(Error::Tampered));
        let other_rp = RpId::parse("example.org").unwrap();
        assert_eq!(open(&f.challenge, &other_rp), Err(Error::Tampered));
    }

    #[test]
    fn policy_checks_give_distinct_errors() {
        let mut f = fixture(ApprovalKind::Number);
        let c = &f.challenge;
        assert_eq!(
            c.open(&f.rp, &f.device, &f.k, ApprovalKind::Code, NOW),
            Err(Error::Downgraded {
                kind: ApprovalKind::Number,
                min: ApprovalKind::Code
            })
        );
        assert_eq!(
            c.open(
                &f.rp,
                &f.device,
                &f.k,
                ApprovalKind::Number,
                NOW + DEFAULT_CHALLENGE_TTL
            ),
            Err(Error::Expired)
        );
        let other = DeviceId::make(&mut f.rng);
        assert_eq!(
            c.open(&f.rp, &other, &f.k, ApprovalKind::Number, NOW),
            Err(Error::WrongDevice)
        );
        let mut bad = c.clone();
        bad.expires_at = bad.created_at;
        assert!(matches!(
            bad.open(&f.rp, &f.device, &f.k, ApprovalKind::Simple, NOW - 10),
            Err(Error::Malformed(_))
        ));
        let other_key = ChannelKey::make(&mut f.rng);
        assert_eq!(
            c.open(&f.rp, &f.device, &other_key, ApprovalKind::Number, NOW),
            Err(Error::Tampered)
        );
    }
}
