//! Time, injected: the one [`Clock`] of `assent-protocol` (the system clock in
//! production, a [`ManualClock`] in tests), and clock-offset arithmetic.

pub use assent_protocol::clock::{Clock, ManualClock, SystemClock};

/// Applies a signed offset to a Unix time, saturating at both ends.
pub fn corrected(unix: u64, offset: i64) -> u64 {
    if offset >= 0 {
        unix.saturating_add(offset.unsigned_abs())
    } else {
        unix.saturating_sub(offset.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrected_saturates() {
        assert_eq!(corrected(100, -30), 70);
        assert_eq!(corrected(10, -30), 0);
        assert_eq!(corrected(100, 15), 115);
        assert_eq!(corrected(u64::MAX, 1), u64::MAX);
    }
}
