//! The CLI's data directory: the vault's storage and its key file.
//!
//! Layout of `--home DIR` (default: the platform data dir + `/assent`):
//! - `vault.key`: the 32-byte vault key, created with mode 0600. Anyone who
//!   can read it can decrypt the vault; phones keep this key in their
//!   keystore (iOS Keychain, Android Keystore) instead.
//! - `data/vault`: the encrypted vault (and migration backups beside it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assent_core::{FileStorage, KeyFile, Vault, VaultEnv};

use crate::error::CliError;

/// The home directory: `--home` or the platform default.
pub fn resolve(home: Option<PathBuf>) -> Result<PathBuf, CliError> {
    match home {
        Some(dir) => Ok(dir),
        None => dirs::data_dir()
            .map(|d| d.join("assent"))
            .ok_or(CliError::NoHome),
    }
}

/// Opens the vault in `home`, creating it (and its key) on first use.
pub fn open_vault(home: &Path) -> Result<Vault, CliError> {
    let storage = FileStorage::new(home.join("data")).map_err(assent_core::Error::from)?;
    let key = KeyFile::open_or_create(home.join("vault.key"), &mut rand_core::OsRng)?;
    let env = VaultEnv::new(Arc::new(storage), Arc::new(key));
    Ok(Vault::open_or_create(env)?)
}
