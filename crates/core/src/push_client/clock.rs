//! The phone's two clock corrections (docs/protocol.md §11).
//!
//! - Relay offset: relay time minus local time, from every reply's
//!   `Assent-Time`. Signed request timestamps and the challenge expiry
//!   estimate use it. Only the relay checks timestamps, so trusting it there
//!   costs nothing.
//! - TOTP offset: moved only by challenges the RP sealed. Each opened
//!   challenge gives a sample `created_at − local receipt time`; delivery
//!   delay only makes a sample smaller, so the estimate is the largest recent
//!   sample (the smallest `receipt − created_at`), and the applied offset is
//!   capped at one TOTP step either way. A late challenge or a lying relay
//!   can thus move codes by at most one step.

use super::PushClient;
use crate::clock::corrected;
use crate::error::Result;

/// How many recent authenticated samples the TOTP estimate keeps.
pub(crate) const CLOCK_SAMPLES: usize = 5;
/// The TOTP step assumed when no account has a TOTP period.
const DEFAULT_STEP: u64 = 30;

/// What the UI can show about the phone's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStatus {
    /// Relay time minus local time, in seconds (signed requests use it).
    pub relay_offset: i64,
    /// The offset applied to codes, in seconds (at most one TOTP step).
    pub totp_offset: i64,
    /// The uncapped estimate from authenticated challenges, if any arrived.
    pub totp_estimate: Option<i64>,
    /// Whether the estimate exceeded one TOTP step and was capped: the phone's
    /// clock is off by more than codes can absorb; the user should fix it.
    pub capped: bool,
}

/// `a − b` in seconds, saturating.
pub(super) fn diff(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

impl PushClient {
    /// The local clock, uncorrected.
    pub(super) fn local_now(&self) -> u64 {
        self.vault.clock().now()
    }

    /// The phone's estimate of the relay's (and so the RP's) time.
    pub(super) fn relay_now(&self) -> u64 {
        corrected(self.local_now(), self.vault.data().push.relay_offset)
    }

    /// The clock corrections in use.
    pub fn clock_status(&self) -> ClockStatus {
        let totp_estimate = self.vault.data().push.clock_samples.iter().copied().max();
        let cap = self.totp_cap();
        ClockStatus {
            relay_offset: self.vault.data().push.relay_offset,
            totp_offset: self.vault.totp_offset(),
            totp_estimate,
            capped: totp_estimate.is_some_and(|e| e.unsigned_abs() > cap),
        }
    }

    /// Notes a reply's relay time. Persisted when it moves by more than a
    /// second (replies jitter by one).
    pub(super) fn note_relay_time(&mut self, relay_time: Option<u64>) -> Result<()> {
        let Some(relay_time) = relay_time else {
            return Ok(());
        };
        let offset = diff(relay_time, self.local_now());
        if offset.abs_diff(self.vault.data().push.relay_offset) > 1 {
            self.vault.change(|data| {
                data.push.relay_offset = offset;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// One TOTP step: the shortest TOTP period in the vault.
    fn totp_cap(&self) -> u64 {
        self.vault
            .accounts()
            .iter()
            .filter_map(|a| match a.otp().kind {
                assent_otp::OtpKind::Totp { period } => Some(period),
                assent_otp::OtpKind::Hotp { .. } => None,
            })
            .min()
            .unwrap_or(DEFAULT_STEP)
    }

    /// The TOTP offset from `samples` (newest last), capped at one step.
    pub(super) fn totp_offset_from(&self, samples: &[i64]) -> i64 {
        let cap = i64::try_from(self.totp_cap()).unwrap_or(i64::MAX);
        samples
            .iter()
            .copied()
            .max()
            .map_or(0, |e| e.clamp(-cap, cap))
    }
}
