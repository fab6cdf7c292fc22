//! The login context shown on the phone, padded to one fixed size before sealing so that
//! neither the relay nor Apple/Google learn anything from its length.

use std::net::IpAddr;

use crate::encoding::{Dec, Enc};
use crate::error::{Error, Result};

/// Longest `client` (browser/app description), in bytes of UTF-8.
pub const MAX_CLIENT: usize = 200;
/// Longest `location` (approximate place), in bytes of UTF-8.
pub const MAX_LOCATION: usize = 120;
/// Every encoded context is padded with zero bytes to exactly this size before sealing.
pub const CONTEXT_PADDED_LEN: usize = 512;

/// Who is asking to log in, as the RP saw the request. Construct with
/// [`LoginContext::new`], which truncates over-long strings at a character boundary and
/// drops control characters, so a context always fits the padded size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginContext {
    client: String,
    ip: IpAddr,
    location: String,
    time: u64,
}

fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

impl LoginContext {
    /// `client`: browser/app, e.g. "Firefox 126 on Windows"; `ip`: the requester's address;
    /// `location`: approximate place, e.g. "Zürich, CH" (may be empty); `time`: when the
    /// login was attempted (Unix seconds).
    pub fn new(client: &str, ip: IpAddr, location: &str, time: u64) -> Self {
        LoginContext {
            client: clean(client, MAX_CLIENT),
            ip,
            location: clean(location, MAX_LOCATION),
            time,
        }
    }

    /// Browser/app description.
    pub fn client(&self) -> &str {
        &self.client
    }
    /// Requester IP address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
    /// Approximate location (may be empty).
    pub fn location(&self) -> &str {
        &self.location
    }
    /// Time of the login attempt, Unix seconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// `enc("assent/v1/context", client, ip, location, time) ‖ 0x00…` to
    /// [`CONTEXT_PADDED_LEN`] bytes. `ip` is its textual form (RFC 5952 for IPv6).
    pub fn to_padded(&self) -> Vec<u8> {
        let mut out = Enc::new("assent/v1/context")
            .str(&self.client)
            .str(&self.ip.to_string())
            .str(&self.location)
            .u64(self.time)
            .finish();
        // Cannot exceed: the fields are bounded by construction (410 bytes at most).
        out.resize(CONTEXT_PADDED_LEN.max(out.len()), 0);
        out
    }

    /// Parses a padded context: exactly [`CONTEXT_PADDED_LEN`] bytes, zero padding.
    pub fn from_padded(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != CONTEXT_PADDED_LEN {
            return Err(Error::Malformed("context is not the padded size"));
        }
        let mut d = Dec::new(bytes, "assent/v1/context")?;
        let client = d.str()?;
        let ip = d
            .str()?
            .parse()
            .map_err(|_| Error::Malformed("bad IP address"))?;
        let location = d.str()?;
        let time = d.u64()?;
        if d.rest().iter().any(|b| *b != 0) {
            return Err(Error::Malformed("non-zero padding"));
        }
        if client.len() > MAX_CLIENT || location.len() > MAX_LOCATION {
            return Err(Error::Malformed("context field too long"));
        }
        Ok(LoginContext {
            client: client.to_owned(),
            ip,
            location: location.to_owned(),
            time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_size_is_fixed() {
        let small = LoginContext::new("", "1.2.3.4".parse().unwrap(), "", 0);
        let big = LoginContext::new(
            &"ü".repeat(500),
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
                .parse()
                .unwrap(),
            &"é\n".repeat(500),
            u64::MAX,
        );
        assert_eq!(small.to_padded().len(), CONTEXT_PADDED_LEN);
        assert_eq!(big.to_padded().len(), CONTEXT_PADDED_LEN);
        assert_eq!(big.client().len(), MAX_CLIENT);
        assert!(!big.location().contains('\n'));
        assert_eq!(LoginContext::from_padded(&big.to_padded()).unwrap(), big);
        assert_eq!(
            LoginContext::from_padded(&small.to_padded()).unwrap(),
            small
        );
    }

    #[test]
    fn bad_padding_is_refused() {
        let c = LoginContext::new("Firefox", "::1".parse().unwrap(), "Bern", 5);
        let mut p = c.to_padded();
        p[CONTEXT_PADDED_LEN - 1] = 1;
        assert!(LoginContext::from_padded(&p).is_err());
        assert!(LoginContext::from_padded(&c.to_padded()[1..]).is_err());
    }
}
