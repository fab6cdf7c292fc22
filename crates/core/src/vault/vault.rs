//! The vault: the account list, persisted encrypted after every change.
//!
//! This file holds the [`Vault`] type, opening and creating it, and the one
//! save-then-keep [`Vault::change`] every edit goes through. Editing the
//! account list is in `account_list.rs`, the codes and the TOTP offset are
//! in `generate.rs`.

use std::sync::Arc;

use super::account::AccountId;
use super::env::VaultEnv;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::random::RandomSource;
use crate::storage::record::VaultData;
use crate::storage::VaultStore;

/// The accounts vault.
///
/// Every change is written to storage before it shows in memory: when the
/// write fails, the vault is left as it was. Debug output shows ids and
/// names only.
pub struct Vault {
    store: VaultStore,
    clock: Arc<dyn Clock>,
    rng: Box<dyn RandomSource>,
    data: VaultData,
    /// HOTP accounts whose counter is on its way to another phone: no new
    /// code is made here until the handover ends (memory only).
    frozen: std::collections::HashSet<AccountId>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("accounts", &self.data.accounts)
            .field("totp_offset", &self.data.totp_offset)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates an empty vault; fails with [`Error::VaultExists`] if one is
    /// stored already.
    pub fn create(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        if vault.store.exists()? {
            return Err(Error::VaultExists);
        }
        vault.store.save(&vault.data, vault.rng.as_mut())?;
        Ok(vault)
    }

    /// Opens the stored vault; fails with [`Error::NoVault`] if there is none.
    pub fn open(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        vault.data = vault
            .store
            .load(vault.rng.as_mut())?
            .ok_or(Error::NoVault)?;
        Ok(vault)
    }

    /// Opens the stored vault, or creates an empty one if there is none.
    /// A vault that exists but cannot be read is an error, never replaced.
    pub fn open_or_create(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        match vault.store.load(vault.rng.as_mut())? {
            Some(data) => vault.data = data,
            None => vault.store.save(&vault.data, vault.rng.as_mut())?,
        }
        Ok(vault)
    }

    fn unloaded(env: VaultEnv) -> Result<Self> {
        Ok(Self {
            store: VaultStore::new(env.storage, env.keys, &env.name)?,
            clock: env.clock,
            rng: env.rng,
            data: VaultData::default(),
            frozen: std::collections::HashSet::new(),
        })
    }

    /// Applies `change` to a copy of the data, saves the copy, then keeps it.
    pub(crate) fn change<T>(
        &mut self,
        change: impl FnOnce(&mut VaultData) -> Result<T>,
    ) -> Result<T> {
        let mut next = self.data.clone();
        let out = change(&mut next)?;
        self.store.save(&next, self.rng.as_mut())?;
        self.data = next;
        Ok(out)
    }

    /// The stored data (the account list, the codes, push enrollment and
    /// challenges read it).
    /// Stops (or, with `false`, resumes) making HOTP codes for `id`.
    pub(crate) fn set_frozen(&mut self, id: &AccountId, frozen: bool) {
        if frozen {
            self.frozen.insert(id.clone());
        } else {
            self.frozen.remove(id);
        }
    }

    /// Whether `id`'s HOTP counter is on its way to another phone.
    pub fn is_frozen(&self, id: &AccountId) -> bool {
        self.frozen.contains(id)
    }

    pub(crate) fn data(&self) -> &VaultData {
        &self.data
    }

    /// The vault's clock (local time, uncorrected).
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The vault's random source.
    pub(crate) fn rng(&mut self) -> &mut dyn RandomSource {
        self.rng.as_mut()
    }

    pub(crate) fn index_of(data: &VaultData, id: &AccountId) -> Result<usize> {
        data.accounts
            .iter()
            .position(|a| &a.id == id)
            .ok_or_else(|| Error::AccountNotFound(id.clone()))
    }
}
