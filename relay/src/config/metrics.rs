//! Who may read `/metrics` (issue 13 finding 8): by default only a separate listener on
//! loopback serves it; the public listener serves it only to requests that carry the
//! operator's bearer token, and answers `route_not_found` without one configured, as
//! for any route it does not have.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::ConfigError;

/// Default address of the metrics listener.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// Shortest metrics token accepted.
pub const MIN_TOKEN_LEN: usize = 32;

/// Where the separate metrics listener binds, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    /// No metrics listener.
    Off,
    /// Serve `/metrics` (plain HTTP, no authentication) here.
    At(SocketAddr),
}

impl FromStr for MetricsListen {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "off" {
            return Ok(Self::Off);
        }
        text.parse()
            .map(Self::At)
            .map_err(|_| format!("expected an address such as {DEFAULT_METRICS_LISTEN}, or off"))
    }
}

impl<'de> serde::Deserialize<'de> for MetricsListen {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The bearer token that opens `/metrics` on the public listener. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(Zeroizing<String>);

impl MetricsToken {
    /// A token of at least [`MIN_TOKEN_LEN`] printable ASCII characters.
    pub fn new(token: &str) -> Result<Self, ConfigError> {
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::Invalid(format!(
                "metrics_token must be at least {MIN_TOKEN_LEN} printable ASCII characters \
                 without spaces"
            )));
        }
        Ok(Self(Zeroizing::new(token.to_owned())))
    }

    /// Whether an `Authorization` header value carries this token (constant time in
    /// the presented bytes).
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let Some(presented) = authorization.and_then(|h| h.strip_prefix(b"Bearer ")) else {
            return false;
        };
        bool::from(presented.ct_eq(self.0.as_bytes()))
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(redacted)")
    }
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsAccess {
    /// The separate listener, if any.
    pub listen: Option<SocketAddr>,
    /// The token that opens `/metrics` on the public listener, if any.
    pub token: Option<MetricsToken>,
}

impl MetricsAccess {
    /// The first of the flag and the file for each, then the defaults (a loopback
    /// listener, no token).
    pub(super) fn resolve(
        listen: Option<MetricsListen>,
        token: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let listen = match listen {
            Some(MetricsListen::Off) => None,
            Some(MetricsListen::At(addr)) => Some(addr),
            None => DEFAULT_METRICS_LISTEN.parse().ok(),
        };
        let token = token.map(MetricsToken::new).transpose()?;
        Ok(Self { listen, token })
    }

    /// No metrics listener and no token: `/metrics` is served nowhere (the embedding
    /// API's default; its tests read the registry directly).
    pub fn none() -> Self {
        Self {
            listen: None,
            token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_values() {
        assert_eq!("off".parse(), Ok(MetricsListen::Off));
        assert_eq!(
            "127.0.0.1:9100".parse(),
            Ok(MetricsListen::At("127.0.0.1:9100".parse().unwrap()))
        );
        assert!("9100".parse::<MetricsListen>().is_err());
        let defaults = MetricsAccess::resolve(None, None).unwrap();
        assert_eq!(defaults.listen, DEFAULT_METRICS_LISTEN.parse().ok());
        assert!(defaults.token.is_none());
    }

    #[test]
    fn tokens_are_long_checked_and_never_printed() {
        assert!(MetricsToken::new("short").is_err());
        assert!(MetricsToken::new(&format!("{} x", "a".repeat(40))).is_err());
        let secret = "m".repeat(40);
        let token = MetricsToken::new(&secret).unwrap();
        assert!(token.admits(Some(format!("Bearer {secret}").as_bytes())));
        assert!(!token.admits(Some(secret.as_bytes())));
        assert!(!token.admits(Some(format!("Bearer {secret}x").as_bytes())));
        assert!(!token.admits(Some(b"Bearer ")));
        assert!(!token.admits(None));
        assert!(!format!("{token:?}").contains(&secret));
        let access = MetricsAccess::resolve(None, Some(&secret)).unwrap();
        assert!(!format!("{access:?}").contains(&secret));
    }
}
