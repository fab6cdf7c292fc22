//! Limiter state of the [`super::MemoryStore`] (shared by TOTP, backup codes and
//! application passwords).

use std::collections::HashMap;

use crate::store::LimiterState;

/// Account → its limiter state; absent means the default state.
#[derive(Debug, Default)]
pub(super) struct ThrottleTable(HashMap<String, LimiterState>);

impl ThrottleTable {
    pub(super) fn get(&self, account: &str) -> LimiterState {
        self.0.get(account).copied().unwrap_or_default()
    }

    /// Replaces the state with `f(current)` (atomic under the store's lock).
    pub(super) fn update(
        &mut self,
        account: &str,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) {
        let next = f(self.get(account));
        self.0.insert(account.to_owned(), next);
    }

    pub(super) fn reset(&mut self, account: &str) {
        self.0.remove(account);
    }
}
