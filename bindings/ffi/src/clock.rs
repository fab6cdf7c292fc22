//! Time: the host may inject a clock (tests, simulators); otherwise the
//! system clock. What the UI can show about clock corrections.

use std::sync::Arc;

/// A source of the current time. Inject one to read codes at a fixed
/// instant (tests) or to simulate a wrong phone clock; apps normally pass
/// nothing and get the system clock.
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// The current Unix time in seconds.
    fn now_unix(&self) -> i64;
}

/// The host's clock, as the core's clock trait. Times before 1970 read as
/// the epoch.
pub(crate) struct HostClock(pub(crate) Arc<dyn Clock>);

impl assent_core::Clock for HostClock {
    fn now(&self) -> u64 {
        u64::try_from(self.0.now_unix()).unwrap_or(0)
    }
}

/// The phone's clock corrections, for a settings or diagnostics screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClockStatus {
    /// Relay time minus phone time, in seconds (signed requests use it).
    pub relay_offset_seconds: i64,
    /// The offset applied to codes, in seconds (at most one TOTP step).
    pub totp_offset_seconds: i64,
    /// The uncapped estimate from authenticated challenges, if any arrived.
    pub totp_estimate_seconds: Option<i64>,
    /// The phone's clock is off by more than codes can absorb: ask the user
    /// to set the time automatically.
    pub clock_is_wrong: bool,
}

impl From<assent_core::ClockStatus> for ClockStatus {
    fn from(s: assent_core::ClockStatus) -> Self {
        Self {
            relay_offset_seconds: s.relay_offset,
            totp_offset_seconds: s.totp_offset,
            totp_estimate_seconds: s.totp_estimate,
            clock_is_wrong: s.capped,
        }
    }
}

/// A Unix time as the bindings show it (`i64`, like `Instant.epochSecond`).
pub(crate) fn unix(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX)
}
