//! Secure storage: the named-blob store the host implements over its
//! Keychain (iOS) or Keystore-backed storage (Android), and the software
//! defaults (a directory of files, memory).

use std::sync::Arc;

use assent_core::{StorageError, VaultKey, VaultKeySource};
use zeroize::Zeroizing;

use crate::error::{to_storage_error, AssentError};

/// Named blobs in the host's secure storage (iOS Keychain, Android
/// Keystore-encrypted storage). The vault, its key and software device keys
/// all live here.
///
/// Names are 1–128 characters of `[A-Za-z0-9._-]`. `put` must be atomic:
/// after a crash, `get` returns the old or the new bytes, never a mix.
/// Raise `AssentError.Storage` for failures.
#[uniffi::export(with_foreign)]
pub trait SecureStorage: Send + Sync {
    /// The blob stored under `name`, or null if there is none.
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, AssentError>;
    /// Stores `bytes` under `name`, replacing any previous blob.
    fn put(&self, name: String, bytes: Vec<u8>) -> Result<(), AssentError>;
    /// Removes the blob under `name`; removing a missing blob is not an error.
    fn delete(&self, name: String) -> Result<(), AssentError>;
}

/// A storage of the core, seen through the exported trait.
struct CoreStorage(Arc<dyn assent_core::SecureStorage>);

impl SecureStorage for CoreStorage {
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, AssentError> {
        Ok(self.0.get(&name).map_err(assent_core::Error::from)?)
    }
    fn put(&self, name: String, bytes: Vec<u8>) -> Result<(), AssentError> {
        let bytes = Zeroizing::new(bytes);
        Ok(self
            .0
            .put(&name, &bytes)
            .map_err(assent_core::Error::from)?)
    }
    fn delete(&self, name: String) -> Result<(), AssentError> {
        Ok(self.0.delete(&name).map_err(assent_core::Error::from)?)
    }
}

/// Files in a private directory (created with mode 0700, files 0600,
/// atomic replace). For desktop tools and tests; on a phone, prefer the
/// platform's secure storage.
#[uniffi::export]
pub fn file_storage(directory: String) -> Result<Arc<dyn SecureStorage>, AssentError> {
    let storage = assent_core::FileStorage::new(directory).map_err(assent_core::Error::from)?;
    Ok(Arc::new(CoreStorage(Arc::new(storage))))
}

/// Blobs in memory, lost when the process ends (tests, demos). Blobs are
/// zeroized when replaced or dropped.
#[uniffi::export]
pub fn memory_storage() -> Arc<dyn SecureStorage> {
    Arc::new(CoreStorage(Arc::new(assent_core::MemoryStorage::new())))
}

/// The host's storage, as the core's storage trait.
pub(crate) struct HostStorage(pub(crate) Arc<dyn SecureStorage>);

impl assent_core::SecureStorage for HostStorage {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.get(name.to_owned()).map_err(to_storage_error)
    }
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.0
            .put(name.to_owned(), bytes.to_vec())
            .map_err(to_storage_error)
    }
    fn delete(&self, name: &str) -> Result<(), StorageError> {
        self.0.delete(name.to_owned()).map_err(to_storage_error)
    }
}

/// Blob name of the vault's encryption key, beside the vault in the host's
/// storage.
pub(crate) const VAULT_KEY_NAME: &str = "vault.key";

/// The vault key, kept as a blob of the host's secure storage.
pub(crate) struct StoredVaultKey(pub(crate) Arc<dyn assent_core::SecureStorage>);

impl StoredVaultKey {
    /// Makes and stores a fresh key unless one exists. A vault without its
    /// key is an error: a new key would only make it unreadable for good.
    pub(crate) fn ensure(&self, vault_name: &str) -> Result<(), AssentError> {
        let storage = self.0.as_ref();
        if storage
            .get(VAULT_KEY_NAME)
            .map_err(assent_core::Error::from)?
            .is_some()
        {
            return Ok(());
        }
        if storage
            .get(vault_name)
            .map_err(assent_core::Error::from)?
            .is_some()
        {
            return Err(AssentError::Storage {
                reason: "the vault exists but its key is missing from secure storage".into(),
            });
        }
        let key = VaultKey::make(&mut rand_core::OsRng)?;
        storage
            .put(VAULT_KEY_NAME, key.as_bytes())
            .map_err(assent_core::Error::from)?;
        Ok(())
    }
}

impl VaultKeySource for StoredVaultKey {
    fn vault_key(&self) -> Result<VaultKey, StorageError> {
        let bytes = self
            .0
            .get(VAULT_KEY_NAME)?
            .map(Zeroizing::new)
            .ok_or_else(|| StorageError::Host("vault key missing from secure storage".into()))?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StorageError::Host("stored vault key is not 32 bytes".into()))?;
        Ok(VaultKey::from_bytes(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_storage_round_trips_and_checks_names() {
        let s = memory_storage();
        assert_eq!(s.get("a".into()).unwrap(), None);
        s.put("a".into(), b"x".to_vec()).unwrap();
        assert_eq!(s.get("a".into()).unwrap(), Some(b"x".to_vec()));
        s.delete("a".into()).unwrap();
        assert!(matches!(
            s.put("../a".into(), vec![]),
            Err(AssentError::Storage { .. })
        ));
    }

    #[test]
    fn vault_key_is_made_once_and_never_replaced_under_a_vault() {
        let host: Arc<dyn assent_core::SecureStorage> = Arc::new(HostStorage(memory_storage()));
        let keys = StoredVaultKey(host.clone());
        keys.ensure("vault").unwrap();
        let first = keys.vault_key().unwrap();
        keys.ensure("vault").unwrap();
        assert_eq!(keys.vault_key().unwrap().as_bytes(), first.as_bytes());
        host.delete(VAULT_KEY_NAME).unwrap();
        host.put("vault", b"sealed").unwrap();
        assert!(matches!(
            keys.ensure("vault"),
            Err(AssentError::Storage { .. })
        ));
    }
}
