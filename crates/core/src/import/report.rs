//! What an import did, entry by entry.

use std::fmt;

use crate::vault::AccountId;

/// The export formats Assent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportFormat {
    /// Plain `otpauth://` URIs, one a line (also Ente Auth's plain text export).
    OtpauthList,
    /// Google Authenticator's `otpauth-migration://offline?data=…` export.
    GoogleMigration,
    /// Aegis JSON, plain or password-encrypted.
    Aegis,
    /// 2FAS `.2fas`, plain or password-encrypted.
    TwoFas,
    /// andOTP JSON, plain or password-encrypted (old and new format).
    AndOtp,
    /// FreeOTP+ JSON.
    FreeOtpPlus,
    /// Bitwarden JSON (unencrypted).
    BitwardenJson,
    /// Bitwarden CSV.
    BitwardenCsv,
    /// Authenticator Pro (Stratum) unencrypted `.authpro`/JSON backup.
    AuthenticatorPro,
    /// Proton Authenticator JSON export.
    ProtonAuthenticator,
}

impl ImportFormat {
    /// A short human name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::OtpauthList => "otpauth URI list",
            ImportFormat::GoogleMigration => "Google Authenticator",
            ImportFormat::Aegis => "Aegis",
            ImportFormat::TwoFas => "2FAS",
            ImportFormat::AndOtp => "andOTP",
            ImportFormat::FreeOtpPlus => "FreeOTP+",
            ImportFormat::BitwardenJson => "Bitwarden JSON",
            ImportFormat::BitwardenCsv => "Bitwarden CSV",
            ImportFormat::AuthenticatorPro => "Authenticator Pro",
            ImportFormat::ProtonAuthenticator => "Proton Authenticator",
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one entry was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// An OTP type Assent does not generate (mOTP, Yandex, …), by name.
    UnsupportedType(String),
    /// The secret is missing, not valid base32/bytes, or shorter than 80 bits.
    BadSecret,
    /// Algorithm, digits, period or counter are unusable; says which.
    BadParameters(&'static str),
    /// The entry is not shaped as the format says (missing field…).
    Malformed(&'static str),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::UnsupportedType(t) => write!(f, "unsupported type {t}"),
            SkipReason::BadSecret => f.write_str("bad secret"),
            SkipReason::BadParameters(what) => write!(f, "bad parameters: {what}"),
            SkipReason::Malformed(what) => write!(f, "malformed entry: {what}"),
        }
    }
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Added to the vault under this id.
    Imported(AccountId),
    /// The vault (or an earlier entry of the same file) already holds an
    /// account with the same secret and parameters; nothing was added.
    AlreadyPresent(AccountId),
    /// Not imported, and why.
    Skipped(SkipReason),
}

/// One entry of the file and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryReport {
    /// "Issuer: account" as the file names it (never the secret).
    pub name: String,
    /// What happened.
    pub outcome: EntryOutcome,
}

/// The per-entry report of one import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The detected format.
    pub format: ImportFormat,
    /// Every entry of the file, in file order.
    pub entries: Vec<EntryReport>,
    /// Google Authenticator batches: (distinct QR codes seen, batch size),
    /// so the app can say "2 of 3 QR codes"; `None` for other formats.
    pub batches: Option<(u32, u32)>,
}

impl ImportReport {
    /// How many entries were added.
    pub fn imported(&self) -> usize {
        self.count(|o| matches!(o, EntryOutcome::Imported(_)))
    }
    /// How many were already in the vault.
    pub fn already_present(&self) -> usize {
        self.count(|o| matches!(o, EntryOutcome::AlreadyPresent(_)))
    }
    /// How many were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, EntryOutcome::Skipped(_)))
    }
    fn count(&self, f: impl Fn(&EntryOutcome) -> bool) -> usize {
        self.entries.iter().filter(|e| f(&e.outcome)).count()
    }
}
