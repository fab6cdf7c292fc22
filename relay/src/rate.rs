//! The relay's own cap on challenges per device per window: a token bucket
//! per device, holding `limit` tokens and refilling `limit` per `window`.
//!
//! The login server's RP library already limits challenges per account
//! (docs/protocol.md); this is the relay's guard against a relying party
//! that does not (a bug, or a stolen API key used to flood one phone with
//! prompts). It lives in memory: a restart gives every device a full bucket,
//! and several relay instances each keep their own. Devices whose bucket
//! is full again are forgotten by [`DeviceRates::prune`] (the purge task
//! calls it), so memory follows the devices active within one window.

use std::collections::HashMap;
use std::sync::Mutex;

/// A bucket: tokens left (scaled by the window, see [`DeviceRates`]) and
/// the relay time they were counted at.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens × `window` (integer arithmetic: one token is `window` units,
    /// and one second of refill adds `limit` units).
    units: u128,
    at: u64,
}

/// Per-device token buckets; see the module documentation.
#[derive(Debug)]
pub struct DeviceRates {
    limit: u32,
    window: u64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl DeviceRates {
    /// At most `limit` challenges per `window_secs` per device, with bursts
    /// of `limit`; `limit == 0` or `window_secs == 0` turns the cap off.
    pub fn new(limit: u32, window_secs: u64) -> Self {
        Self {
            limit,
            window: window_secs,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        self.limit > 0 && self.window > 0
    }

    fn full(&self) -> u128 {
        u128::from(self.limit) * u128::from(self.window)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        // Buckets are plain numbers: a panic elsewhere cannot leave one
        // half-written, so a poisoned lock is used as is.
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bucket refilled up to `now` (the relay's clock, seconds).
    fn refilled(&self, bucket: Bucket, now: u64) -> Bucket {
        let elapsed = u128::from(now.saturating_sub(bucket.at));
        let units = bucket
            .units
            .saturating_add(elapsed.saturating_mul(u128::from(self.limit)))
            .min(self.full());
        Bucket {
            units,
            at: now.max(bucket.at),
        }
    }

    /// Takes one token for `device_id`; `false` (and nothing taken) when
    /// its bucket is empty.
    pub fn take(&self, device_id: &str, now: u64) -> bool {
        if !self.enabled() {
            return true;
        }
        let one = u128::from(self.window);
        let full = Bucket {
            units: self.full(),
            at: now,
        };
        let mut buckets = self.lock();
        let bucket = buckets.get(device_id).copied().unwrap_or(full);
        let bucket = self.refilled(bucket, now);
        if bucket.units < one {
            buckets.insert(device_id.to_owned(), bucket);
            return false;
        }
        buckets.insert(
            device_id.to_owned(),
            Bucket {
                units: bucket.units - one,
                at: bucket.at,
            },
        );
        true
    }

    /// Gives back a token taken by [`DeviceRates::take`] for a challenge
    /// that was then not created (refused by another check).
    pub fn give_back(&self, device_id: &str) {
        if !self.enabled() {
            return;
        }
        let full = self.full();
        let one = u128::from(self.window);
        if let Some(bucket) = self.lock().get_mut(device_id) {
            bucket.units = bucket.units.saturating_add(one).min(full);
        }
    }

    /// Forgets the devices whose bucket has refilled completely by `now`
    /// (they are as if never seen).
    pub fn prune(&self, now: u64) {
        if !self.enabled() {
            return;
        }
        let full = self.full();
        let mut buckets = self.lock();
        buckets.retain(|_, bucket| self.refilled(*bucket, now).units < full);
    }

    /// Devices currently tracked.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_limit_then_one_per_window_share() {
        // 3 per 600 s: a burst of 3, then one every 200 s.
        let rates = DeviceRates::new(3, 600);
        for _ in 0..3 {
            assert!(rates.take("d1", 1000));
        }
        assert!(!rates.take("d1", 1000));
        assert!(!rates.take("d1", 1199));
        assert!(rates.take("d1", 1200));
        assert!(!rates.take("d1", 1200));
        // Other devices are not affected.
        assert!(rates.take("d2", 1200));
        // A long pause refills to the limit, not beyond.
        for _ in 0..3 {
            assert!(rates.take("d1", 100_000));
        }
        assert!(!rates.take("d1", 100_000));
    }

    #[test]
    fn refused_attempts_take_nothing() {
        let rates = DeviceRates::new(1, 60);
        assert!(rates.take("d1", 0));
        for t in 0..59 {
            assert!(!rates.take("d1", t));
        }
        assert!(rates.take("d1", 60));
    }

    #[test]
    fn a_token_given_back_can_be_used_again() {
        let rates = DeviceRates::new(1, 60);
        assert!(rates.take("d1", 0));
        rates.give_back("d1");
        assert!(rates.take("d1", 0));
        assert!(!rates.take("d1", 0));
        // Never above the limit.
        rates.give_back("d1");
        rates.give_back("d1");
        assert!(rates.take("d1", 0));
        assert!(!rates.take("d1", 0));
    }

    #[test]
    fn prune_forgets_only_refilled_devices() {
        let rates = DeviceRates::new(2, 100);
        assert!(rates.take("old", 0));
        assert!(rates.take("new", 90));
        rates.prune(100);
        assert_eq!(rates.tracked(), 1);
        rates.prune(190);
        assert_eq!(rates.tracked(), 0);
    }

    #[test]
    fn zero_turns_it_off() {
        for rates in [DeviceRates::new(0, 600), DeviceRates::new(5, 0)] {
            for _ in 0..100 {
                assert!(rates.take("d1", 0));
            }
            assert_eq!(rates.tracked(), 0);
        }
    }

    #[test]
    fn a_clock_going_back_does_not_refill() {
        let rates = DeviceRates::new(1, 60);
        assert!(rates.take("d1", 1000));
        assert!(!rates.take("d1", 500));
        assert!(!rates.take("d1", 1059));
        assert!(rates.take("d1", 1060));
    }
}
