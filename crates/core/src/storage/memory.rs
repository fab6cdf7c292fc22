//! In-memory storage, for tests and ephemeral sessions.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use zeroize::Zeroizing;

use super::{check_name, SecureStorage, StorageError};

/// A [`SecureStorage`] held in memory; blobs are zeroized when replaced or
/// dropped.
#[derive(Default)]
pub struct MemoryStorage {
    blobs: Mutex<Blobs>,
}

type Blobs = HashMap<String, Zeroizing<Vec<u8>>>;

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Blobs>, StorageError> {
        self.blobs
            .lock()
            .map_err(|_| StorageError::Host("memory storage lock poisoned".into()))
    }
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .lock()
            .map(|b| b.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("MemoryStorage")
            .field("names", &names)
            .finish()
    }
}

impl SecureStorage for MemoryStorage {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        check_name(name)?;
        Ok(self.lock()?.get(name).map(|b| b.to_vec()))
    }

    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        check_name(name)?;
        self.lock()?
            .insert(name.to_owned(), Zeroizing::new(bytes.to_vec()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StorageError> {
        check_name(name)?;
        self.lock()?.remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_delete() {
        let s = MemoryStorage::new();
        assert_eq!(s.get("a").unwrap(), None);
        s.put("a", b"one").unwrap();
        s.put("a", b"two").unwrap();
        assert_eq!(s.get("a").unwrap().as_deref(), Some(&b"two"[..]));
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert_eq!(s.get("a").unwrap(), None);
        assert!(s.put("../x", b"").is_err());
    }

    #[test]
    fn debug_shows_names_only() {
        let s = MemoryStorage::new();
        s.put("vault", b"SECRETBYTES").unwrap();
        let dbg = format!("{s:?}");
        assert!(dbg.contains("vault"));
        assert!(!dbg.contains("SECRETBYTES"));
    }
}
