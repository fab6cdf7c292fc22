//! The HMAC hash function of an OTP generator.

use core::fmt;
use core::str::FromStr;

use crate::error::UnknownAlgorithm;

/// The hash function under HMAC. SHA-1 is the default of RFC 4226/6238 and
/// the only one Google Authenticator honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// HMAC-SHA-1.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256` or `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    pub(crate) fn ring(self) -> ring::hmac::Algorithm {
        match self {
            Algorithm::Sha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => ring::hmac::HMAC_SHA256,
            Algorithm::Sha512 => ring::hmac::HMAC_SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts `SHA1`, `SHA256`, `SHA512` in any case, with or without a
    /// dash after `SHA` (`sha-256`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = match s.split_at_checked(3) {
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("sha") => rest,
            _ => return Err(UnknownAlgorithm),
        };
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        match rest {
            "1" => Ok(Algorithm::Sha1),
            "256" => Ok(Algorithm::Sha256),
            "512" => Ok(Algorithm::Sha512),
            _ => Err(UnknownAlgorithm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_in_any_case() {
        for (text, alg) in [
            ("SHA1", Algorithm::Sha1),
            ("sha1", Algorithm::Sha1),
            ("Sha-1", Algorithm::Sha1),
            ("SHA256", Algorithm::Sha256),
            ("sha-256", Algorithm::Sha256),
            ("SHA512", Algorithm::Sha512),
        ] {
            assert_eq!(text.parse::<Algorithm>().unwrap(), alg, "{text}");
        }
        for bad in ["", "SHA", "SHA2", "MD5", "SHA1 ", "shå1", "SHA--1"] {
            assert_eq!(bad.parse::<Algorithm>(), Err(UnknownAlgorithm), "{bad}");
        }
    }

    #[test]
    fn display_round_trips_and_default_is_sha1() {
        assert_eq!(Algorithm::default(), Algorithm::Sha1);
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(alg.to_string().parse::<Algorithm>().unwrap(), alg);
        }
        assert_eq!(Algorithm::Sha256.to_string(), "SHA256");
    }
}
