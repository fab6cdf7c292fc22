//! Reading and editing the vault's account list: look up, add (from an
//! `otpauth://` URI or typed-in fields), rename, reorder, move and remove.
//! Every edit is saved before it shows (through [`Vault::change`]).

use assent_otp::OtpAuth;

use super::account::{check_name, Account, AccountFields, AccountId};
use super::Vault;
use crate::error::{Error, Result};

impl Vault {
    /// The accounts, in display order.
    pub fn accounts(&self) -> &[Account] {
        &self.data().accounts
    }

    /// The account with this id.
    pub fn account(&self, id: &AccountId) -> Result<&Account> {
        let i = Self::index_of(self.data(), id)?;
        self.data()
            .accounts
            .get(i)
            .ok_or_else(|| Error::AccountNotFound(id.clone()))
    }

    /// Adds the account of an otpauth:// URI at the end of the list.
    pub fn add_uri(&mut self, uri: &str) -> Result<AccountId> {
        let otp = OtpAuth::parse(uri)?;
        self.add_otp(otp)
    }

    /// Adds an account typed in by hand at the end of the list.
    pub fn add_fields(&mut self, fields: AccountFields) -> Result<AccountId> {
        self.add_otp(fields.into())
    }

    fn add_otp(&mut self, otp: OtpAuth) -> Result<AccountId> {
        let id = AccountId::make(self.rng())?;
        let account = Account::new(id.clone(), otp)?;
        self.change(|data| {
            data.accounts.push(account);
            Ok(())
        })?;
        Ok(id)
    }

    /// Renames an account (1 to [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS)
    /// characters, trimmed).
    pub fn rename(&mut self, id: &AccountId, name: &str) -> Result<()> {
        let name = check_name(name)?;
        self.change(|data| {
            let i = Self::index_of(data, id)?;
            if let Some(account) = data.accounts.get_mut(i) {
                account.name = name;
            }
            Ok(())
        })
    }

    /// Puts the accounts in the order of `ids`, which must list every
    /// account exactly once.
    pub fn reorder(&mut self, ids: &[AccountId]) -> Result<()> {
        self.change(|data| {
            if ids.len() != data.accounts.len() {
                return Err(Error::InvalidOrder);
            }
            let mut old: Vec<Option<Account>> = data.accounts.drain(..).map(Some).collect();
            for id in ids {
                let slot = old
                    .iter_mut()
                    .find(|a| a.as_ref().is_some_and(|a| &a.id == id))
                    .and_then(Option::take)
                    .ok_or(Error::InvalidOrder)?;
                data.accounts.push(slot);
            }
            Ok(())
        })
    }

    /// Moves one account to position `index` (clamped to the end).
    pub fn move_to(&mut self, id: &AccountId, index: usize) -> Result<()> {
        self.change(|data| {
            let from = Self::index_of(data, id)?;
            let account = data.accounts.remove(from);
            let to = index.min(data.accounts.len());
            data.accounts.insert(to, account);
            Ok(())
        })
    }

    /// Removes an account and returns it.
    pub fn remove(&mut self, id: &AccountId) -> Result<Account> {
        self.change(|data| {
            let i = Self::index_of(data, id)?;
            Ok(data.accounts.remove(i))
        })
    }
}
