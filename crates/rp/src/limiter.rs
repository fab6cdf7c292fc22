//! Throttling, per account and per kind of guess ([`Guess`]: TOTP codes, backup codes,
//! application passwords, the number or code typed in a push answer).
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
use crate::store::{Guess, LimiterState, RpStore};

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

/// Atomically decides on and charges one attempt at `guess` for `account`.
pub(crate) async fn admit(
    store: &dyn RpStore,
    policy: &LimiterPolicy,
    account: &str,
    guess: Guess,
    now: u64,
) -> Result<Admission> {
    let mut admission = Admission::Allowed;
    store
        .update_limiter(account, guess, &mut |state| {
            let (decision, next) = policy.admit(state, now);
            admission = decision;
            next
        })
        .await?;
    if let Admission::Throttled { retry_after } = admission {
        tracing::debug!(account, guess = %guess.key(), ?retry_after, "attempt throttled");
    }
    Ok(admission)
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
        .update_limiter(account, guess, &mut |state| {
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
