//! Writing an import into the vault: duplicates found, new accounts added
//! in one save, the report built.

use assent_otp::{OtpAuth, OtpKind};

use super::entry::Candidate;
use super::report::{EntryOutcome, EntryReport, ImportReport};
use crate::error::{Error, Result};
use crate::vault::{Account, AccountId, Vault};

/// Same secret (constant time), algorithm, digits, type, period and Steam
/// kind; the HOTP counter is not compared (it moves with use).
fn same(account: &Account, candidate: &Candidate) -> bool {
    let (a, b): (&OtpAuth, &OtpAuth) = (account.otp(), &candidate.otp);
    let kind = match (a.kind, b.kind) {
        (OtpKind::Totp { period: x }, OtpKind::Totp { period: y }) => x == y,
        (OtpKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
        _ => false,
    };
    let secret = a.secret == b.secret;
    secret
        && kind
        && a.algorithm == b.algorithm
        && a.digits == b.digits
        && account.is_steam() == candidate.steam
}

impl Vault {
    /// Imports another authenticator's export (format detected from the
    /// content; `password` for encrypted ones).
    ///
    /// New accounts go to the end of the list in file order, all in one
    /// save. A file-level problem returns [`Error::Import`] and changes
    /// nothing; problems with single entries are in the report.
    pub fn import(&mut self, bytes: &[u8], password: Option<&str>) -> Result<ImportReport> {
        let parsed = super::parse(bytes, password)?;
        let mut added: Vec<Account> = Vec::new();
        let mut entries = Vec::with_capacity(parsed.entries.len());
        for entry in parsed.entries {
            let outcome = match entry.result {
                Err(reason) => EntryOutcome::Skipped(reason),
                Ok(candidate) => {
                    let existing = self
                        .accounts()
                        .iter()
                        .chain(added.iter())
                        .find(|a| same(a, &candidate));
                    match existing {
                        Some(a) => EntryOutcome::AlreadyPresent(a.id().clone()),
                        None => {
                            let id = AccountId::make(self.rng())?;
                            let account = if candidate.steam {
                                Account::new_steam(id.clone(), candidate.otp)
                            } else {
                                Account::new(id.clone(), candidate.otp)
                            };
                            match account {
                                Ok(account) => {
                                    added.push(account);
                                    EntryOutcome::Imported(id)
                                }
                                Err(_) => EntryOutcome::Skipped(super::SkipReason::BadParameters(
                                    "parameters",
                                )),
                            }
                        }
                    }
                }
            };
            entries.push(EntryReport {
                name: entry.name,
                outcome,
            });
        }
        if !added.is_empty() {
            self.change(|data| {
                data.accounts.extend(added);
                Ok(())
            })?;
        }
        Ok(ImportReport {
            format: parsed.format,
            entries,
            batches: parsed.batches,
        })
    }
}

impl From<super::ImportError> for Error {
    fn from(e: super::ImportError) -> Self {
        Error::Import(e)
    }
}
