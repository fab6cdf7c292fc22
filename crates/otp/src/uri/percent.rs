//! Percent-encoding for URI components.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters is escaped, so `:`, `+`,
/// `&`, `=`, `%`, `/`, `?` and `#` inside names never read as syntax.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A malformed escape or non-UTF-8 result.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadEncoding;

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Strictly decodes `%XX` escapes and turns `+` into a space. A `%` not
/// followed by two hex digits, or bytes that are not UTF-8, are an error.
///
/// The output is allocated once at its final capacity and never grows, so
/// callers decoding a secret can zeroize it without stray copies.
pub(crate) fn decode(input: &str) -> Result<String, BadEncoding> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(BadEncoding),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        BadEncoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(decode("a%20b+c%3Ad%3ae").unwrap(), "a b c:d:e");
        assert_eq!(decode("%C3%A9t%C3%A9").unwrap(), "été");
        assert_eq!(decode("%2B").unwrap(), "+");
        assert_eq!(decode("").unwrap(), "");
    }

    #[test]
    fn refuses_bad_escapes_and_non_utf8() {
        for bad in ["%", "%2", "%zz", "a%g0", "%C3", "%FF", "%%41"] {
            assert_eq!(decode(bad), Err(BadEncoding), "{bad}");
        }
    }

    #[test]
    fn encodes_syntax_characters() {
        let enc =
            percent_encoding::utf8_percent_encode("a b:c+d&e=f%g/h?i#j~k", COMPONENT).to_string();
        assert_eq!(enc, "a%20b%3Ac%2Bd%26e%3Df%25g%2Fh%3Fi%23j~k");
    }
}
