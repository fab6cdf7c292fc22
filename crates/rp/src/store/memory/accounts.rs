//! Per-account push settings of the [`super::MemoryStore`]: the mute after a fraud
//! report and the approval policy.

use std::collections::HashMap;

use crate::push_policy::AccountPolicy;

#[derive(Debug, Default)]
struct PushAccount {
    muted_until: Option<u64>,
    policy: Option<AccountPolicy>,
}

/// Account → its push settings.
#[derive(Debug, Default)]
pub(super) struct AccountTable(HashMap<String, PushAccount>);

impl AccountTable {
    fn entry(&mut self, account: &str) -> &mut PushAccount {
        self.0.entry(account.to_owned()).or_default()
    }

    /// Mutes until `until`, never shortening an existing mute.
    pub(super) fn mute(&mut self, account: &str, until: u64) {
        let a = self.entry(account);
        a.muted_until = Some(a.muted_until.map_or(until, |m| m.max(until)));
    }

    pub(super) fn muted_until(&self, account: &str) -> Option<u64> {
        self.0.get(account).and_then(|a| a.muted_until)
    }

    pub(super) fn set_policy(&mut self, account: &str, policy: &AccountPolicy) {
        self.entry(account).policy = Some(*policy);
    }

    pub(super) fn policy(&self, account: &str) -> Option<AccountPolicy> {
        self.0.get(account).and_then(|a| a.policy)
    }

    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.remove(account);
    }
}
