//! Push configuration: the RP's identity and relay ([`PushSetup`]), the anti-push-bombing
//! and expiry policy ([`PushPolicy`]), and the per-account approval policy
//! ([`AccountPolicy`]).

use std::sync::Arc;

use assent_protocol::{ApprovalKind, RpId, DEFAULT_CHALLENGE_TTL};

use crate::error::{Error, Result};
use crate::relay::RelayApi;

/// Who the RP is and which relay carries its messages.
#[derive(Clone)]
pub struct PushSetup {
    /// The RP id every signature and seal is bound to.
    pub rp_id: RpId,
    /// The relay client.
    pub relay: Arc<dyn RelayApi>,
}

impl std::fmt::Debug for PushSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSetup")
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}

/// RP-wide rules for enrollment offers and challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushPolicy {
    /// Whether accounts may use `simple` (YES/NO) approvals at all. Off by default:
    /// `simple` is the kind push bombing works against.
    pub allow_simple: bool,
    /// Lifetime of a challenge, seconds (default 120).
    pub challenge_ttl: u64,
    /// Pending challenges allowed per account at once (default 1).
    pub max_pending: u32,
    /// Length of the rate window, seconds (default 600).
    pub window: u64,
    /// Challenges per account per window (default 5).
    pub max_per_window: u32,
    /// How long pushes stay muted after a fraud report, seconds (default 1200).
    pub mute_for: u64,
    /// Lifetime of an enrollment offer, and then of a registered phone awaiting its
    /// activation code, seconds (default 600).
    pub offer_ttl: u64,
    /// How old a [`crate::SecondFactorProof`] may be when it authorizes an offer,
    /// seconds (default 600).
    pub proof_max_age: u64,
    /// How long after the challenge's deadline an approval may still be redeemed,
    /// seconds (default 60): the login page redeems at once, so a late redemption is
    /// a stale tab or a stolen handle.
    pub redeem_grace: u64,
}

impl Default for PushPolicy {
    fn default() -> Self {
        Self {
            allow_simple: false,
            challenge_ttl: DEFAULT_CHALLENGE_TTL,
            max_pending: 1,
            window: 600,
            max_per_window: 5,
            mute_for: 20 * 60,
            offer_ttl: 600,
            proof_max_age: 600,
            redeem_grace: 60,
        }
    }
}

/// How one account's challenges are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    /// The approval kind asked for (raised to the device's minimum when that is
    /// stronger). Default `number`.
    pub kind: ApprovalKind,
    /// Require user verification on the phone.
    pub uv: bool,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            kind: ApprovalKind::Number,
            uv: false,
        }
    }
}

impl PushPolicy {
    /// Refuses a kind this RP does not allow.
    pub(crate) fn check_kind(&self, kind: ApprovalKind) -> Result<()> {
        if kind == ApprovalKind::Simple && !self.allow_simple {
            return Err(Error::KindNotAllowed(kind));
        }
        Ok(())
    }
}
