//! Persistence: the blob storage trait the host implements, its file and
//! in-memory implementations, the encrypted vault format and its migrations.
//!
//! Hosts (iOS Keychain, Android Keystore-backed storage) offer a simple
//! named-blob store; [`SecureStorage`] asks for exactly that. The vault is
//! encrypted before it reaches the storage, with a key from a
//! [`VaultKeySource`].

mod envelope;
mod file;
mod key_source;
mod memory;
mod migration;
mod push_record;
pub(crate) mod record;
mod vault_store;

pub use envelope::{FORMAT_VERSION, MAGIC};
pub use file::FileStorage;
pub use key_source::{KeyFile, StaticKey, VaultKey, VaultKeySource};
pub use memory::MemoryStorage;
pub(crate) use vault_store::VaultStore;

#[cfg(test)]
pub(crate) use envelope::seal_with;

/// Errors reported by a [`SecureStorage`] or [`VaultKeySource`].
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The blob name is not acceptable to this storage.
    #[error("invalid blob name {0:?}")]
    InvalidName(String),
    /// An operating-system I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A host-side failure, described by the host (must not contain secrets).
    #[error("{0}")]
    Host(String),
}

/// Named blobs in the host's secure storage.
///
/// Implementations must make `put` atomic: after a crash, `get` returns
/// either the old or the new bytes, never a mix.
pub trait SecureStorage: Send + Sync {
    /// The blob stored under `name`, if any.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores `bytes` under `name`, replacing any previous blob.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError>;
    /// Removes the blob under `name`; removing a missing blob is not an error.
    fn delete(&self, name: &str) -> Result<(), StorageError>;
}

/// Checks a blob name: 1–128 characters of `[A-Za-z0-9._-]`, not starting
/// with a dot (so it cannot be a path, nor collide with temporary files).
pub(crate) fn check_name(name: &str) -> Result<(), StorageError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidName(name.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("vault").is_ok());
        assert!(check_name("key.device-1_a").is_ok());
        for bad in ["", ".vault", "a/b", "..", "a\\b", "a b"] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_name(&"a".repeat(129)).is_err());
    }
}
