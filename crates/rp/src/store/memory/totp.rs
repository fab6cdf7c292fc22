//! TOTP credentials of the [`super::MemoryStore`].

use std::collections::HashMap;

use crate::store::TotpRecord;

/// Account → its TOTP credential.
#[derive(Debug, Default)]
pub(super) struct TotpTable(HashMap<String, TotpRecord>);

impl TotpTable {
    pub(super) fn put(&mut self, account: &str, record: &TotpRecord) {
        self.0.insert(account.to_owned(), record.clone());
    }

    pub(super) fn get(&self, account: &str) -> Option<TotpRecord> {
        self.0.get(account).cloned()
    }

    /// Moves `last_step` to `step` only if no step at or after it was accepted.
    pub(super) fn advance(&mut self, account: &str, step: u64) -> bool {
        match self.0.get_mut(account) {
            Some(t) if t.last_step.map_or(true, |last| last < step) => {
                t.last_step = Some(step);
                true
            }
            _ => false,
        }
    }

    pub(super) fn delete(&mut self, account: &str) -> bool {
        self.0.remove(account).is_some()
    }
}
