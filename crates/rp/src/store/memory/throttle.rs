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

    /// Replaces both states with `f(current)`; a default state is removed.
    pub(super) fn update_pair(
        &mut self,
        account: &str,
        keys: [&LimiterKey; 2],
        f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
    ) {
        let next = f(keys.map(|key| self.get(account, key)));
        for (key, state) in keys.into_iter().zip(next) {
            if state == LimiterState::default() {
                self.reset(account, key);
            } else {
                self.0.insert((account.to_owned(), key.clone()), state);
            }
        }
    }

    pub(super) fn reset(&mut self, account: &str, key: &LimiterKey) {
        self.0.remove(&(account.to_owned(), key.clone()));
    }

    /// Forgets every state of `account`.
    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.retain(|(a, _), _| a != account);
    }
}
