//! Import from other authenticators' exports.
//!
//! [`Vault::import`](crate::Vault::import) detects the format from the
//! content ([`detect`]), parses every entry, and adds the new ones in one
//! save. Each entry is reported ([`ImportReport`]): imported, already
//! present (same secret and parameters), or skipped with the reason. One
//! bad entry never stops the others; a file-level problem ([`ImportError`]:
//! not a known format, corrupt, encrypted without a password, wrong
//! password, too large) writes nothing.
//!
//! One file per format; `entry.rs` is where every format's fields become
//! OTP parameters. Parsers never panic and are fuzzed (fuzz/).

mod aegis;
mod andotp;
mod apply;
mod authpro;
mod bitwarden;
pub(crate) mod crypto;
mod csv;
mod detect;
mod entry;
mod error;
mod freeotp_plus;
mod google;
mod json;
mod otpauth_list;
pub(crate) mod protobuf;
mod proton;
mod report;
mod twofas;

pub use detect::detect;
pub use error::{ImportError, ImportResult};
pub use google::MIGRATION_PREFIX;
pub use report::{EntryOutcome, EntryReport, ImportFormat, ImportReport, SkipReason};

/// Largest accepted input: 10 MiB.
pub const MAX_IMPORT_BYTES: usize = 10 << 20;
/// Most entries one file may hold.
pub const MAX_IMPORT_ENTRIES: usize = 10_000;

/// One entry as parsed, without touching a vault: what the file names and
/// what would be imported (for previews, tests and fuzzing).
#[derive(Debug, Clone)]
pub struct PreviewEntry {
    /// "Issuer: account" as the file names it.
    pub name: String,
    /// The OTP parameters (secret included: keep out of logs), or why the
    /// entry would be skipped.
    pub result: Result<assent_otp::OtpAuth, SkipReason>,
    /// Whether it is a Steam account.
    pub steam: bool,
}

/// Parses a file without touching any vault.
pub fn preview(
    bytes: &[u8],
    password: Option<&str>,
) -> ImportResult<(ImportFormat, Vec<PreviewEntry>)> {
    let parsed = parse(bytes, password)?;
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| {
            let steam = e.result.as_ref().is_ok_and(|c| c.steam);
            PreviewEntry {
                name: e.name,
                result: e.result.map(|c| c.otp),
                steam,
            }
        })
        .collect();
    Ok((parsed.format, entries))
}

/// Size check, then detection and parsing.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> ImportResult<entry::Parsed> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            limit: MAX_IMPORT_BYTES,
        });
    }
    detect::parse(bytes, password)
}
