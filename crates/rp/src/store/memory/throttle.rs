//! Limiter state of the [`super::MemoryStore`]: one per account and [`LimiterKey`].

use std::collections::HashMap;

use crate::store::{LimiterKey, LimiterState};

/// (Account, key) → its limiter state; absent means the default state.
#[derive(Debug, Default)]
pub(super) struct ThrottleTable(HashMap<(String, LimiterKey), LimiterState>);

impl ThrottleTable {
    pub(super) fn get(&self, account: &str, key: &LimiterKey) -> LimiterState {
        self.0
            .get(&(account.to_owned(), key.clone()))
            .copied()
            .unwrap_or_default()
    }

    /// Replaces the state with `f(current)` (atomic under the store's lock).
    pub(super) fn update(
        &mut self,
        account: &str,
        key: &LimiterKey,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) {
        let next = f(self.get(account, key));
        self.0.insert((account.to_owned(), key.clone()), next);
    }

    pub(super) fn reset(&mut self, account: &str, key: &LimiterKey) {
        self.0.remove(&(account.to_owned(), key.clone()));
    }

    /// Forgets every state of `account`.
    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.retain(|(a, _), _| a != account);
    }
}
