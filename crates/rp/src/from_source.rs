//! Attempts from a known source ([`Rp::from_source`]): the same checks as the
//! [`Rp`] methods of the same names, counted against the client's address as well as
//! the account (docs/security.md, "Throttling second factors").

use crate::error::Result;
use crate::proof::ProofResult;
use crate::store::Source;
use crate::{Rp, Verification};

/// The second-factor checks of an [`Rp`] for attempts from one source.
#[derive(Debug, Clone, Copy)]
pub struct FromSource<'a> {
    rp: &'a Rp,
    source: Source,
}

impl Rp {
    /// The second-factor checks for attempts from `source` (the client's address as the
    /// login server sees it: behind a proxy, the address the proxy vouches for). Each
    /// source's wrong guesses delay that source only, within the account's hourly
    /// budget of failures from every source ([`crate::BudgetPolicy`]).
    pub fn from_source(&self, source: impl Into<Source>) -> FromSource<'_> {
        FromSource {
            rp: self,
            source: source.into(),
        }
    }
}

impl FromSource<'_> {
    /// [`Rp::verify_totp`] from this source.
    pub async fn verify_totp(&self, account: &str, typed: &str) -> Result<Verification> {
        self.rp.verify_totp_from(account, typed, self.source).await
    }

    /// [`Rp::verify_backup_code`] from this source.
    pub async fn verify_backup_code(&self, account: &str, typed: &str) -> Result<Verification> {
        self.rp
            .verify_backup_code_from(account, typed, self.source)
            .await
    }

    /// [`Rp::verify_app_password`] from this source.
    pub async fn verify_app_password(&self, account: &str, typed: &str) -> Result<Verification> {
        self.rp
            .verify_app_password_from(account, typed, self.source)
            .await
    }

    /// [`Rp::prove_with_totp`] from this source.
    pub async fn prove_with_totp(&self, account: &str, typed: &str) -> Result<ProofResult> {
        self.rp
            .prove_with_totp_from(account, typed, self.source)
            .await
    }

    /// [`Rp::prove_with_backup_code`] from this source.
    pub async fn prove_with_backup_code(&self, account: &str, typed: &str) -> Result<ProofResult> {
        self.rp
            .prove_with_backup_code_from(account, typed, self.source)
            .await
    }
}

#[cfg(test)]
#[path = "from_source_tests.rs"]
mod tests;
