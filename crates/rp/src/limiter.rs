//! Throttling, per account and per kind of guess ([`Guess`]: TOTP codes, backup codes,
//! application passwords, the number or code typed in a push answer), and per source.
//!
//! Each kind is counted per source ([`Source`], the client address the login server
//! passes; attempts without one count as one source) with growing delays
//! ([`LimiterPolicy`]), and for the account as a whole within an hourly budget of
//! failures from every source together ([`BudgetPolicy`]). One source's wrong guesses
//! therefore delay that source only: the user, from their own address, is held up only
//! once many sources together spend the budget, and that budget bounds the guesses a
//! botnet gets.
//!
//! The limiter never locks an account for good: after a few free attempts each
//! further failure doubles the wait before the next attempt, up to a cap. Each kind
//! counts alone: a success resets only its own count, and wrong guesses at one kind
//! never delay another (so an attacker who knows a username and sends wrong
//! application passwords cannot hold up the user's TOTP code or push, and a mail
//! client's stream of good application passwords does not wipe the count of TOTP
//! guesses). The model and its figures are in docs/security.md.
//!
//! An attempt is *charged before it is checked*: admission atomically counts
//! the attempt as a failure and moves the next-allowed instant, and a success
//! then resets the state. So parallel guesses cannot all slip through between
//! a check and the recording of their failures, and the limiter decision
//! always comes before any hash is computed or any code compared.

use std::time::Duration;

use crate::error::Result;
use crate::store::{Guess, LimiterKey, LimiterState, RpStore, Source};

/// How failures are throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterPolicy {
    /// Consecutive failures allowed back to back before any delay.
    pub free_attempts: u32,
    /// Delay after the first failure beyond the free ones, in seconds; it
    /// doubles with each further failure.
    pub base_delay: u64,
    /// Upper bound of the delay, in seconds.
    pub max_delay: u64,
}

impl Default for LimiterPolicy {
    /// 5 free attempts, then 1 s, 2 s, 4 s … capped at 15 minutes.
    fn default() -> Self {
        Self {
            free_attempts: 5,
            base_delay: 1,
            max_delay: 15 * 60,
        }
    }
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead (the attempt has been charged as a failure until it succeeds).
    Allowed,
    /// Come back after this long.
    Throttled {
        /// Time until the next attempt is admitted.
        retry_after: Duration,
    },
}

impl LimiterPolicy {
    /// Seconds to wait after the `failures`-th consecutive failure.
    ///
    /// With the default policy: 0 for 1–4 failures, then 1, 2, 4, … 512, 900, 900 …
    pub fn delay_after(&self, failures: u32) -> u64 {
        if failures < self.free_attempts {
            return 0;
        }
        let exponent = failures - self.free_attempts;
        let factor = 1u64.checked_shl(exponent).unwrap_or(u64::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Decides on one attempt at `now` and returns the state to store.
    pub fn admit(&self, state: LimiterState, now: u64) -> (Admission, LimiterState) {
        if now < state.next_allowed {
            let retry_after = Duration::from_secs(state.next_allowed - now);
            return (Admission::Throttled { retry_after }, state);
        }
        let failures = state.failures.saturating_add(1);
        let next = LimiterState {
            failures,
            next_allowed: now.saturating_add(self.delay_after(failures)),
        };
        (Admission::Allowed, next)
    }
}

/// The account's hourly budget of failures of one kind from every source together.
///
/// A bucket of `burst` charges that refills at `per_hour` charges an hour (the generic
/// cell rate algorithm: the stored [`LimiterState::next_allowed`] is the instant at
/// which the bucket would be full again, and [`LimiterState::failures`] counts the
/// charges taken since it was last full; a full bucket is the default state). Every
/// attempt admitted by its source's count takes a charge; a success gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPolicy {
    /// Charges an hour (0: no budget).
    pub per_hour: u32,
    /// Most charges at once.
    pub burst: u32,
}

impl Default for BudgetPolicy {
    /// 30 an hour, 30 at once: more than one source's [`LimiterPolicy`] ever admits
    /// after its first hour (4 an hour), so one source alone never spends it, and a
    /// 6-digit TOTP code guessed by many sources together has about 30 × 3 / 10⁶ ≈ 0.01 %
    /// chance an hour (three codes are valid at a time).
    fn default() -> Self {
        Self {
            per_hour: 30,
            burst: 30,
        }
    }
}

impl BudgetPolicy {
    /// Seconds one charge takes to come back.
    fn interval(&self) -> u64 {
        (3600 / u64::from(self.per_hour.max(1))).max(1)
    }

    /// How far ahead of now the full-again instant may be.
    fn tolerance(&self) -> u64 {
        self.interval()
            .saturating_mul(u64::from(self.burst.max(1) - 1))
    }

    /// Whether the budget has a charge for an attempt at `now` (and the state to store
    /// when it does).
    pub fn admit(&self, state: LimiterState, now: u64) -> (Admission, LimiterState) {
        if self.per_hour == 0 {
            return (Admission::Allowed, state);
        }
        let state = self.at(state, now);
        let full_at = state.next_allowed.max(now);
        let limit = now.saturating_add(self.tolerance());
        if full_at > limit {
            let retry_after = Duration::from_secs(full_at - limit);
            return (Admission::Throttled { retry_after }, state);
        }
        let next = LimiterState {
            failures: state.failures.saturating_add(1),
            next_allowed: full_at.saturating_add(self.interval()),
        };
        (Admission::Allowed, next)
    }

    /// Gives back one charge at `now` (its attempt succeeded).
    pub fn refund(&self, state: LimiterState, now: u64) -> LimiterState {
        let state = LimiterState {
            failures: state.failures.saturating_sub(1),
            next_allowed: state.next_allowed.saturating_sub(self.interval()),
        };
        self.at(state, now)
    }

    /// `state` as of `now`: the default one once the bucket is full again.
    fn at(&self, state: LimiterState, now: u64) -> LimiterState {
        if state.next_allowed <= now {
            LimiterState::default()
        } else {
            state
        }
    }
}

/// The throttles of one kind of guess.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Throttles<'a> {
    pub(crate) per_source: &'a LimiterPolicy,
    pub(crate) budget: &'a BudgetPolicy,
}

/// Atomically decides on and charges one attempt at `guess` for `account` from
/// `source`, in one store transaction: refused without a charge while the account's
/// budget is spent or the source must wait, else charged to both.
pub(crate) async fn admit(
    store: &dyn RpStore,
    throttles: Throttles<'_>,
    account: &str,
    guess: Guess,
    source: Source,
    now: u64,
) -> Result<Admission> {
    let keys = [
        &LimiterKey::from_source(guess, source),
        &LimiterKey::budget(guess),
    ];
    let mut admission = Admission::Allowed;
    store
        .update_limiters(account, keys, &mut |[by_source, budget]| {
            let (budget_says, budget_next) = throttles.budget.admit(budget, now);
            let (source_says, source_next) = throttles.per_source.admit(by_source, now);
            admission = match (budget_says, source_says) {
                (Admission::Allowed, Admission::Allowed) => Admission::Allowed,
                (
                    Admission::Throttled { retry_after: a },
                    Admission::Throttled { retry_after: b },
                ) => Admission::Throttled {
                    retry_after: a.max(b),
                },
                (throttled @ Admission::Throttled { .. }, Admission::Allowed)
                | (Admission::Allowed, throttled @ Admission::Throttled { .. }) => throttled,
            };
            match admission {
                Admission::Allowed => [source_next, budget_next],
                Admission::Throttled { .. } => [by_source, budget],
            }
        })
        .await?;
    if let Admission::Throttled { retry_after } = admission {
        tracing::debug!(account, guess = %guess.key(), ?retry_after, "attempt throttled");
    }
    Ok(admission)
}

/// After an accepted credential of kind `guess` from `source`: forgets that source's
/// failures of that kind and gives the attempt's charge back to the budget, in one
/// store transaction.
pub(crate) async fn succeed(
    store: &dyn RpStore,
    budget: &BudgetPolicy,
    account: &str,
    guess: Guess,
    source: Source,
    now: u64,
) -> Result<()> {
    let keys = [
        &LimiterKey::from_source(guess, source),
        &LimiterKey::budget(guess),
    ];
    store
        .update_limiters(account, keys, &mut |[_, spent]| {
            [LimiterState::default(), budget.refund(spent, now)]
        })
        .await
}

/// Charges one failure at `guess` to `account` at `now` without an admission decision
/// (a wrong number or code in a push answer): the failure count grows and the next
/// attempt waits as if this failure had been a checked attempt.
pub(crate) async fn charge(
    store: &dyn RpStore,
    policy: &LimiterPolicy,
    account: &str,
    guess: Guess,
    now: u64,
) -> Result<()> {
    store
        .update_limiter(account, &guess.into(), &mut |state| {
            let failures = state.failures.saturating_add(1);
            LimiterState {
                failures,
                next_allowed: state
                    .next_allowed
                    .max(now.saturating_add(policy.delay_after(failures))),
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_delays_grow_and_cap() {
        let p = LimiterPolicy::default();
        let delays: Vec<u64> = (1..=17).map(|f| p.delay_after(f)).collect();
        assert_eq!(
            delays,
            [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
        );
        assert_eq!(p.delay_after(u32::MAX), 900);
    }

    #[test]
    fn the_budget_holds_a_burst_then_refills_at_its_rate() {
        let b = BudgetPolicy {
            per_hour: 60,
            burst: 3,
        };
        let mut state = LimiterState::default();
        for _ in 0..3 {
            let (a, next) = b.admit(state, 1000);
            assert_eq!(a, Admission::Allowed);
            state = next;
        }
        let (a, same) = b.admit(state, 1000);
        assert_eq!(
            a,
            Admission::Throttled {
                retry_after: Duration::from_secs(60)
            }
        );
        assert_eq!(same, state, "a refused attempt takes no charge");
        assert_eq!(
            b.admit(state, 1059).0,
            Admission::Throttled {
                retry_after: Duration::from_secs(1)
            }
        );
        let (a, next) = b.admit(state, 1060);
        assert_eq!(a, Admission::Allowed);
        // A success gives its charge back at once.
        let refunded = b.refund(next, 1060);
        assert_eq!(b.admit(refunded, 1060).0, Admission::Allowed);
        // An hour later the bucket is full again: a whole burst goes through.
        let mut later = next;
        for _ in 0..3 {
            let (a, n) = b.admit(later, 1060 + 3600);
            assert_eq!(a, Admission::Allowed);
            later = n;
        }
        let off = BudgetPolicy {
            per_hour: 0,
            burst: 0,
        };
        assert_eq!(off.admit(later, 0).0, Admission::Allowed);
    }

    #[test]
    fn throttled_attempt_is_not_charged() {
        let p = LimiterPolicy::default();
        let state = LimiterState {
            failures: 6,
            next_allowed: 110,
        };
        let (a, next) = p.admit(state, 100);
        assert_eq!(
            a,
            Admission::Throttled {
                retry_after: Duration::from_secs(10)
            }
        );
        assert_eq!(next, state);
        let (a, next) = p.admit(state, 110);
        assert_eq!(a, Admission::Allowed);
        assert_eq!(
            next,
            LimiterState {
                failures: 7,
                next_allowed: 114
            }
        );
    }
}
