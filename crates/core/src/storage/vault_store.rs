//! Loading and saving the encrypted vault blob.
//!
//! Guarantees: a failed open writes nothing; a save is refused (and writes
//! nothing) when the stored blob is no longer the one this process last read
//! or wrote, so an unreadable or concurrently replaced vault is never
//! overwritten. Old formats are migrated on open and written back, after a
//! copy of the old blob is kept as `<name>.v<version>.bak`.

use std::sync::Arc;

use ring::digest::{digest, SHA256};
use subtle::ConstantTimeEq;

use super::envelope::{open, seal, FORMAT_VERSION};
use super::key_source::VaultKeySource;
use super::migration::migrate;
use super::record::{decode, encode, VaultData};
use super::{check_name, SecureStorage};
use crate::error::{Error, Result};
use crate::random::RandomSource;

type Digest = [u8; 32];

/// The vault's blob in a [`SecureStorage`], encrypted with a key from a
/// [`VaultKeySource`].
pub(crate) struct VaultStore {
    storage: Arc<dyn SecureStorage>,
    keys: Arc<dyn VaultKeySource>,
    name: String,
    /// Digest of the blob last read or written (None: there was none).
    last: Option<Digest>,
}

fn digest_of(bytes: &[u8]) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

impl VaultStore {
    pub(crate) fn new(
        storage: Arc<dyn SecureStorage>,
        keys: Arc<dyn VaultKeySource>,
        name: &str,
    ) -> Result<Self> {
        check_name(name)?;
        Ok(Self {
            storage,
            keys,
            name: name.to_owned(),
            last: None,
        })
    }

    /// Reads and decrypts the vault; `None` when there is none yet.
    pub(crate) fn load(&mut self, rng: &mut dyn RandomSource) -> Result<Option<VaultData>> {
        let Some(blob) = self.storage.get(&self.name)? else {
            self.last = None;
            return Ok(None);
        };
        let key = self.keys.vault_key()?;
        let opened = open(&key, &blob)?;
        let payload = migrate(opened.version, &opened.payload, rng)?;
        let data = decode(&payload)?;
        self.last = Some(digest_of(&blob));
        if opened.version < FORMAT_VERSION {
            let backup = format!("{}.v{}.bak", self.name, opened.version);
            self.storage.put(&backup, &blob)?;
            self.save(&data, rng)?;
            tracing::info!(from = opened.version, to = FORMAT_VERSION, "vault migrated");
        }
        Ok(Some(data))
    }

    /// Encrypts and writes `data`, unless the stored blob changed since the
    /// last load or save.
    pub(crate) fn save(&mut self, data: &VaultData, rng: &mut dyn RandomSource) -> Result<()> {
        let current = self.storage.get(&self.name)?.map(|b| digest_of(&b));
        let unchanged = match (&current, &self.last) {
            (None, None) => true,
            (Some(a), Some(b)) => bool::from(a.ct_eq(b)),
            _ => false,
        };
        if !unchanged {
            return Err(Error::ChangedOnStorage);
        }
        let key = self.keys.vault_key()?;
        let payload = encode(data)?;
        let blob = seal(&key, &payload, rng)?;
        self.storage.put(&self.name, &blob)?;
        self.last = Some(digest_of(&blob));
        Ok(())
    }

    /// Whether a blob exists under the vault's name.
    pub(crate) fn exists(&self) -> Result<bool> {
        Ok(self.storage.get(&self.name)?.is_some())
    }
}
