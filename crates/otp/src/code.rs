//! A generated one-time code.

use core::fmt;

use subtle::ConstantTimeEq;

/// The `digits` value that marks a Steam code.
const STEAM_LEN: u8 = 5;

/// A one-time code: a value below 10^digits, shown zero-padded; or a
/// Steam Guard code ([`Code::is_steam`]), five characters of
/// [`STEAM_ALPHABET`](crate::STEAM_ALPHABET).
///
/// `Debug` hides the value (codes are short-lived secrets; keep them out of
/// logs); `Display` shows it. Compare with [`Code::matches`] or `==`, both
/// constant time.
#[derive(Clone, Copy)]
pub struct Code {
    value: u32,
    digits: u8,
}

impl Code {
    /// `digits` must be 6..=8 and `value < 10^digits`; the generators
    /// guarantee both.
    pub(crate) fn new(value: u32, digits: u8) -> Code {
        Code { value, digits }
    }

    /// A Steam code from the 31-bit truncated HMAC value.
    pub(crate) fn steam(value: u32) -> Code {
        Code {
            value: value & 0x7fff_ffff,
            digits: STEAM_LEN,
        }
    }

    /// Whether this is a Steam Guard code (five letters and digits).
    pub fn is_steam(&self) -> bool {
        self.digits == STEAM_LEN
    }

    /// The code as a number (leading zeros lost; see `Display`).
    pub fn value(&self) -> u32 {
        self.value
    }

    /// How many characters the code has when displayed (6, 7 or 8; 5 for
    /// Steam codes).
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// The code's ASCII digits, zero-padded, in the first `digits` bytes.
    fn ascii(&self) -> [u8; 8] {
        let mut out = [b'0'; 8];
        let mut v = self.value;
        if self.is_steam() {
            for slot in out[..usize::from(STEAM_LEN)].iter_mut() {
                *slot = crate::STEAM_ALPHABET
                    .get((v % 26) as usize)
                    .copied()
                    .unwrap_or(b'2');
                v /= 26;
            }
            return out;
        }
        let n = usize::from(self.digits).min(8);
        for slot in out[..n].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out
    }

    /// Whether `typed` is this code, comparing the digits in constant time.
    ///
    /// ASCII spaces are ignored (people type `123 456` as apps show it);
    /// anything else that is not exactly `digits` ASCII digits is a mismatch.
    pub fn matches(&self, typed: &str) -> bool {
        let mut got = [b'0'; 8];
        let mut len = 0usize;
        let mut well_formed = true;
        let steam = self.is_steam();
        for c in typed.bytes().filter(|c| *c != b' ') {
            match got.get_mut(len) {
                Some(slot) if c.is_ascii_digit() => *slot = c,
                Some(slot) if steam && c.is_ascii_alphabetic() => *slot = c.to_ascii_uppercase(),
                _ => well_formed = false,
            }
            len += 1;
        }
        let want = self.ascii();
        let same = got.ct_eq(&want);
        well_formed && len == usize::from(self.digits) && bool::from(same)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ascii = self.ascii();
        let n = usize::from(self.digits).min(8);
        // The bytes are ASCII digits, so this is always valid UTF-8.
        f.write_str(core::str::from_utf8(&ascii[..n]).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Code {
    /// Constant time in the value.
    fn eq(&self, other: &Self) -> bool {
        self.digits == other.digits && bool::from(self.value.ct_eq(&other.value))
    }
}

impl Eq for Code {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_zero_pads_to_digits() {
        assert_eq!(Code::new(42, 6).to_string(), "000042");
        assert_eq!(Code::new(42, 7).to_string(), "0000042");
        assert_eq!(Code::new(42, 8).to_string(), "00000042");
        assert_eq!(Code::new(0, 6).to_string(), "000000");
        assert_eq!(Code::new(999_999, 6).to_string(), "999999");
        assert_eq!(Code::new(12_345_678, 8).to_string(), "12345678");
    }

    #[test]
    fn matches_exact_digits_only() {
        let c = Code::new(42, 6);
        assert!(c.matches("000042"));
        assert!(c.matches("000 042"));
        assert!(!c.matches("42"));
        assert!(!c.matches("0000042"));
        assert!(!c.matches("000043"));
        assert!(!c.matches("00004２")); // full-width digit
        assert!(!c.matches("+00042"));
        assert!(!c.matches(""));
        assert!(!c.matches("000042000042000042"));
        let c8 = Code::new(12_345_678, 8);
        assert!(c8.matches("12345678"));
        assert!(!c8.matches("1234567"));
    }

    #[test]
    fn debug_hides_value() {
        let c = Code::new(123_456, 6);
        assert!(!format!("{c:?}").contains("123456"));
        assert_eq!(c, Code::new(123_456, 6));
        assert_ne!(c, Code::new(123_456, 7));
        assert_ne!(c, Code::new(123_457, 6));
    }
}
