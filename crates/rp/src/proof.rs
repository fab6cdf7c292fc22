//! Proof of the account's existing second factor, which enrolling a phone requires
//! (DESIGN.md §9).
//!
//! A [`SecondFactorProof`] can only be made by this crate, from a check that just
//! succeeded: [`Rp::prove_with_totp`], [`Rp::prove_with_backup_code`], or a redeemed
//! push approval ([`crate::Redeemed::proof`]). [`Rp::make_offer`](crate::Rp::make_offer)
//! takes an [`EnrollmentAuthorization`], which is either that proof or the explicit claim
//! that the account has no second factor yet — a claim the RP checks, and checks again at
//! activation. There is no argument to leave out and no default: an offer without the proof
//! cannot be made by accident. A proof is consumed by the offer it authorizes (it is neither
//! `Clone` nor `Copy`) and expires after [`crate::PushPolicy::proof_max_age`].

use std::fmt;

use crate::error::{Error, Result};
use crate::store::Source;
use crate::verification::Verification;
use crate::Rp;

/// The factor a proof came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvenBy {
    /// A TOTP code.
    Totp,
    /// A backup code.
    BackupCode,
    /// A push approval redeemed by this session.
    Approval,
}

/// Evidence that the account's second factor was just verified. Only this crate makes
/// them; the login server keeps one for the duration of the request that enrolls.
pub struct SecondFactorProof {
    pub(crate) account: String,
    pub(crate) at: u64,
    pub(crate) by: ProvenBy,
}

impl SecondFactorProof {
    pub(crate) fn new(account: &str, at: u64, by: ProvenBy) -> Self {
        Self {
            account: account.to_owned(),
            at,
            by,
        }
    }

    /// The account proven.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// When (RP clock, Unix seconds).
    pub fn at(&self) -> u64 {
        self.at
    }

    /// Which factor.
    pub fn by(&self) -> ProvenBy {
        self.by
    }

    /// Refuses the proof unless it is for `account` and fresh ([`Self::check_fresh`]).
    pub(crate) fn check(&self, account: &str, now: u64, max_age: u64) -> Result<()> {
        if self.account != account {
            return Err(Error::ProofRefused("proof is for another account"));
        }
        self.check_fresh(now, max_age)
    }

    /// Refuses the proof unless it is at most `max_age` seconds old at `now`.
    pub(crate) fn check_fresh(&self, now: u64, max_age: u64) -> Result<()> {
        if self.at > now || now - self.at > max_age {
            return Err(Error::ProofRefused("proof is too old"));
        }
        Ok(())
    }
}

impl fmt::Debug for SecondFactorProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondFactorProof")
            .field("account", &self.account)
            .field("at", &self.at)
            .field("by", &self.by)
            .finish()
    }
}

/// What authorizes a new enrollment offer.
#[derive(Debug)]
pub enum EnrollmentAuthorization {
    /// The account has no second factor yet (no TOTP secret, no active phone): this is
    /// its first. Refused with [`Error::SecondFactorRequired`](crate::Error) otherwise,
    /// at the offer and again at activation.
    NoSecondFactorYet,
    /// The account's existing second factor, verified in this session.
    Proven(SecondFactorProof),
}

/// A proof attempt: the proof, or the [`Verification`] that refused it.
pub type ProofResult = std::result::Result<SecondFactorProof, Verification>;

impl Rp {
    /// [`Rp::verify_totp`], returning a [`SecondFactorProof`] when accepted.
    pub async fn prove_with_totp(&self, account: &str, typed: &str) -> Result<ProofResult> {
        self.prove_with_totp_from(account, typed, Source::Unknown)
            .await
    }

    pub(crate) async fn prove_with_totp_from(
        &self,
        account: &str,
        typed: &str,
        source: Source,
    ) -> Result<ProofResult> {
        Ok(match self.verify_totp_from(account, typed, source).await? {
            Verification::Accepted => Ok(SecondFactorProof::new(
                account,
                self.clock.now(),
                ProvenBy::Totp,
            )),
            other => Err(other),
        })
    }

    /// [`Rp::verify_backup_code`], returning a [`SecondFactorProof`] when accepted (the
    /// code is spent).
    pub async fn prove_with_backup_code(&self, account: &str, typed: &str) -> Result<ProofResult> {
        self.prove_with_backup_code_from(account, typed, Source::Unknown)
            .await
    }

    pub(crate) async fn prove_with_backup_code_from(
        &self,
        account: &str,
        typed: &str,
        source: Source,
    ) -> Result<ProofResult> {
        Ok(
            match self.verify_backup_code_from(account, typed, source).await? {
                Verification::Accepted => Ok(SecondFactorProof::new(
                    account,
                    self.clock.now(),
                    ProvenBy::BackupCode,
                )),
                other => Err(other),
            },
        )
    }
}
