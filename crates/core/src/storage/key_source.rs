//! Where the vault's encryption key comes from.
//!
//! Phones keep the vault key in their keystore (iOS Keychain, Android
//! Keystore) and implement [`VaultKeySource`] over it. Desktop hosts, such as
//! the `assent` CLI, use a [`KeyFile`]: 32 random bytes in a file readable
//! only by its owner.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::file::{private_options, sync_dir};
use super::StorageError;
use crate::error::Result;
use crate::random::RandomSource;

/// Length of a vault key in bytes (AES-256).
pub const VAULT_KEY_LEN: usize = 32;

/// A 256-bit vault key; zeroized on drop, redacted in Debug.
#[derive(Clone)]
pub struct VaultKey(Zeroizing<[u8; VAULT_KEY_LEN]>);

impl VaultKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; VAULT_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A fresh random key (`make_*`: random).
    pub fn make(rng: &mut dyn RandomSource) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; VAULT_KEY_LEN]);
        rng.fill(key.as_mut())?;
        Ok(Self(key))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; VAULT_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(..redacted..)")
    }
}

/// Supplies the vault's encryption key; implemented by the host.
pub trait VaultKeySource: Send + Sync {
    /// The vault key.
    fn vault_key(&self) -> Result<VaultKey, StorageError>;
}

/// A key source holding one key in memory (tests, simulators).
#[derive(Debug, Clone)]
pub struct StaticKey(pub VaultKey);

impl VaultKeySource for StaticKey {
    fn vault_key(&self) -> Result<VaultKey, StorageError> {
        Ok(self.0.clone())
    }
}

/// A vault key kept in a file (desktop hosts): 32 raw bytes, mode 0600.
///
/// Anyone who can read the file can decrypt the vault; it protects the vault
/// against copies of the vault file alone. Phones use their keystore instead.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The key file at `path`; created with a fresh key from `rng` if missing.
    pub fn open_or_create(path: impl Into<PathBuf>, rng: &mut dyn RandomSource) -> Result<Self> {
        let path = path.into();
        if !path.exists() {
            create_key_file(&path, rng)?;
        }
        Ok(Self { path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn create_key_file(path: &Path, rng: &mut dyn RandomSource) -> Result<()> {
    let key = VaultKey::make(rng)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    super::file::create_private_dir(dir)?;
    let mut file = private_options().open(path).map_err(StorageError::from)?;
    let written = file
        .write_all(key.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(path);
        return Err(StorageError::from(e).into());
    }
    sync_dir(dir)?;
    Ok(())
}

impl VaultKeySource for KeyFile {
    fn vault_key(&self) -> Result<VaultKey, StorageError> {
        let bytes = Zeroizing::new(fs::read(&self.path)?);
        let key: [u8; VAULT_KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            StorageError::Host(format!(
                "key file {} is not {VAULT_KEY_LEN} bytes long",
                self.path.display()
            ))
        })?;
        Ok(VaultKey::from_bytes(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home").join("vault.key");
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let kf = KeyFile::open_or_create(&path, &mut rng).unwrap();
        let k1 = kf.vault_key().unwrap();
        let again = KeyFile::open_or_create(&path, &mut rng).unwrap();
        assert_eq!(again.vault_key().unwrap().as_bytes(), k1.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn short_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        fs::write(&path, b"short").unwrap();
        let kf = KeyFile { path };
        assert!(matches!(kf.vault_key(), Err(StorageError::Host(_))));
    }

    #[test]
    fn key_debug_is_redacted() {
        let key = VaultKey::from_bytes([0xAB; 32]);
        let dbg = format!("{key:?} {:?}", StaticKey(key.clone()));
        assert!(!dbg.contains("171") && !dbg.to_lowercase().contains("ab, "));
        assert!(dbg.contains("redacted"));
    }
}
