//! The shared OTP secret.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::base32;
use crate::error::OtpError;

/// Minimum secret length in bytes: 80 bits, the RFC 4226 floor and what many
/// services issue (16 base32 characters).
pub const MIN_SECRET_BYTES: usize = 10;

/// An HOTP/TOTP shared secret of at least 80 bits.
///
/// The bytes are zeroized on drop (including any spare capacity of the
/// vector they came in), `Debug` prints `Secret(..redacted..)`, and `==`
/// runs in constant time for secrets of equal length.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of raw secret bytes; at least 10 bytes (80 bits).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Secret, OtpError> {
        // Wrap first so the bytes are zeroized even when refused.
        let bytes = Zeroizing::new(bytes);
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(OtpError::SecretTooShort);
        }
        Ok(Secret(bytes))
    }

    /// Decodes base32, case-insensitively, ignoring spaces and `=` padding.
    pub fn from_base32(text: &str) -> Result<Secret, OtpError> {
        let bytes = base32::decode(text)?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(OtpError::SecretTooShort);
        }
        Ok(Secret(bytes))
    }

    /// Uppercase, unpadded base32 (what `otpauth://` URIs carry).
    pub fn to_base32(&self) -> Zeroizing<String> {
        base32::encode(&self.0)
    }

    /// The raw secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..redacted..)")
    }
}

impl PartialEq for Secret {
    /// Constant time in the contents; the lengths are not secret.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_80_bits_and_refuses_less() {
        assert!(Secret::from_bytes(vec![7; 10]).is_ok());
        assert_eq!(
            Secret::from_bytes(vec![7; 9]),
            Err(OtpError::SecretTooShort)
        );
        assert!(Secret::from_base32("JBSWY3DPEHPK3PXP").is_ok());
        // 15 symbols = 75 bits = 9 bytes; 14 symbols is no valid length.
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3PX"),
            Err(OtpError::SecretTooShort)
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3P"),
            Err(OtpError::BadBase32)
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DP!HPK3PXP"),
            Err(OtpError::BadBase32)
        );
    }

    #[test]
    fn base32_forms_agree() {
        let a = Secret::from_base32("jbsw y3dp ehpk 3pxp====").unwrap();
        assert_eq!(a.as_bytes(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(a.to_base32().as_str(), "JBSWY3DPEHPK3PXP");
        assert_eq!(a, Secret::from_bytes(a.as_bytes().to_vec()).unwrap());
        assert_ne!(a, Secret::from_bytes(vec![0; 10]).unwrap());
        assert_ne!(a, Secret::from_bytes(vec![0; 11]).unwrap());
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let dbg = format!("{s:?} {s:#?}");
        assert_eq!(format!("{s:?}"), "Secret(..redacted..)");
        assert!(!dbg.contains("JBSWY3DP"));
        assert!(!dbg.contains("72, 101")); // "He" as decimal bytes
        assert!(!dbg.contains("48656c")); // as hex
    }
}
