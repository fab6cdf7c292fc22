//! Import from other authenticators' exports and export to them.

use assent_core::import::{EntryOutcome, ImportReport as CoreReport};
use assent_core::ExportFormat as CoreFormat;

use crate::assent::Assent;
use crate::error::AssentError;

/// What to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ExportFormat {
    /// `otpauth://` URIs, one a line (show each as a QR code, or share the text).
    Otpauth,
    /// Google Authenticator migration URIs, one per QR code (up to 10
    /// accounts each): show them one after the other for Google
    /// Authenticator's "import accounts" scanner.
    Google,
    /// An Aegis vault file (JSON); encrypted when a password is given.
    Aegis,
}

/// What happened to one entry of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ImportOutcome {
    /// Added to the vault.
    Imported,
    /// The vault already holds it (same secret and parameters).
    AlreadyPresent,
    /// Not imported; `reason` says why.
    Skipped,
}

/// One entry of an import file.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportEntry {
    /// "Issuer: account" as the file names it.
    pub name: String,
    /// What happened.
    pub outcome: ImportOutcome,
    /// The account it is (imported or already present).
    pub account_id: Option<String>,
    /// Why it was skipped (unsupported type, bad secret…).
    pub reason: Option<String>,
}

/// The per-entry report of an import.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    /// The detected format, e.g. "Aegis", "2FAS", "Google Authenticator".
    pub format: String,
    /// Every entry, in file order.
    pub entries: Vec<ImportEntry>,
    /// How many were added.
    pub imported: u32,
    /// How many were already there.
    pub already_present: u32,
    /// How many were skipped.
    pub skipped: u32,
    /// Google Authenticator: how many of the export's QR codes were seen…
    pub batches_seen: Option<u32>,
    /// …of how many (show "scan the next QR code" while fewer).
    pub batch_count: Option<u32>,
}

/// An export: its text (which holds the secrets: never log it) and what it
/// could not carry. `Debug` leaves the text and lines out.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Export {
    /// The URIs one a line, or the Aegis JSON.
    pub text: String,
    /// The URIs (Google: one per QR code); empty for Aegis.
    pub lines: Vec<String>,
    /// Accounts left out, as "name: reason".
    pub skipped: Vec<String>,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("text", &"..redacted..")
            .field("lines", &self.lines.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<CoreReport> for ImportReport {
    fn from(r: CoreReport) -> Self {
        let (imported, already_present, skipped) = (
            count(r.imported()),
            count(r.already_present()),
            count(r.skipped()),
        );
        Self {
            format: r.format.to_string(),
            imported,
            already_present,
            skipped,
            batches_seen: r.batches.map(|b| b.0),
            batch_count: r.batches.map(|b| b.1),
            entries: r
                .entries
                .into_iter()
                .map(|e| {
                    let (outcome, account_id, reason) = match e.outcome {
                        EntryOutcome::Imported(id) => {
                            (ImportOutcome::Imported, Some(id.to_string()), None)
                        }
                        EntryOutcome::AlreadyPresent(id) => {
                            (ImportOutcome::AlreadyPresent, Some(id.to_string()), None)
                        }
                        EntryOutcome::Skipped(why) => {
                            (ImportOutcome::Skipped, None, Some(why.to_string()))
                        }
                    };
                    ImportEntry {
                        name: e.name,
                        outcome,
                        account_id,
                        reason,
                    }
                })
                .collect(),
        }
    }
}

#[uniffi::export]
impl Assent {
    /// Imports another authenticator's export file (Aegis, 2FAS, andOTP,
    /// FreeOTP+, Bitwarden, Ente Auth, Authenticator Pro, Proton
    /// Authenticator, Google Authenticator migration URIs, otpauth lists),
    /// the format detected from the content. Encrypted files need
    /// `password` (else `AssentError.Password`). A file that cannot be read
    /// as a whole changes nothing (`AssentError.InvalidInput`); single bad
    /// entries are skipped and listed in the report.
    pub fn import_accounts(
        &self,
        bytes: Vec<u8>,
        password: Option<String>,
    ) -> Result<ImportReport, AssentError> {
        let password = password.map(zeroize::Zeroizing::new);
        let report = self
            .lock_blocking()?
            .vault_mut()
            .import(&bytes, password.as_deref().map(String::as_str))?;
        Ok(report.into())
    }

    /// Exports every account to `format`; `password` encrypts Aegis
    /// exports (other formats refuse one). The text holds the secrets.
    pub fn export_accounts(
        &self,
        format: ExportFormat,
        password: Option<String>,
    ) -> Result<Export, AssentError> {
        let password = password.map(zeroize::Zeroizing::new);
        let format = match format {
            ExportFormat::Otpauth => CoreFormat::Otpauth,
            ExportFormat::Google => CoreFormat::GoogleMigration,
            ExportFormat::Aegis => CoreFormat::Aegis,
        };
        let out = self
            .lock_blocking()?
            .vault_mut()
            .export(format, password.as_deref().map(String::as_str))?;
        let lines = match format {
            CoreFormat::Aegis => Vec::new(),
            _ => out.lines().iter().map(|l| l.to_string()).collect(),
        };
        Ok(Export {
            text: out.text.to_string(),
            lines,
            skipped: out
                .skipped
                .into_iter()
                .map(|(name, why)| format!("{name}: {why}"))
                .collect(),
        })
    }
}
