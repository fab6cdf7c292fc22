//! The RP identifier: a lowercase A-label host name, no port, no trailing dot.

use crate::encoding::text_serde;
use crate::error::{Error, Result};

/// A relying party's identifier, e.g. `example.com`. Only the canonical form is accepted:
/// lowercase ASCII (IDNs as their `xn--` A-labels), labels of 1–63 characters from
/// `a-z 0-9 -` not starting or ending with `-`, at most 253 characters, no port and no
/// trailing dot. `Example.COM.` is refused, not normalized, so one RP has one spelling.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RpId(String);

impl RpId {
    /// Parses a canonical RP id.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |reason| Err(Error::invalid("rp", reason));
        if text.is_empty() || text.len() > 253 {
            return bad("length must be 1 to 253");
        }
        for label in text.split('.') {
            if label.is_empty() {
                return bad("empty label (or trailing dot)");
            }
            if label.len() > 63 {
                return bad("label longer than 63");
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return bad("only lowercase a-z, 0-9 and - (A-labels); no port");
            }
            if label.starts_with('-') || label.ends_with('-') {
                return bad("label starts or ends with -");
            }
        }
        Ok(RpId(text.to_owned()))
    }

    /// The host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn to_text(&self) -> String {
        self.0.clone()
    }
}

impl core::fmt::Debug for RpId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RpId({})", self.0)
    }
}

text_serde!(RpId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_hosts_parse() {
        for ok in [
            "example.com",
            "login.example.co.uk",
            "xn--bcher-kva.example",
            "localhost",
            "a-b.c1",
        ] {
            assert_eq!(RpId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn non_canonical_hosts_are_refused() {
        for bad in [
            "Example.COM.",
            "example.com.",
            "Example.com",
            "example.com:443",
            "",
            "a..b",
            "-a.com",
            "a-.com",
            "bücher.example",
            "exa mple.com",
            "https://example.com",
        ] {
            assert!(RpId::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(RpId::parse(&"a".repeat(64)).is_err());
        assert!(RpId::parse(&["a"; 128].join(".")).is_err());
    }
}
