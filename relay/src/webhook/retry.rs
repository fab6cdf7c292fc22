//! How hard and how often a webhook is tried ([`RetryPolicy`]).
//!
//! A 2xx ends the delivery; a network error, a timeout, 408, 429 or a 5xx is
//! retried after an exponential backoff (`base · 2^(n-1)`, capped), of which
//! the second half is random ("equal jitter", from the injected RNG), up to
//! [`RetryPolicy::max_attempts`] attempts in all; any other status gives up
//! at once.

use std::time::Duration;

use rand_core::RngCore;

/// How hard to try, and how often the outbox is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff before the second attempt (before jitter).
    pub base: Duration,
    /// Longest backoff.
    pub cap: Duration,
    /// Per-attempt timeout of the HTTP request.
    pub timeout: Duration,
    /// How often a dispatcher reads the outbox for due events besides the
    /// wake-ups of its own instance's emits (events of other instances,
    /// retries that came due, events left by a stopped instance).
    pub poll: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts over about 10 minutes: 5 s, 10 s, 20 s … capped at 5 min;
    /// the outbox read every second.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(5),
            cap: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// The shortest lease of a claimed event.
const MIN_LEASE: Duration = Duration::from_secs(30);

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based): half of
    /// `min(cap, base · 2^(attempt-1))` plus a random part of the other half.
    pub fn backoff(&self, attempt: u32, rng: &mut dyn RngCore) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << shift).min(self.cap);
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 {
            0
        } else {
            rng.next_u64() % nanos.saturating_add(1)
        };
        half + Duration::from_nanos(jitter)
    }

    /// How long a claimed event is this instance's alone: three attempt
    /// timeouts, at least 30 s. One attempt takes at most `timeout` (the
    /// dispatcher enforces it) plus a settings read and the store's update,
    /// so a lease runs out only when an instance stopped or stalled.
    pub fn lease(&self) -> Duration {
        self.timeout.saturating_mul(3).max(MIN_LEASE)
    }

    /// Whether an attempt's outcome is worth another attempt.
    pub fn retries(outcome: &Result<u16, String>) -> bool {
        match outcome {
            Ok(status) => *status == 408 || *status == 429 || *status >= 500,
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(4),
            cap: Duration::from_secs(30),
            timeout: Duration::from_secs(1),
            poll: Duration::from_secs(1),
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for (attempt, full) in [(1, 4), (2, 8), (3, 16), (4, 30), (9, 30), (200, 30)] {
            let full = Duration::from_secs(full);
            for _ in 0..50 {
                let d = policy.backoff(attempt, &mut rng);
                assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
            }
        }
        // Deterministic for a seeded RNG.
        let a = policy.backoff(3, &mut rand_chacha::ChaCha20Rng::seed_from_u64(9));
        let b = policy.backoff(3, &mut rand_chacha::ChaCha20Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }

    #[test]
    fn leases_outlast_several_attempts_and_retries_follow_the_status() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.lease(), Duration::from_secs(30));
        let slow = RetryPolicy {
            timeout: Duration::from_secs(20),
            ..policy
        };
        assert_eq!(slow.lease(), Duration::from_secs(60));
        for retried in [
            Ok(408),
            Ok(429),
            Ok(500),
            Ok(503),
            Err("timeout".to_owned()),
        ] {
            assert!(RetryPolicy::retries(&retried), "{retried:?}");
        }
        for final_ in [Ok(200), Ok(204), Ok(301), Ok(400), Ok(404), Ok(410)] {
            assert!(!RetryPolicy::retries(&final_), "{final_:?}");
        }
    }
}
