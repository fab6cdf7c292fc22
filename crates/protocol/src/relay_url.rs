//! The relay's public base URL: `https://host[:port][/path]`, canonical form only.

use crate::encoding::text_serde;
use crate::error::{Error, Result};

/// The relay's public base URL as it appears in offers and in every signed device request
/// (`relay_origin`). Only the canonical form is accepted, so the phone (from the offer) and
/// the relay (from its configuration) sign and check the same string: `https` only;
/// lowercase host name, IPv4 or bracketed IPv6; an optional non-default port without
/// leading zeros; an optional path of `/`-separated segments from `A-Z a-z 0-9 - . _ ~`
/// with no trailing `/`, no empty, `.` or `..` segment; no user info, query or fragment;
/// at most 256 characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RelayUrl(String);

impl RelayUrl {
    /// Parses a canonical https URL.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |reason| Err(Error::invalid("relay", reason));
        if text.len() > 256 {
            return bad("longer than 256 characters");
        }
        let Some(rest) = text.strip_prefix("https://") else {
            return Err(Error::NotHttps);
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some((addr, after)) = v6.split_once(']') else {
                return bad("unclosed IPv6 bracket");
            };
            if addr.is_empty()
                || !addr
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                || addr.bytes().any(|b| b.is_ascii_uppercase())
                || addr.parse::<std::net::Ipv6Addr>().is_err()
            {
                return bad("bad IPv6 address (lowercase, in brackets)");
            }
            match after {
                "" => (authority, None),
                p => match p.strip_prefix(':') {
                    Some(port) => (&authority[..authority.len() - p.len()], Some(port)),
                    None => return bad("junk after IPv6 address"),
                },
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if !host.starts_with('[')
            && (host.is_empty()
                || host.starts_with('.')
                || host.ends_with('.')
                || host.contains("..")
                || !host.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                }))
        {
            return bad("host must be a lowercase name or IPv4 address (no user info)");
        }
        if let Some(port) = port {
            let ok = !port.is_empty()
                && !port.starts_with('0')
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok();
            if !ok {
                return bad("bad port");
            }
            if port == "443" {
                return bad("omit the default port 443");
            }
        }
        if !path.is_empty() {
            for segment in path[1..].split('/') {
                if segment.is_empty() || segment == "." || segment == ".." {
                    return bad("empty, '.' or '..' path segment (or trailing '/')");
                }
                if !segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
                {
                    return bad("path may hold only A-Z a-z 0-9 - . _ ~ and /");
                }
            }
        }
        Ok(RelayUrl(text.to_owned()))
    }

    /// The canonical URL, e.g. `https://relay.example.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of an API path below this base, e.g. `join("/v1/register")`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }

    fn to_text(&self) -> String {
        self.0.clone()
    }
}

impl core::fmt::Debug for RelayUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RelayUrl({})", self.0)
    }
}

text_serde!(RelayUrl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls_parse() {
        for ok in [
            "https://relay.example.com",
            "https://relay.example.com:8443",
            "https://example.com/assent/relay",
            "https://127.0.0.1:8443",
            "https://[::1]:8443",
            "https://[::1]",
        ] {
            assert_eq!(RelayUrl::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn non_https_and_non_canonical_urls_are_refused() {
        assert_eq!(
            RelayUrl::parse("http://relay.example.com"),
            Err(Error::NotHttps)
        );
        assert_eq!(
            RelayUrl::parse("HTTPS://relay.example.com"),
            Err(Error::NotHttps)
        );
        assert_eq!(RelayUrl::parse("relay.example.com"), Err(Error::NotHttps));
        for bad in [
            "https://",
            "https://Relay.example.com",
            "https://relay.example.com/",
            "https://relay.example.com:443",
            "https://relay.example.com:08443",
            "https://relay.example.com:99999",
            "https://relay.example.com:",
            "https://user@relay.example.com",
            "https://relay.example.com?x=1",
            "https://relay.example.com#x",
            "https://relay.example.com/a//b",
            "https://relay.example.com/a/../b",
            "https://relay.example.com/a%20b",
            "https://[::1",
            "https://[::G]",
            "https://[::1]x",
        ] {
            assert!(RelayUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
