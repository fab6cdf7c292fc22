//! An account as carried by an `otpauth://` URI.

use core::str::FromStr;

use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::error::{OtpError, UriError};
use crate::hotp::Hotp;
use crate::secret::Secret;
use crate::totp::Totp;
use crate::uri;

/// Periods above this many seconds draw [`Warning::LongPeriod`].
pub const LONG_PERIOD: u64 = 120;

/// Time-based or counter-based, with the parameter that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpKind {
    /// `otpauth://totp/...`, with its step length in seconds.
    Totp {
        /// Step length in seconds (default 30).
        period: u64,
    },
    /// `otpauth://hotp/...`, with its next counter value.
    Hotp {
        /// The counter value of the next code.
        counter: u64,
    },
}

/// Something legal but worth telling the user about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// The TOTP period (in seconds) is above 120 s: codes stay valid long.
    LongPeriod(u64),
}

/// A parsed `otpauth://` URI (Google's Key URI Format).
///
/// `Debug` redacts the secret. `parse(&x.to_uri()) == Ok(x)` for every value
/// whose `digits` is 6..=8 and whose period (TOTP) is at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpAuth {
    /// TOTP with its period, or HOTP with its counter.
    pub kind: OtpKind,
    /// Who issued the account (the `issuer` parameter, else the label prefix).
    pub issuer: Option<String>,
    /// The account name (the label after `issuer:`).
    pub account: String,
    /// The shared secret.
    pub secret: Secret,
    /// The hash function (default SHA1).
    pub algorithm: Algorithm,
    /// Code length, 6..=8 (default 6).
    pub digits: u8,
}

impl OtpAuth {
    /// Parses an `otpauth://totp/...` or `otpauth://hotp/...` URI.
    ///
    /// Never panics; errors name the faulty part and never carry the secret.
    pub fn parse(uri: &str) -> Result<OtpAuth, UriError> {
        uri::parse::parse(uri)
    }

    /// Renders the URI, percent-encoding the label and issuer; always writes
    /// `algorithm`, `digits` and `period` or `counter`. The result holds the
    /// secret, so it is zeroized on drop.
    pub fn to_uri(&self) -> Zeroizing<String> {
        uri::render::render(self)
    }

    /// A TOTP generator for this account; [`OtpError::NotTotp`] for HOTP.
    pub fn totp(&self) -> Result<Totp, OtpError> {
        match self.kind {
            OtpKind::Totp { period } => {
                Totp::new(self.secret.clone(), self.algorithm, self.digits, period)
            }
            OtpKind::Hotp { .. } => Err(OtpError::NotTotp),
        }
    }

    /// An HOTP generator for this account; [`OtpError::NotHotp`] for TOTP.
    /// The counter stays in [`OtpKind::Hotp`].
    pub fn hotp(&self) -> Result<Hotp, OtpError> {
        match self.kind {
            OtpKind::Hotp { .. } => Hotp::new(self.secret.clone(), self.algorithm, self.digits),
            OtpKind::Totp { .. } => Err(OtpError::NotHotp),
        }
    }

    /// Legal but questionable settings, e.g. a period above 120 s.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        if let OtpKind::Totp { period } = self.kind {
            if period > LONG_PERIOD {
                out.push(Warning::LongPeriod(period));
            }
        }
        out
    }
}

impl FromStr for OtpAuth {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OtpAuth::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(kind: OtpKind) -> OtpAuth {
        OtpAuth {
            kind,
            issuer: Some("ACME".into()),
            account: "alice".into(),
            secret: Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            algorithm: Algorithm::Sha1,
            digits: 6,
        }
    }

    #[test]
    fn generators_follow_kind() {
        let t = account(OtpKind::Totp { period: 30 });
        assert_eq!(t.totp().unwrap().period(), 30);
        assert_eq!(t.hotp().err(), Some(OtpError::NotHotp));
        let h = account(OtpKind::Hotp { counter: 5 });
        assert_eq!(h.totp().err(), Some(OtpError::NotTotp));
        assert_eq!(h.hotp().unwrap().digits(), 6);
        let bad = OtpAuth {
            digits: 9,
            ..t.clone()
        };
        assert_eq!(bad.totp().err(), Some(OtpError::BadDigits(9)));
    }

    #[test]
    fn long_period_warns_above_120() {
        assert!(account(OtpKind::Totp { period: 120 }).warnings().is_empty());
        assert_eq!(
            account(OtpKind::Totp { period: 121 }).warnings(),
            vec![Warning::LongPeriod(121)]
        );
        assert!(account(OtpKind::Hotp { counter: 1_000 })
            .warnings()
            .is_empty());
    }

    #[test]
    fn debug_redacts_secret() {
        let a = account(OtpKind::Totp { period: 30 });
        let dbg = format!("{a:?}{a:#?}");
        assert!(dbg.contains("alice") && dbg.contains("redacted"));
        assert!(!dbg.contains("JBSWY3DP"));
    }
}
