//! Encrypted backup and restore of the whole vault (docs/backup.md).
//!
//! A backup file is a 71-byte header (magic `ASSENTBK`, version, argon2id
//! parameters, salt, nonce, password check, length), then the AES-256-GCM
//! ciphertext of a JSON payload, with the header as associated data. The
//! key comes from the password through argon2id with the parameters the
//! header states; a restore refuses parameters outside sane bounds.
//!
//! OTP accounts (TOTP, HOTP with its counter, Steam) come back as they were,
//! in order, after the accounts already there. Push accounts cannot come
//! back working (device keys never leave the old phone's hardware): the
//! backup holds only their issuer, label, RP id and relay URL, and a restore
//! lists them in [`Vault::reactivation_needed`] for the app to re-enroll.
//!
//! Salt and nonce come from the vault's injected RNG; the derived key and
//! the plaintext payload are zeroized.

mod error;
mod format;
mod kdf;
mod payload;
mod restore;

use serde::{Deserialize, Serialize};

pub use error::BackupError;
pub use format::{inspect, HEADER_LEN, MAGIC, MAX_BACKUP_BYTES, VERSION};
pub use kdf::{KdfParams, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, MIN_MEMORY_KIB};
pub use payload::MAX_BACKUP_ACCOUNTS;
pub use restore::{RestoreEntry, RestoreOutcome, RestoreReport};

use crate::error::{Error, Result};
use crate::vault::{AccountId, Vault};

/// A push account restored from a backup that must be enrolled again
/// before it can approve logins: what the app shows and what it needs to
/// start enrollment at the RP (see docs/backup.md). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactivationItem {
    /// A random id for this item (not an account id of the vault).
    pub id: AccountId,
    /// The display name the account had.
    pub name: String,
    /// The issuer, if any.
    pub issuer: Option<String>,
    /// The user's name at the service.
    pub account: String,
    /// The RP's id (host name): where to sign in and enroll again.
    pub rp_id: String,
    /// The relay the old enrollment used.
    pub relay_url: String,
}

impl Vault {
    /// Makes a backup file of every account with the default argon2id
    /// parameters ([`KdfParams::DEFAULT`]).
    pub fn backup(&mut self, password: &str) -> Result<Vec<u8>> {
        self.backup_with_params(password, KdfParams::DEFAULT)
    }

    /// Makes a backup file with these argon2id parameters (stored in its
    /// header; they must be within the bounds a restore accepts).
    pub fn backup_with_params(&mut self, password: &str, params: KdfParams) -> Result<Vec<u8>> {
        params.check()?;
        let plain = payload::encode(self.accounts(), self.reactivation_needed())?;
        let mut random = format::Randomness {
            salt: [0; format::SALT_LEN],
            nonce: [0; format::NONCE_LEN],
        };
        self.rng().fill(&mut random.salt)?;
        self.rng().fill(&mut random.nonce)?;
        Ok(format::seal(&plain, password.as_bytes(), params, random)?)
    }

    /// The push accounts restored from a backup that wait for re-enrollment,
    /// in backup order.
    pub fn reactivation_needed(&self) -> &[ReactivationItem] {
        &self.data().reactivation
    }

    /// Removes an item from [`Vault::reactivation_needed`] (once it was
    /// enrolled again, or the user gave it up) and returns it.
    pub fn dismiss_reactivation(&mut self, id: &AccountId) -> Result<ReactivationItem> {
        self.change(|data| {
            let i = data
                .reactivation
                .iter()
                .position(|r| &r.id == id)
                .ok_or_else(|| Error::AccountNotFound(id.clone()))?;
            Ok(data.reactivation.remove(i))
        })
    }
}

impl From<BackupError> for Error {
    fn from(e: BackupError) -> Self {
        Error::Backup(e)
    }
}

#[cfg(test)]
pub(crate) fn seal_for_tests(
    payload: &[u8],
    password: &str,
    params: KdfParams,
    salt: [u8; 16],
    nonce: [u8; 12],
) -> Result<Vec<u8>> {
    Ok(format::seal(
        payload,
        password.as_bytes(),
        params,
        format::Randomness { salt, nonce },
    )?)
}

#[cfg(test)]
mod tests;
