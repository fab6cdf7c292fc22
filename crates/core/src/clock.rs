//! Time, injected: the system clock in production, a settable clock in tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current Unix time in seconds.
    fn now_unix(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> u64 {
        // A clock set before 1970 reads as the epoch rather than failing.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that shows a fixed time until it is set or advanced (for tests
/// and simulators).
#[derive(Debug, Default)]
pub struct FixedClock {
    now: AtomicU64,
}

impl FixedClock {
    /// A clock stopped at `unix` seconds.
    pub fn new(unix: u64) -> Self {
        Self {
            now: AtomicU64::new(unix),
        }
    }

    /// Sets the time.
    pub fn set(&self, unix: u64) {
        self.now.store(unix, Ordering::SeqCst);
    }

    /// Moves the time forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_unix(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Applies a signed offset to a Unix time, saturating at both ends.
pub fn corrected(unix: u64, offset: i64) -> u64 {
    if offset >= 0 {
        unix.saturating_add(offset.unsigned_abs())
    } else {
        unix.saturating_sub(offset.unsigned_abs())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_sets_and_advances() {
        let clock = FixedClock::new(59);
        assert_eq!(clock.now_unix(), 59);
        clock.advance(1);
        assert_eq!(clock.now_unix(), 60);
        clock.set(5);
        assert_eq!(clock.now_unix(), 5);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_unix() > 1_577_836_800);
    }

    #[test]
    fn corrected_saturates() {
        assert_eq!(corrected(100, -30), 70);
        assert_eq!(corrected(10, -30), 0);
        assert_eq!(corrected(100, 15), 115);
        assert_eq!(corrected(u64::MAX, 1), u64::MAX);
    }
}
