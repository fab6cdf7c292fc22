//! TOTP, RFC 6238: HOTP over the time step `(unix - t0) / period`.

use core::fmt;

use crate::algorithm::Algorithm;
use crate::code::Code;
use crate::error::OtpError;
use crate::hotp::Hotp;
use crate::secret::Secret;

/// A TOTP generator. Time is always an argument (Unix seconds), so callers
/// choose the clock and tests hit exact step boundaries.
///
/// Times before `t0` count as `t0` (step 0).
#[derive(Clone)]
pub struct Totp {
    hotp: Hotp,
    period: u64,
    t0: u64,
}

impl Totp {
    /// Builds a generator with `t0 = 0`; `digits` 6..=8, `period` >= 1 s.
    ///
    /// Periods above 120 s are allowed (see `OtpAuth::warnings`).
    pub fn new(
        secret: Secret,
        algorithm: Algorithm,
        digits: u8,
        period: u64,
    ) -> Result<Totp, OtpError> {
        if period == 0 {
            return Err(OtpError::BadPeriod);
        }
        Ok(Totp {
            hotp: Hotp::new(secret, algorithm, digits)?,
            period,
            t0: 0,
        })
    }

    /// Sets the Unix time at which step 0 starts (RFC 6238 `T0`).
    pub fn with_t0(self, t0: u64) -> Totp {
        Totp { t0, ..self }
    }

    /// The time step at `unix`: `(unix - t0) / period`, saturating at 0.
    pub fn step_at(&self, unix: u64) -> u64 {
        unix.saturating_sub(self.t0) / self.period
    }

    /// The code shown at `unix`.
    pub fn code_at(&self, unix: u64) -> Code {
        self.hotp.code(self.step_at(unix))
    }

    /// The code of time step `step` (for verification windows).
    pub fn code_for_step(&self, step: u64) -> Code {
        self.hotp.code(step)
    }

    /// Seconds until the code shown at `unix` changes: `1..=period`.
    pub fn seconds_left(&self, unix: u64) -> u64 {
        self.period - unix.saturating_sub(self.t0) % self.period
    }

    /// The step length in seconds.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The code length.
    pub fn digits(&self) -> u8 {
        self.hotp.digits()
    }

    /// The hash function.
    pub fn algorithm(&self) -> Algorithm {
        self.hotp.algorithm()
    }

    /// The Unix time at which step 0 starts.
    pub fn t0(&self) -> u64 {
        self.t0
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("hotp", &self.hotp)
            .field("period", &self.period)
            .field("t0", &self.t0)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp(digits: u8, period: u64) -> Totp {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        Totp::new(secret, Algorithm::Sha1, digits, period).unwrap()
    }

    #[test]
    fn step_boundaries_at_period_30() {
        let t = totp(8, 30);
        assert_eq!((t.step_at(29), t.step_at(30), t.step_at(31)), (0, 1, 1));
        assert_eq!((t.step_at(59), t.step_at(60), t.step_at(61)), (1, 2, 2));
        assert_eq!(t.code_at(59).to_string(), "94287082"); // RFC 6238
        assert_eq!(t.code_at(59), t.code_at(30));
        assert_ne!(t.code_at(59), t.code_at(60));
        assert_eq!(t.code_at(60), t.code_at(61));
        assert_eq!(t.code_at(60), t.code_for_step(2));
        assert_eq!(
            (t.seconds_left(59), t.seconds_left(60), t.seconds_left(61)),
            (1, 30, 29)
        );
    }

    #[test]
    fn t0_shifts_steps() {
        let t = totp(8, 30).with_t0(100);
        assert_eq!(t.t0(), 100);
        assert_eq!(t.step_at(0), 0);
        assert_eq!(t.step_at(99), 0);
        assert_eq!(t.step_at(129), 0);
        assert_eq!(t.step_at(130), 1);
        assert_eq!(t.code_at(159), totp(8, 30).code_at(59));
        assert_eq!(t.seconds_left(100), 30);
        assert_eq!(t.seconds_left(129), 1);
        assert_eq!(t.seconds_left(5), 30); // before t0 counts as t0
    }

    #[test]
    fn period_one_and_odd_periods() {
        let t = totp(6, 1);
        assert_eq!(t.step_at(12_345), 12_345);
        assert_eq!(t.seconds_left(12_345), 1);
        assert_eq!(t.code_at(7), t.code_for_step(7));
        let t = totp(6, 7);
        assert_eq!((t.step_at(13), t.step_at(14)), (1, 2));
        assert_eq!((t.seconds_left(13), t.seconds_left(14)), (1, 7));
    }

    #[test]
    fn huge_times_and_periods() {
        let t = totp(6, 30);
        assert_eq!(t.step_at(u64::MAX), u64::MAX / 30);
        assert_eq!(t.code_at(u64::MAX), t.code_for_step(u64::MAX / 30));
        assert!((1..=30).contains(&t.seconds_left(u64::MAX)));
        // Steps above 2^32 use all 64 bits of the counter (RFC 6238 20000000000 vector).
        assert_eq!(totp(8, 30).code_at(20_000_000_000).to_string(), "65353130");
        let t = totp(6, u64::MAX);
        assert_eq!(t.step_at(u64::MAX - 1), 0);
        assert_eq!(t.step_at(u64::MAX), 1);
        assert_eq!(t.seconds_left(0), u64::MAX);
        assert_eq!(t.seconds_left(u64::MAX), u64::MAX);
        let t = totp(6, 30).with_t0(u64::MAX);
        assert_eq!(t.step_at(u64::MAX), 0);
        assert_eq!(t.seconds_left(u64::MAX), 30);
    }

    #[test]
    fn zero_padding_for_each_length() {
        // Find steps whose code starts with a zero and check the padding.
        for digits in 6..=8 {
            let t = totp(digits, 30);
            let step = (0..10_000)
                .find(|s| t.code_for_step(*s).value() < 10u32.pow(u32::from(digits) - 1))
                .unwrap();
            let shown = t.code_for_step(step).to_string();
            assert_eq!(shown.len(), usize::from(digits));
            assert!(shown.starts_with('0'), "{shown}");
        }
    }

    #[test]
    fn bad_parameters_are_refused() {
        let secret = || Secret::from_bytes(vec![1; 20]).unwrap();
        assert_eq!(
            Totp::new(secret(), Algorithm::Sha1, 6, 0).err(),
            Some(OtpError::BadPeriod)
        );
        assert_eq!(
            Totp::new(secret(), Algorithm::Sha1, 9, 30).err(),
            Some(OtpError::BadDigits(9))
        );
        let t = Totp::new(secret(), Algorithm::Sha256, 7, 45).unwrap();
        assert_eq!(
            (t.algorithm(), t.digits(), t.period()),
            (Algorithm::Sha256, 7, 45)
        );
        assert!(!format!("{t:?}").contains("1, 1, 1"));
    }
}
