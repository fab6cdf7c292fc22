//! Limiter state of the [`super::MemoryStore`]: one per account and [`Guess`].

use std::collections::HashMap;

use crate::store::{Guess, LimiterState};

/// (Account, guess) → its limiter state; absent means the default state.
#[derive(Debug, Default)]
pub(super) struct ThrottleTable(HashMap<(String, Guess), LimiterState>);

impl ThrottleTable {
    pub(super) fn get(&self, account: &str, guess: Guess) -> LimiterState {
        self.0
            .get(&(account.to_owned(), guess))
            .copied()
            .unwrap_or_default()
    }

    /// Replaces the state with `f(current)` (atomic under the store's lock).
    pub(super) fn update(
        &mut self,
        account: &str,
        guess: Guess,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) {
        let next = f(self.get(account, guess));
        self.0.insert((account.to_owned(), guess), next);
    }

    pub(super) fn reset(&mut self, account: &str, guess: Guess) {
        self.0.remove(&(account.to_owned(), guess));
    }

    /// Forgets every state of `account`.
    pub(super) fn delete_account(&mut self, account: &str) {
        self.0.retain(|(a, _), _| a != account);
    }
}
