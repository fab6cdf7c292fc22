//! Export to other authenticators: `otpauth://` URIs, Google Authenticator
//! migration payloads (one URI per QR code), and an Aegis vault file (plain
//! or password-encrypted) that Aegis's own importer reads.
//!
//! Every output holds secrets and comes back zeroizing. Accounts a format
//! cannot carry (a Steam account for Google, a 7-digit one…) are listed in
//! [`Exported::skipped`] by name, never silently dropped. Randomness (batch
//! ids, UUIDs, salts, nonces, keys) comes from the vault's injected RNG.

mod aegis;
mod google;
mod otpauth;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::vault::Vault;

pub use aegis::{AEGIS_SCRYPT_N, AEGIS_SCRYPT_P, AEGIS_SCRYPT_R};
pub use google::GOOGLE_BATCH_SIZE;

/// What to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `otpauth://` URIs, one a line (`otpauth://steam/` for Steam accounts).
    Otpauth,
    /// Google Authenticator `otpauth-migration://offline?data=…` URIs, one a
    /// line, each one QR code of at most [`GOOGLE_BATCH_SIZE`] accounts.
    GoogleMigration,
    /// An Aegis vault file (JSON); encrypted when a password is given.
    Aegis,
}

/// An export: the text and the accounts left out. `Debug` leaves the text
/// (which holds the secrets) out.
pub struct Exported {
    /// URIs one a line, or the Aegis JSON. Holds secrets.
    pub text: Zeroizing<String>,
    /// Names of accounts the format cannot carry, with the reason.
    pub skipped: Vec<(String, &'static str)>,
}

impl std::fmt::Debug for Exported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported")
            .field("text", &"..redacted..")
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl Exported {
    /// The lines of the text (the URIs; the QR codes of a Google export).
    pub fn lines(&self) -> Vec<Zeroizing<String>> {
        self.text
            .lines()
            .map(|l| Zeroizing::new(l.to_owned()))
            .collect()
    }
}

impl Vault {
    /// Exports every account (in display order) to `format`. `password`
    /// encrypts Aegis exports; the other formats have no encryption and
    /// refuse one ([`Error::ExportPasswordUnsupported`]).
    pub fn export(&mut self, format: ExportFormat, password: Option<&str>) -> Result<Exported> {
        let accounts = self.accounts().to_vec();
        match (format, password) {
            (ExportFormat::Otpauth, None) => Ok(otpauth::export(&accounts)),
            (ExportFormat::GoogleMigration, None) => google::export(&accounts, self.rng()),
            (ExportFormat::Aegis, password) => aegis::export(&accounts, password, self.rng()),
            (_, Some(_)) => Err(Error::ExportPasswordUnsupported),
        }
    }
}
