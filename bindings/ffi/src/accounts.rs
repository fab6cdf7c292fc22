//! The account list and the code screen: synchronous calls.

use assent_core::{AccountId, AccountKind, KeyStore};

use crate::account::{code_view, Account, CodeView};
use crate::assent::Assent;
use crate::clock::ClockStatus;
use crate::error::AssentError;

#[uniffi::export]
impl Assent {
    /// The accounts, in display order.
    pub fn accounts(&self) -> Result<Vec<Account>, AssentError> {
        Ok(self
            .snapshot()?
            .accounts
            .iter()
            .map(Account::from)
            .collect())
    }

    /// Adds the account of an `otpauth://totp/…` or `otpauth://hotp/…` URI
    /// (a scanned QR code or an import) at the end of the list and returns
    /// its id. A malformed URI is `AssentError.InvalidInput`.
    pub fn add_uri(&self, uri: String) -> Result<String, AssentError> {
        let id = self.lock_blocking()?.vault_mut().add_uri(&uri)?;
        Ok(id.to_string())
    }

    /// Renames an account (1 to 200 characters, trimmed).
    pub fn rename(&self, account_id: String, name: String) -> Result<(), AssentError> {
        let id = AccountId::new(account_id);
        Ok(self.lock_blocking()?.vault_mut().rename(&id, &name)?)
    }

    /// Puts the accounts in the order of `account_ids`, which must list
    /// every account exactly once.
    pub fn reorder(&self, account_ids: Vec<String>) -> Result<(), AssentError> {
        let ids: Vec<AccountId> = account_ids.into_iter().map(AccountId::new).collect();
        Ok(self.lock_blocking()?.vault_mut().reorder(&ids)?)
    }

    /// Moves one account to position `index` (0 is the top; past the end
    /// means last).
    pub fn move_account(&self, account_id: String, index: u32) -> Result<(), AssentError> {
        let id = AccountId::new(account_id);
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        Ok(self.lock_blocking()?.vault_mut().move_to(&id, index)?)
    }

    /// Removes an account from this phone. For a push account this also
    /// deletes its device key, but the login server still lists the phone:
    /// prefer `request_unenroll` while the relay is reachable.
    pub fn remove(&self, account_id: String) -> Result<(), AssentError> {
        let id = AccountId::new(account_id);
        let removed = self.lock_blocking()?.vault_mut().remove(&id)?;
        if let AccountKind::Push(push) = removed.kind() {
            if let Err(e) = self.key_store().delete(push.key_alias()) {
                tracing::warn!(error = %e, "account removed but its device key could not be deleted");
            }
        }
        Ok(())
    }

    /// The code screen data of every account, in display order, now.
    /// Never waits for the network.
    pub fn codes(&self) -> Result<Vec<CodeView>, AssentError> {
        let snapshot = self.snapshot()?;
        let now = self.code_time(&snapshot);
        snapshot
            .accounts
            .iter()
            .map(|a| code_view(a, now))
            .collect()
    }

    /// The code screen data of one account, now.
    pub fn code(&self, account_id: String) -> Result<CodeView, AssentError> {
        let snapshot = self.snapshot()?;
        let now = self.code_time(&snapshot);
        let account = snapshot
            .accounts
            .iter()
            .find(|a| a.id().as_str() == account_id)
            .ok_or_else(|| assent_core::Error::AccountNotFound(AccountId::new(account_id)))?;
        code_view(account, now)
    }

    /// Advances a counter-based (HOTP) account to its next code (persisted)
    /// and returns it.
    pub fn next_hotp_code(&self, account_id: String) -> Result<CodeView, AssentError> {
        let id = AccountId::new(account_id);
        let view = self.lock_blocking()?.vault_mut().next_hotp_code(&id)?;
        Ok(view.into())
    }

    /// The clock corrections in use (for a diagnostics screen, and to warn
    /// the user when the phone's clock is wrong).
    pub fn clock_status(&self) -> Result<ClockStatus, AssentError> {
        Ok(self.snapshot()?.clock_status.into())
    }
}
