//! Encrypted backup files of the whole vault, and their restore.

use assent_core::backup::{
    ReactivationItem as CoreItem, RestoreOutcome as CoreOutcome, RestoreReport as CoreReport,
};
use assent_core::vault::AccountId;

use crate::assent::Assent;
use crate::error::AssentError;

/// What happened to one account of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RestoreOutcome {
    /// An OTP account, added to the vault (`id` is its account id).
    Restored,
    /// The vault already holds it; nothing was added (`id` is the account
    /// or re-activation item that matches).
    AlreadyPresent,
    /// A push account: listed by `reactivation_needed()` under `id`; it must
    /// be enrolled again at its RP before it can approve logins.
    NeedsReactivation,
}

/// One account of a backup and what the restore did with it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RestoreEntry {
    /// The display name it had.
    pub name: String,
    /// What happened.
    pub outcome: RestoreOutcome,
    /// The account id, or the re-activation item id.
    pub id: String,
}

/// The per-account report of a restore, in backup order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RestoreReport {
    /// Every account of the backup.
    pub entries: Vec<RestoreEntry>,
    /// How many OTP accounts were added.
    pub restored: u32,
    /// How many were already there.
    pub already_present: u32,
    /// How many push accounts wait for re-activation.
    pub needs_reactivation: u32,
}

/// A push account restored from a backup that must be enrolled again: show
/// it ("needs re-activation") and start enrollment at `rp_id` for it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReactivationItem {
    /// The item's id (pass it to `dismiss_reactivation`).
    pub id: String,
    /// The display name the account had.
    pub name: String,
    /// The issuer, if any.
    pub issuer: Option<String>,
    /// The user's name at the service.
    pub account: String,
    /// The RP's id (host name): where the user signs in to enroll again.
    pub rp_id: String,
    /// The relay the old enrollment used.
    pub relay_url: String,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<CoreReport> for RestoreReport {
    fn from(r: CoreReport) -> Self {
        Self {
            restored: count(r.restored()),
            already_present: count(r.already_present()),
            needs_reactivation: count(r.needs_reactivation()),
            entries: r
                .entries
                .into_iter()
                .map(|e| {
                    let (outcome, id) = match e.outcome {
                        CoreOutcome::Restored(id) => (RestoreOutcome::Restored, id),
                        CoreOutcome::AlreadyPresent(id) => (RestoreOutcome::AlreadyPresent, id),
                        CoreOutcome::NeedsReactivation(id) => {
                            (RestoreOutcome::NeedsReactivation, id)
                        }
                    };
                    RestoreEntry {
                        name: e.name,
                        outcome,
                        id: id.to_string(),
                    }
                })
                .collect(),
        }
    }
}

impl From<&CoreItem> for ReactivationItem {
    fn from(r: &CoreItem) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            issuer: r.issuer.clone(),
            account: r.account.clone(),
            rp_id: r.rp_id.clone(),
            relay_url: r.relay_url.clone(),
        }
    }
}

#[uniffi::export]
impl Assent {
    /// Makes an encrypted backup file of every account (argon2id with
    /// m = 64 MiB, t = 3, p = 1, then AES-256-GCM; docs/backup.md). Push
    /// accounts are saved without their keys: after a restore they need
    /// re-activation. Takes a noticeable moment (the password hash).
    pub fn backup_accounts(&self, password: String) -> Result<Vec<u8>, AssentError> {
        let password = zeroize::Zeroizing::new(password);
        Ok(self.lock_blocking()?.vault_mut().backup(&password)?)
    }

    /// Restores a backup file: OTP accounts are added after the existing
    /// ones (duplicates reported, not added), push accounts are listed by
    /// `reactivation_needed()`. A wrong password is `AssentError.Password`
    /// (`wrong` = true); a truncated, altered, newer or foreign file is
    /// `AssentError.InvalidInput`; either way nothing changes.
    pub fn restore_accounts(
        &self,
        bytes: Vec<u8>,
        password: String,
    ) -> Result<RestoreReport, AssentError> {
        let password = zeroize::Zeroizing::new(password);
        Ok(self
            .lock_blocking()?
            .vault_mut()
            .restore(&bytes, &password)?
            .into())
    }

    /// The push accounts restored from a backup that must be enrolled again,
    /// in backup order: for each, show it as "needs re-activation" and let
    /// the user start enrollment at its RP (the normal enrollment flow);
    /// then call `dismiss_reactivation`.
    pub fn reactivation_needed(&self) -> Result<Vec<ReactivationItem>, AssentError> {
        Ok(self
            .lock_blocking()?
            .vault_mut()
            .reactivation_needed()
            .iter()
            .map(ReactivationItem::from)
            .collect())
    }

    /// Removes a re-activation item (re-enrolled, or given up by the user).
    pub fn dismiss_reactivation(&self, id: String) -> Result<(), AssentError> {
        self.lock_blocking()?
            .vault_mut()
            .dismiss_reactivation(&AccountId::new(id))?;
        Ok(())
    }
}
