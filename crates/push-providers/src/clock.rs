//! Time, injected: every decision that depends on time (JWT age, OAuth expiry,
//! backoff, deadlines) asks a [`Clock`].

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

/// Wall-clock time and sleeping.
#[async_trait]
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// The real clock (`SystemTime::now`, `tokio::time::sleep`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A test clock: `sleep` returns at once and moves the time forward, and every
/// sleep is recorded, so tests see exact backoff delays.
#[cfg(any(test, feature = "mock"))]
#[derive(Debug)]
pub struct ManualClock {
    now: std::sync::Mutex<SystemTime>,
    sleeps: std::sync::Mutex<Vec<Duration>>,
}

#[cfg(any(test, feature = "mock"))]
impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: SystemTime) -> Self {
        ManualClock {
            now: std::sync::Mutex::new(now),
            sleeps: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A clock standing at `secs` after the Unix epoch.
    pub fn at_unix(secs: u64) -> Self {
        Self::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[cfg(any(test, feature = "mock"))]
#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.now
            .lock()
            .map(|n| *n)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    async fn sleep(&self, duration: Duration) {
        if let Ok(mut s) = self.sleeps.lock() {
            s.push(duration);
        }
        self.advance(duration);
        tokio::task::yield_now().await;
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How long from `now` until `deadline` (zero when passed).
pub(crate) fn until(now: SystemTime, deadline: SystemTime) -> Duration {
    deadline.duration_since(now).unwrap_or(Duration::ZERO)
}
