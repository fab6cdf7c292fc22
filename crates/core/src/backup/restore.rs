//! Restoring a backup into the vault: OTP accounts appended in backup
//! order, push accounts listed for re-activation, duplicates reported, all
//! in one save (or nothing on any error).

use assent_otp::{OtpAuth, OtpKind};
use assent_protocol::{RelayUrl, RpId};

use super::error::BackupError;
use super::payload::{self, Entry, OtpEntry, PushEntry};
use super::{format, ReactivationItem};
use crate::error::Result;
use crate::vault::{check_name, Account, AccountId, AccountKind, Vault};

/// What happened to one account of the backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// An OTP account, added under this id.
    Restored(AccountId),
    /// The vault already holds it (same secret and parameters; for a push
    /// account, same RP id and user name); nothing was added.
    AlreadyPresent(AccountId),
    /// A push account, listed in
    /// [`Vault::reactivation_needed`](crate::Vault::reactivation_needed)
    /// under this item id.
    NeedsReactivation(AccountId),
}

/// One account of the backup and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreEntry {
    /// The display name it had (never the secret).
    pub name: String,
    /// What happened.
    pub outcome: RestoreOutcome,
}

/// The per-account report of one restore, in backup order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestoreReport {
    /// Every account of the backup.
    pub entries: Vec<RestoreEntry>,
}

impl RestoreReport {
    /// How many OTP accounts were added.
    pub fn restored(&self) -> usize {
        self.count(|o| matches!(o, RestoreOutcome::Restored(_)))
    }
    /// How many were already there.
    pub fn already_present(&self) -> usize {
        self.count(|o| matches!(o, RestoreOutcome::AlreadyPresent(_)))
    }
    /// How many push accounts need re-activation.
    pub fn needs_reactivation(&self) -> usize {
        self.count(|o| matches!(o, RestoreOutcome::NeedsReactivation(_)))
    }
    fn count(&self, f: impl Fn(&RestoreOutcome) -> bool) -> usize {
        self.entries.iter().filter(|e| f(&e.outcome)).count()
    }
}

/// Same secret (constant time), algorithm, digits, type, period and Steam
/// kind; the HOTP counter is not compared (it moves with use).
fn same_otp(a: &Account, b: &OtpAuth, steam: bool) -> bool {
    let x = a.otp();
    let kind = match (x.kind, b.kind) {
        (OtpKind::Totp { period: p }, OtpKind::Totp { period: q }) => p == q,
        (OtpKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
        _ => false,
    };
    let secret = x.secret == b.secret;
    secret && kind && x.algorithm == b.algorithm && x.digits == b.digits && a.is_steam() == steam
}

fn otp_account(id: AccountId, e: &OtpEntry, steam: bool) -> Result<Account> {
    let otp = e.otp_auth()?;
    let mut account = if steam {
        Account::new_steam(id, otp)
    } else {
        Account::new(id, otp)
    }
    .map_err(|_| BackupError::Malformed("account parameters"))?;
    account.name = check_name(&e.name).map_err(|_| BackupError::Malformed("account name"))?;
    Ok(account)
}

fn push_item(id: AccountId, e: &PushEntry) -> Result<ReactivationItem> {
    let rp_id = RpId::parse(&e.rp_id).map_err(|_| BackupError::Malformed("RP id"))?;
    let relay = RelayUrl::parse(&e.relay_url).map_err(|_| BackupError::Malformed("relay URL"))?;
    Ok(ReactivationItem {
        id,
        name: check_name(&e.name).map_err(|_| BackupError::Malformed("account name"))?,
        issuer: e.issuer.clone(),
        account: e.account.clone(),
        rp_id: rp_id.as_str().to_owned(),
        relay_url: relay.as_str().to_owned(),
    })
}

impl Vault {
    /// Restores a backup file made by [`Vault::backup`].
    ///
    /// Any problem with the file (wrong password, truncated, altered, newer
    /// version, bad KDF parameters, not a backup, too large, malformed
    /// content) is an [`Error::Backup`](crate::Error::Backup) and changes
    /// nothing; otherwise every account is written in one save.
    pub fn restore(&mut self, bytes: &[u8], password: &str) -> Result<RestoreReport> {
        let plain = format::open(bytes, password.as_bytes())?;
        let payload = payload::decode(&plain)?;
        drop(plain);
        let mut added: Vec<Account> = Vec::new();
        let mut pending: Vec<ReactivationItem> = Vec::new();
        let mut report = RestoreReport::default();
        for entry in &payload.accounts {
            let (name, outcome) = match entry {
                Entry::Otp(e) | Entry::Steam(e) => {
                    let steam = matches!(entry, Entry::Steam(_));
                    let account = otp_account(AccountId::new("pending"), e, steam)?;
                    let existing = self
                        .accounts()
                        .iter()
                        .chain(added.iter())
                        .find(|a| same_otp(a, account.otp(), steam));
                    let outcome = match existing {
                        Some(a) => RestoreOutcome::AlreadyPresent(a.id().clone()),
                        None => {
                            let mut account = account;
                            account.id = AccountId::make(self.rng())?;
                            let id = account.id.clone();
                            added.push(account);
                            RestoreOutcome::Restored(id)
                        }
                    };
                    (e.name.clone(), outcome)
                }
                Entry::Push(e) => {
                    let item = push_item(AccountId::new("pending"), e)?;
                    let enrolled = self.accounts().iter().find(|a| match a.kind() {
                        AccountKind::Push(p) => {
                            p.rp_id().as_str() == item.rp_id && a.account_name() == item.account
                        }
                        _ => false,
                    });
                    let waiting = self
                        .reactivation_needed()
                        .iter()
                        .chain(pending.iter())
                        .find(|r| r.rp_id == item.rp_id && r.account == item.account);
                    let outcome = match (enrolled, waiting) {
                        (Some(a), _) => RestoreOutcome::AlreadyPresent(a.id().clone()),
                        (None, Some(r)) => RestoreOutcome::AlreadyPresent(r.id.clone()),
                        (None, None) => {
                            let mut item = item;
                            item.id = AccountId::make(self.rng())?;
                            let id = item.id.clone();
                            pending.push(item);
                            RestoreOutcome::NeedsReactivation(id)
                        }
                    };
                    (e.name.clone(), outcome)
                }
            };
            report.entries.push(RestoreEntry { name, outcome });
        }
        if !added.is_empty() || !pending.is_empty() {
            self.change(|data| {
                data.accounts.extend(added);
                data.reactivation.extend(pending);
                Ok(())
            })?;
        }
        Ok(report)
    }
}
