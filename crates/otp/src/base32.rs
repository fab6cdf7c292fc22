//! Lenient RFC 4648 base32 decoding for secrets typed or scanned in the wild.
//!
//! Case-insensitive; spaces and `=` are ignored anywhere; trailing bits that
//! do not fill a byte are dropped (as Google Authenticator does, since some
//! services draw random base32 characters rather than random bytes). Lengths
//! that no byte string encodes to (1, 3 or 6 characters mod 8) are refused.

use zeroize::Zeroizing;

use crate::error::OtpError;

fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Decodes `text` into a buffer that is zeroized on drop.
pub(crate) fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, OtpError> {
    let symbols = text.bytes().filter(|c| *c != b' ' && *c != b'=').count();
    if matches!(symbols % 8, 1 | 3 | 6) {
        return Err(OtpError::BadBase32);
    }
    // Allocated once at its final size, so no copy is left behind by growth.
    let mut out = Zeroizing::new(Vec::with_capacity(symbols * 5 / 8));
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for c in text.bytes() {
        if c == b' ' || c == b'=' {
            continue;
        }
        let v = value(c).ok_or(OtpError::BadBase32)?;
        buffer = (buffer << 5) | u16::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Encodes `bytes` as uppercase unpadded base32 into a string that is
/// zeroized on drop.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    let encoding = &data_encoding::BASE32_NOPAD;
    let mut out = Zeroizing::new(String::with_capacity(encoding.encode_len(bytes.len())));
    encoding.encode_append(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc4648_vectors() {
        for (text, bytes) in [
            ("", &b""[..]),
            ("MY======", b"f"),
            ("MZXQ====", b"fo"),
            ("MZXW6===", b"foo"),
            ("MZXW6YQ=", b"foob"),
            ("MZXW6YTB", b"fooba"),
            ("MZXW6YTBOI======", b"foobar"),
        ] {
            assert_eq!(decode(text).unwrap().as_slice(), bytes, "{text}");
            assert_eq!(encode(bytes).as_str(), text.trim_end_matches('='));
        }
    }

    #[test]
    fn lenient_on_case_spaces_padding_and_trailing_bits() {
        let want = decode("JBSWY3DPEHPK3PXP").unwrap();
        for text in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "jbsw y3dp ehpk 3pxp==",
            "=JBSWY3DPEHPK3PXP",
        ] {
            assert_eq!(decode(text).unwrap(), want, "{text}");
        }
        // "MZ" ends in non-zero trailing bits; it still decodes to "f".
        assert_eq!(decode("MZ").unwrap().as_slice(), b"f");
    }

    #[test]
    fn refuses_bad_symbols_and_impossible_lengths() {
        for text in [
            "JBSWY3DP1",
            "JBSWY3D0",
            "JBSW-Y3DP",
            "M",
            "MZX",
            "MZXW6Y",
            "é",
        ] {
            assert_eq!(decode(text), Err(OtpError::BadBase32), "{text}");
        }
    }
}
