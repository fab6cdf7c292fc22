//! HOTP, RFC 4226: a code per counter value.

use core::fmt;

use crate::algorithm::Algorithm;
use crate::code::Code;
use crate::error::OtpError;
use crate::mac::MacKey;
use crate::secret::Secret;

/// The accepted range of code lengths.
pub const DIGITS: core::ops::RangeInclusive<u8> = 6..=8;

/// An HOTP generator. The HMAC key schedule (inner and outer padded hash
/// states) is computed once here, so a code costs two hash compressions for
/// SHA-1 and SHA-256 and no allocation.
#[derive(Clone)]
pub struct Hotp {
    key: MacKey,
    algorithm: Algorithm,
    digits: u8,
}

impl Hotp {
    /// Builds a generator; `digits` must be 6, 7 or 8.
    pub fn new(secret: Secret, algorithm: Algorithm, digits: u8) -> Result<Hotp, OtpError> {
        if !DIGITS.contains(&digits) {
            return Err(OtpError::BadDigits(digits));
        }
        let key = MacKey::new(algorithm, secret.as_bytes());
        Ok(Hotp {
            key,
            algorithm,
            digits,
        })
    }

    /// The code for `counter` (RFC 4226 section 5.3, dynamic truncation).
    pub fn code(&self, counter: u64) -> Code {
        let (tag, len) = self.key.sign_counter(counter);
        Code::new(truncate(&tag[..len], self.digits), self.digits)
    }

    /// The hash function.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The code length.
    pub fn digits(&self) -> u8 {
        self.digits
    }
}

/// Dynamic truncation to a 31-bit number, reduced mod 10^digits.
fn truncate(mac: &[u8], digits: u8) -> u32 {
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
    let word = mac
        .get(offset..offset + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_be_bytes);
    (word & 0x7fff_ffff) % 10u32.pow(u32::from(digits))
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("key", &"..redacted..")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn rfc4226_appendix_d() {
        let hotp = Hotp::new(rfc_secret(), Algorithm::Sha1, 6).unwrap();
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in want.iter().enumerate() {
            assert_eq!(
                hotp.code(counter as u64).to_string(),
                *want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn truncation_example_of_rfc4226_section_5_4() {
        let mac = hex_bytes("1f8698690e02ca16618550ef7f19da8e945b555a");
        assert_eq!(truncate(&mac, 6), 872_921);
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn digits_outside_6_to_8_are_refused() {
        for d in [0, 1, 5, 9, 10, 255] {
            assert_eq!(
                Hotp::new(rfc_secret(), Algorithm::Sha1, d).err(),
                Some(OtpError::BadDigits(d))
            );
        }
        for d in 6..=8 {
            let code = Hotp::new(rfc_secret(), Algorithm::Sha1, d).unwrap().code(1);
            assert_eq!(code.digits(), d);
            assert_eq!(code.to_string().len(), usize::from(d));
            assert!(code.value() < 10u32.pow(u32::from(d)));
        }
    }

    #[test]
    fn seven_and_eight_digits_extend_six() {
        // Codes are the same 31-bit number mod 10^d: the shorter one is a suffix.
        for counter in 0..50 {
            let six = Hotp::new(rfc_secret(), Algorithm::Sha1, 6)
                .unwrap()
                .code(counter);
            let eight = Hotp::new(rfc_secret(), Algorithm::Sha1, 8)
                .unwrap()
                .code(counter);
            assert!(eight.to_string().ends_with(&six.to_string()));
        }
    }

    #[test]
    fn largest_counter_works_and_debug_is_redacted() {
        let hotp = Hotp::new(rfc_secret(), Algorithm::Sha512, 8).unwrap();
        assert_eq!(hotp.code(u64::MAX).to_string().len(), 8);
        let dbg = format!("{hotp:?}");
        assert!(dbg.contains("Sha512") && dbg.contains("redacted"));
        assert!(!dbg.contains("1234567890"));
    }
}
