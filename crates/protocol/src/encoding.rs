//! `enc(…)`: the length-prefixed field encoding of everything that is signed, MACed,
//! wrapped or sealed, its decoder for sealed plaintexts, and canonical base64url.
//!
//! Each field is a 4-byte big-endian length followed by its bytes (empty fields too).
//! Integers and times are 8-byte big-endian, booleans one byte 0 or 1, enums their
//! lowercase ASCII word. The first field is always the domain label, e.g.
//! `"assent/v1/answer"`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Error, Result};

/// Builder for `enc(label, f1, f2, …)`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Enc(Vec<u8>);

impl Enc {
    /// Starts an encoding with its domain label (first field).
    pub fn new(label: &str) -> Self {
        Enc(Vec::with_capacity(256)).bytes(label.as_bytes())
    }

    /// Appends a byte-string field. Fields are bounded by the message types well below
    /// 4 GiB; a longer one would not be representable and is clamped (never produced here).
    pub fn bytes(mut self, field: &[u8]) -> Self {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(field);
        self
    }

    /// Appends a UTF-8 string field.
    pub fn str(self, field: &str) -> Self {
        self.bytes(field.as_bytes())
    }

    /// Appends an integer (or a time in Unix seconds) as 8 bytes big-endian.
    pub fn u64(self, field: u64) -> Self {
        self.bytes(&field.to_be_bytes())
    }

    /// Appends a boolean as one byte, 0 or 1.
    pub fn bool(self, field: bool) -> Self {
        self.bytes(&[u8::from(field)])
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reader for an `enc(…)` encoding, used to open sealed plaintexts.
#[derive(Debug)]
pub(crate) struct Dec<'a> {
    rest: &'a [u8],
}

impl<'a> Dec<'a> {
    /// Starts reading and checks the domain label.
    pub(crate) fn new(input: &'a [u8], label: &str) -> Result<Self> {
        let mut dec = Dec { rest: input };
        if dec.bytes()? != label.as_bytes() {
            return Err(Error::Malformed("unexpected domain label"));
        }
        Ok(dec)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let (len, rest) = self
            .rest
            .split_first_chunk::<4>()
            .ok_or(Error::Malformed("truncated length"))?;
        let len = usize::try_from(u32::from_be_bytes(*len))
            .map_err(|_| Error::Malformed("length overflow"))?;
        if rest.len() < len {
            return Err(Error::Malformed("truncated field"));
        }
        let (field, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(field)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str> {
        core::str::from_utf8(self.bytes()?).map_err(|_| Error::Malformed("field is not UTF-8"))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        let field: [u8; 8] = self
            .bytes()?
            .try_into()
            .map_err(|_| Error::Malformed("integer field is not 8 bytes"))?;
        Ok(u64::from_be_bytes(field))
    }

    /// What is left after the fields read so far.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Ends reading: nothing may follow.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed("trailing bytes"))
        }
    }
}

/// Encodes bytes as unpadded base64url.
pub fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes canonical unpadded base64url: no padding, no whitespace, no non-zero trailing
/// bits (so each byte string has exactly one text form).
pub fn b64_decode(text: &str, field: &'static str) -> Result<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::Base64 { field })?;
    // The engine already refuses padding and trailing bits; re-encoding makes the
    // canonical-form guarantee explicit and independent of engine settings.
    if URL_SAFE_NO_PAD.encode(&bytes) != text {
        return Err(Error::Base64 { field });
    }
    Ok(bytes)
}

/// Decodes canonical unpadded base64url into exactly `N` bytes.
pub fn b64_decode_array<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N]> {
    let bytes = b64_decode(text, field)?;
    let actual = bytes.len();
    bytes.try_into().map_err(|_| Error::Length {
        field,
        expected: N,
        actual,
    })
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Parses a JSON message, refusing anything over [`crate::MAX_MESSAGE_BYTES`] before parsing.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T> {
    if json.len() > crate::MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge {
            field: "message",
            limit: crate::MAX_MESSAGE_BYTES,
        });
    }
    serde_json::from_slice(json).map_err(|e| Error::json(&e))
}

/// Serializes a message to JSON.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Our message types hold only strings, numbers and booleans: serialization cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// serde adapter: `Vec<u8>` as canonical unpadded base64url.
pub(crate) mod b64_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64_encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::b64_decode(&text, "bytes").map_err(serde::de::Error::custom)
    }
}

/// Implements `Display`, `FromStr`, `Serialize` and `Deserialize` through a type's
/// `to_text`/`parse` pair.
macro_rules! text_serde {
    ($ty:ty) => {
        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.to_text())
            }
        }
        impl core::str::FromStr for $ty {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                Self::parse(s)
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_text())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_serde;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enc_prefixes_every_field() {
        let e = Enc::new("l").bytes(b"").u64(1).bool(true).finish();
        assert_eq!(
            e,
            [0, 0, 0, 1, b'l', 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1]
        );
        let mut d = Dec::new(&e, "l").unwrap();
        assert_eq!(d.bytes().unwrap(), b"");
        assert_eq!(d.u64().unwrap(), 1);
        assert_eq!(d.bytes().unwrap(), [1]);
        d.finish().unwrap();
    }

    #[test]
    fn dec_refuses_truncation_and_wrong_label() {
        let e = Enc::new("l").str("abc").finish();
        assert!(Dec::new(&e, "m").is_err());
        let mut d = Dec::new(&e[..e.len() - 1], "l").unwrap();
        assert_eq!(d.bytes(), Err(Error::Malformed("truncated field")));
    }

    #[test]
    fn base64url_must_be_canonical() {
        assert_eq!(b64_decode("AQ", "f").unwrap(), [1]);
        // Non-zero trailing bits: "AR" decodes to 0x01 in lenient decoders.
        assert!(b64_decode("AR", "f").is_err());
        assert!(b64_decode("AQ==", "f").is_err());
        assert!(b64_decode("A+", "f").is_err());
        assert!(b64_decode("AQ ", "f").is_err());
        assert!(b64_decode_array::<2>("AQ", "f").is_err());
    }
}
