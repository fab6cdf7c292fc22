//! Push challenges (docs/protocol.md §4–5): start one for a login, learn its outcome from
//! the phone's signed answer, and let the browser session that started it redeem the
//! approval once.
//!
//! - [`Rp::start_challenge`](crate::Rp::start_challenge) picks the account's active
//!   phone, makes the challenge (kind from the account's [`AccountPolicy`](crate::AccountPolicy),
//!   never below the phone's minimum; `simple` only where the RP's policy allows it), the
//!   number or code the login page shows, and a secret [`SessionHandle`] for the browser
//!   session. Refused when muted after a fraud report, when the account already has a
//!   pending challenge, when its window is full, or when its limiter is throttling.
//!   Starting a challenge never resets the limiter.
//! - [`Rp::poll_challenge`](crate::Rp::poll_challenge) / [`Rp::check`](crate::Rp::check)
//!   fetch the signed answer through the relay, verify it with the pinned key against the
//!   stored challenge (arrival strictly before `expires_at` by the RP's clock; entered
//!   value in constant time; `uv_done` when required), and resolve the challenge exactly
//!   once with a conditional update. Only the call that resolves it has effects (limiter
//!   charge for a wrong entry, mute and [`Event::FraudReported`](crate::Event) for a
//!   fraud report), so a second answer or a high-S twin changes nothing. An answer that
//!   fails verification is an error and leaves the challenge pending. There is no path
//!   that reads a verdict from the relay: the [`RelayApi`](crate::RelayApi) has none.
//! - [`Rp::redeem`](crate::Rp::redeem) turns an approval into a login, once, for the
//!   handle that started it.

mod check;
mod display;
mod redeem;
mod start;

#[cfg(test)]
mod tests;

use std::fmt;

use assent_protocol::{b64_decode, b64_encode, sha256, ApprovalKind, ChallengeId, DeviceId};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::Result;
use crate::proof::SecondFactorProof;
use crate::store::ChallengeState;

/// The secret that ties a challenge to the browser session that started it. Keep it in
/// that session only (server-side session or an HttpOnly cookie); it is never sent to the
/// relay, and the store keeps only its SHA-256. Zeroized on drop; Debug redacted.
pub struct SessionHandle(Zeroizing<[u8; 32]>);

impl SessionHandle {
    pub(crate) fn make<R: CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut bytes[..]);
        Self(bytes)
    }

    /// The handle as 43 characters of base64url, to store in the session.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(b64_encode(&self.0[..]))
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = Zeroizing::new(b64_decode(text, "session handle")?);
        let mut out = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(assent_protocol::Error::Length {
                field: "session handle",
                expected: 32,
                actual: bytes.len(),
            }
            .into());
        }
        out.copy_from_slice(&bytes);
        Ok(Self(out))
    }

    /// SHA-256 of the handle: what the store keeps and looks up.
    pub(crate) fn hash(&self) -> [u8; 32] {
        sha256(&self.0[..])
    }
}

impl PartialEq for SessionHandle {
    fn eq(&self, other: &Self) -> bool {
        self.0[..].ct_eq(&other.0[..]).into()
    }
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionHandle(redacted)")
    }
}

/// A challenge just sent to the phone.
#[derive(Debug)]
pub struct StartedChallenge {
    /// Store this in the browser session; poll and redeem with it.
    pub handle: SessionHandle,
    /// The challenge id (public; for logs).
    pub challenge_id: ChallengeId,
    /// The phone asked.
    pub device_id: DeviceId,
    /// Its name, to show ("Approve on Alice's iPhone").
    pub device_name: String,
    /// What the user does on the phone.
    pub kind: ApprovalKind,
    /// What the login page shows for the user to type on the phone: the 2-digit number
    /// (`number`), the 6-digit code (`code`), or empty (`simple`).
    pub display: Zeroizing<String>,
    /// Deadline, RP clock.
    pub expires_at: u64,
}

/// Where a challenge stands, as the login page needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChallengeStatus {
    /// No valid answer yet.
    Pending,
    /// Approved; [`crate::Rp::redeem`] it with the same handle.
    Approved,
    /// Denied, wrong number or code, or user verification missing.
    Denied,
    /// "This wasn't me": pushes are muted for the account.
    FraudReported,
    /// No valid answer before the deadline.
    Expired,
    /// Its phone was removed meanwhile.
    Cancelled,
    /// The approval was already redeemed.
    Redeemed,
}

impl From<ChallengeState> for ChallengeStatus {
    fn from(s: ChallengeState) -> Self {
        match s {
            ChallengeState::Pending => ChallengeStatus::Pending,
            ChallengeState::Approved => ChallengeStatus::Approved,
            ChallengeState::Denied => ChallengeStatus::Denied,
            ChallengeState::Fraud => ChallengeStatus::FraudReported,
            ChallengeState::Expired => ChallengeStatus::Expired,
            ChallengeState::Cancelled => ChallengeStatus::Cancelled,
            ChallengeState::Redeemed => ChallengeStatus::Redeemed,
        }
    }
}

/// A redeemed approval: log the session in as `account`.
#[derive(Debug)]
pub struct Redeemed {
    /// The account that approved.
    pub account: String,
    /// The phone that approved.
    pub device_id: DeviceId,
    /// The challenge.
    pub challenge_id: ChallengeId,
    /// Proof of the second factor, e.g. to authorize enrolling another phone now.
    pub proof: SecondFactorProof,
}
