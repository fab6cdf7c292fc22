//! The relay's own cap on challenges per device per window: at most `limit`
//! challenges per `window` seconds, in bursts of up to `limit`.
//!
//! The login server's RP library already limits challenges per account
//! (docs/protocol.md); this is the relay's guard against a relying party
//! that does not (a bug, or a stolen API key used to flood one phone with
//! prompts).
//!
//! The state is one number per device in the database (`devices.challenge_tat`,
//! the generic cell rate algorithm's "theoretical arrival time"), read and
//! written by the store in the same atomic step as the challenge's insert
//! ([`crate::store::ChallengeStore::create_challenge`]). So it survives a
//! restart, and several relay instances on one PostgreSQL database share it:
//! together they never admit more than the limit. A challenge refused for
//! another reason (too many pending) takes nothing.
//!
//! Times are integer milliseconds: one challenge costs `window / limit`, and a
//! burst of `limit` fits in one window. Milliseconds, not a unit made of the
//! limit, so that a changed limit keeps the stored times meaningful.

/// The per-device challenge window; `limit == 0` or `secs == 0` turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeWindow {
    /// Challenges per window (and the largest burst).
    pub limit: u32,
    /// The window, in seconds.
    pub secs: u64,
}

impl ChallengeWindow {
    /// No cap.
    #[cfg(test)]
    pub const OFF: Self = Self { limit: 0, secs: 0 };

    /// Whether the window caps anything.
    pub fn enabled(self) -> bool {
        self.limit > 0 && self.secs > 0
    }

    /// Admits one challenge at relay time `now` (seconds) for a device whose
    /// stored arrival time is `tat`: the new arrival time to store, or `None`
    /// when the device has used its window (store nothing). Off: `Some(tat)`.
    pub fn admit(self, tat: i64, now: u64) -> Option<i64> {
        if !self.enabled() {
            return Some(tat);
        }
        let window = i128::from(self.secs) * 1000;
        let cost = (window / i128::from(self.limit)).max(1);
        let now = i128::from(now) * 1000;
        // A clock that went back does not refill: `tat` stays ahead.
        let start = i128::from(tat).max(now);
        if start + cost - now > cost * i128::from(self.limit) {
            return None;
        }
        i64::try_from(start + cost).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device's stored arrival time, as the store keeps it.
    struct Device(i64);

    impl Device {
        fn take(&mut self, window: ChallengeWindow, now: u64) -> bool {
            match window.admit(self.0, now) {
                Some(tat) => {
                    self.0 = tat;
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn a_burst_of_limit_then_one_per_window_share() {
        // 3 per 600 s: a burst of 3, then one every 200 s.
        let window = ChallengeWindow {
            limit: 3,
            secs: 600,
        };
        let (mut d1, mut d2) = (Device(0), Device(0));
        for _ in 0..3 {
            assert!(d1.take(window, 1000));
        }
        assert!(!d1.take(window, 1000));
        assert!(!d1.take(window, 1199));
        assert!(d1.take(window, 1200));
        assert!(!d1.take(window, 1200));
        // Other devices are not affected.
        assert!(d2.take(window, 1200));
        // A long pause refills to the limit, not beyond.
        for _ in 0..3 {
            assert!(d1.take(window, 100_000));
        }
        assert!(!d1.take(window, 100_000));
    }

    #[test]
    fn refused_attempts_take_nothing() {
        let window = ChallengeWindow { limit: 1, secs: 60 };
        let mut d1 = Device(0);
        assert!(d1.take(window, 0));
        for t in 0..59 {
            assert!(!d1.take(window, t));
        }
        assert!(d1.take(window, 60));
    }

    #[test]
    fn zero_turns_it_off() {
        for window in [
            ChallengeWindow {
                limit: 0,
                secs: 600,
            },
            ChallengeWindow { limit: 5, secs: 0 },
            ChallengeWindow::OFF,
        ] {
            let mut d1 = Device(7);
            for _ in 0..100 {
                assert!(d1.take(window, 0));
            }
            assert_eq!(d1.0, 7, "nothing stored when off");
        }
    }

    #[test]
    fn a_clock_going_back_does_not_refill() {
        let window = ChallengeWindow { limit: 1, secs: 60 };
        let mut d1 = Device(0);
        assert!(d1.take(window, 1000));
        assert!(!d1.take(window, 500));
        assert!(!d1.take(window, 1059));
        assert!(d1.take(window, 1060));
    }

    #[test]
    fn extreme_settings_neither_overflow_nor_admit_wrongly() {
        let window = ChallengeWindow {
            limit: u32::MAX,
            secs: u64::MAX,
        };
        // Units beyond i64: refused, never wrapped into an admission.
        assert_eq!(window.admit(0, u64::MAX), None);
        let tight = ChallengeWindow { limit: 1, secs: 1 };
        assert_eq!(tight.admit(i64::MAX, 0), None);
    }
}
