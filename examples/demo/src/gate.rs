//! The password step's guards (issue 13 finding 4): password guesses are throttled per
//! account and per source address, and slow hashing (argon2id, 19 MiB each) runs at most
//! one per core at a time, so a burst of logins can neither guess freely nor exhaust the
//! memory; a request that cannot get a hashing slot within [`HASH_WAIT`] is answered 503.
//!
//! Both throttles follow [`LimiterPolicy`] (charged before the check, growing delays,
//! never a hard lock). A right password resets the account's count; the source only
//! gets that attempt's charge back (its wrong guesses stay counted until an hour
//! without attempts), so that knowing one password does not buy a source more guesses
//! at other accounts. Unknown usernames are counted like known ones.
//! The state is in memory (one demo process) and bounded in size.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assent_rp::{Admission, BudgetPolicy, Guess, LimiterKey, LimiterPolicy, LimiterState};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, Result};

/// How long a request waits for a hashing slot before it is turned away.
pub const HASH_WAIT: Duration = Duration::from_secs(2);

/// A state untouched this long (after its wait) is forgotten.
const FORGET_AFTER: u64 = 3600;

/// At most this many tracked accounts and sources each; beyond it, forgotten states go
/// first, then the older half.
const MAX_TRACKED: usize = 100_000;

/// Per-account password guesses: 5 free, then 1 s, 2 s … up to 15 minutes.
pub const ACCOUNT_POLICY: LimiterPolicy = LimiterPolicy {
    free_attempts: 5,
    base_delay: 1,
    max_delay: 15 * 60,
};

/// Per-source password guesses: 20 free (a shared address, several users), then the
/// same growth.
pub const SOURCE_POLICY: LimiterPolicy = LimiterPolicy {
    free_attempts: 20,
    base_delay: 1,
    max_delay: 15 * 60,
};

/// Throttle states by key, bounded.
#[derive(Debug)]
struct Table<K>(HashMap<K, LimiterState>);

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    fn admit(&mut self, key: &K, policy: &LimiterPolicy, now: u64) -> Admission {
        self.admit_with(key, now, |state| policy.admit(state, now))
    }

    /// The state of `key` at `now` (the default one when forgotten).
    fn peek(&self, key: &K, now: u64) -> LimiterState {
        self.0
            .get(key)
            .copied()
            .filter(|s| now < s.next_allowed.saturating_add(FORGET_AFTER))
            .unwrap_or_default()
    }

    fn admit_with(
        &mut self,
        key: &K,
        now: u64,
        decide: impl FnOnce(LimiterState) -> (Admission, LimiterState),
    ) -> Admission {
        let (admission, next) = decide(self.peek(key, now));
        if !self.0.contains_key(key) && self.0.len() >= MAX_TRACKED {
            self.evict(now);
        }
        self.0.insert(key.clone(), next);
        admission
    }

    /// Forgets the states past their time; when that is not enough, the older half
    /// too, so a full table costs one sweep per [`MAX_TRACKED`] / 2 new keys, not one
    /// per request.
    fn evict(&mut self, now: u64) {
        self.0
            .retain(|_, s| now < s.next_allowed.saturating_add(FORGET_AFTER));
        if self.0.len() >= MAX_TRACKED {
            let mut times: Vec<u64> = self.0.values().map(|s| s.next_allowed).collect();
            let middle = times.len() / 2;
            let (_, median, _) = times.select_nth_unstable(middle);
            let median = *median;
            self.0.retain(|_, s| s.next_allowed > median);
        }
    }

    fn reset(&mut self, key: &K) {
        self.0.remove(key);
    }

    /// Takes back the charge of one attempt that turned out right.
    fn refund(&mut self, key: &K, policy: &LimiterPolicy, now: u64) {
        if let Some(state) = self.0.get_mut(key) {
            state.failures = state.failures.saturating_sub(1);
            state.next_allowed = now.saturating_add(policy.delay_after(state.failures));
        }
    }
}

/// Why a password attempt is not checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: come back after this long.
    Throttled(Duration),
}

/// The guards, shared by all requests.
#[derive(Debug)]
pub struct PasswordGate {
    accounts: Mutex<Table<String>>,
    sources: Mutex<Table<IpAddr>>,
    unknown_users: Mutex<Table<(String, String)>>,
    unknown_budgets: Mutex<Table<String>>,
    hashing: Arc<Semaphore>,
}

impl PasswordGate {
    /// Guards with `slots` concurrent hashes.
    pub fn new(slots: usize) -> Self {
        Self {
            accounts: Mutex::new(Table::default()),
            sources: Mutex::new(Table::default()),
            unknown_users: Mutex::new(Table::default()),
            unknown_budgets: Mutex::new(Table::default()),
            hashing: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// One hashing slot per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Charges one password attempt for `username` from `source` at `now`; both counts
    /// must admit it.
    pub fn admit(&self, username: &str, source: IpAddr, now: u64) -> Result<(), Refusal> {
        let by_source = lock(&self.sources).admit(&source, &SOURCE_POLICY, now);
        let by_account = lock(&self.accounts).admit(&username.to_owned(), &ACCOUNT_POLICY, now);
        let wait = [by_source, by_account]
            .into_iter()
            .filter_map(|a| match a {
                Admission::Allowed => None,
                Admission::Throttled { retry_after } => Some(retry_after),
            })
            .max();
        match wait {
            Some(wait) => Err(Refusal::Throttled(wait)),
            None => Ok(()),
        }
    }

    /// A right password for `username` from `source`: the account's count starts again,
    /// and the source gets this attempt's charge back (so the users behind one address
    /// can log in as often as they like, while its wrong guesses still count).
    pub fn succeeded(&self, username: &str, source: IpAddr, now: u64) {
        lock(&self.accounts).reset(&username.to_owned());
        lock(&self.sources).refund(&source, &SOURCE_POLICY, now);
    }

    /// Charges an application-password attempt from `source` for a username that has
    /// no account, as the RP library charges wrong guesses for a real account (its
    /// default policies: the source's count, then the account's hourly budget), so that
    /// `/api/whoami` answers unknown and known names alike (issue 13 finding 8).
    pub fn admit_unknown_user(&self, username: &str, source: IpAddr, now: u64) -> Admission {
        let budget = BudgetPolicy::default();
        let mut budgets = lock(&self.unknown_budgets);
        let username = username.to_owned();
        if let (throttled @ Admission::Throttled { .. }, _) =
            budget.admit(budgets.peek(&username, now), now)
        {
            return throttled;
        }
        let source = LimiterKey::from_source(Guess::AppPasswords, source.into()).key();
        let by_source = lock(&self.unknown_users).admit(
            &(username.clone(), source),
            &LimiterPolicy::default(),
            now,
        );
        if by_source != Admission::Allowed {
            return by_source;
        }
        budgets.admit_with(&username, now, |state| budget.admit(state, now))
    }

    /// A hashing slot, waited for at most [`HASH_WAIT`]; [`AppError::Busy`] otherwise.
    pub async fn hashing_slot(&self) -> Result<OwnedSemaphorePermit> {
        match tokio::time::timeout(HASH_WAIT, self.hashing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(AppError::Internal("hashing slots closed")),
            Err(_) => Err(AppError::Busy),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const T: u64 = 1_700_000_000;

    #[test]
    fn an_account_is_throttled_after_five_failures_and_a_success_resets_it() {
        let gate = PasswordGate::new(1);
        for _ in 0..5 {
            assert_eq!(gate.admit("alice", HOME, T), Ok(()));
        }
        assert_eq!(
            gate.admit("alice", HOME, T),
            Err(Refusal::Throttled(Duration::from_secs(1)))
        );
        // Another account from the same place is not held up.
        assert_eq!(gate.admit("bob", HOME, T), Ok(()));
        assert_eq!(gate.admit("alice", HOME, T + 1), Ok(()));
        gate.succeeded("alice", HOME, T + 1);
        for _ in 0..4 {
            assert_eq!(gate.admit("alice", HOME, T + 2), Ok(()));
        }
    }

    #[test]
    fn a_source_guessing_many_accounts_is_throttled_and_not_reset_by_a_success() {
        let gate = PasswordGate::new(1);
        for n in 0..20 {
            assert_eq!(gate.admit(&format!("user{n}"), HOME, T), Ok(()));
        }
        gate.succeeded("user0", HOME, T);
        gate.succeeded("user1", HOME, T);
        // Two charges taken back: two more guesses, then the wait.
        assert_eq!(gate.admit("user97", HOME, T), Ok(()));
        assert_eq!(gate.admit("user96", HOME, T), Ok(()));
        assert!(matches!(
            gate.admit("user99", HOME, T),
            Err(Refusal::Throttled(_))
        ));
        let elsewhere = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
        assert_eq!(gate.admit("user99", elsewhere, T), Ok(()));
        // An hour of quiet after the wait forgives the source.
        assert_eq!(gate.admit("user98", HOME, T + 2 + FORGET_AFTER), Ok(()));
    }

    #[test]
    fn right_passwords_never_throttle_a_source() {
        let gate = PasswordGate::new(1);
        for n in 0..100 {
            assert_eq!(gate.admit("alice", HOME, T + n), Ok(()));
            gate.succeeded("alice", HOME, T + n);
        }
    }

    #[test]
    fn the_tables_stay_bounded() {
        let mut table = Table::default();
        for n in 0..(MAX_TRACKED + 10) {
            table.admit(&n, &ACCOUNT_POLICY, T);
        }
        assert!(table.0.len() <= MAX_TRACKED);
    }

    #[tokio::test]
    async fn hashing_waits_for_a_slot_then_is_turned_away() {
        tokio::time::pause();
        let gate = PasswordGate::new(1);
        let held = gate.hashing_slot().await.unwrap();
        assert!(matches!(gate.hashing_slot().await, Err(AppError::Busy)));
        drop(held);
        assert!(gate.hashing_slot().await.is_ok());
    }
}
