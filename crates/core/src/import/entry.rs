//! One entry of an export, turned into OTP parameters the vault can hold,
//! or the reason it cannot be.
//!
//! Every format's parser ends here: it collects the fields its file names
//! ([`Fields`]) or an `otpauth://` URI ([`from_uri`]), and this file checks
//! them the same way for all.

use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret, UriError};
use zeroize::Zeroizing;

use super::report::{ImportFormat, SkipReason};

/// OTP parameters ready for the vault. Steam accounts carry SHA-1, five
/// digits and a 30 s TOTP period and are shown as Steam codes.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub otp: OtpAuth,
    pub steam: bool,
}

/// One entry as read: its display name and what it became.
#[derive(Debug)]
pub(crate) struct ParsedEntry {
    pub name: String,
    pub result: Result<Candidate, SkipReason>,
}

/// A whole file as read, before anything touches the vault.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub format: ImportFormat,
    pub entries: Vec<ParsedEntry>,
    pub batches: Option<(u32, u32)>,
}

impl Parsed {
    pub(crate) fn new(format: ImportFormat, entries: Vec<ParsedEntry>) -> Self {
        Self {
            format,
            entries,
            batches: None,
        }
    }
}

/// The OTP type an entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OtpType {
    Totp,
    Hotp,
    Steam,
    Other(String),
}

impl OtpType {
    /// `totp`, `hotp`, `steam` in any case; anything else is kept by name.
    pub(crate) fn from_name(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "totp" => OtpType::Totp,
            "hotp" => OtpType::Hotp,
            "steam" => OtpType::Steam,
            _ => OtpType::Other(short(name)),
        }
    }
}

/// The secret as the file carries it.
pub(crate) enum SecretIn<'a> {
    Base32(&'a str),
    Bytes(Zeroizing<Vec<u8>>),
}

/// The fields of one entry; `None` means "not given, use the default"
/// (SHA1, 6 digits, 30 s, counter 0).
pub(crate) struct Fields<'a> {
    pub issuer: Option<String>,
    pub account: String,
    pub secret: Option<SecretIn<'a>>,
    pub algorithm: Option<&'a str>,
    pub digits: Option<u64>,
    pub otp_type: OtpType,
    pub period: Option<u64>,
    pub counter: Option<u64>,
}

impl<'a> Fields<'a> {
    /// TOTP defaults with no secret yet.
    pub(crate) fn new(issuer: Option<&str>, account: Option<&str>) -> Self {
        Self {
            issuer: issuer
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            account: account.unwrap_or("").trim().to_owned(),
            secret: None,
            algorithm: None,
            digits: None,
            otp_type: OtpType::Totp,
            period: None,
            counter: None,
        }
    }

    /// "Issuer: account" for the report.
    pub(crate) fn name(&self) -> String {
        display_name(self.issuer.as_deref(), &self.account)
    }

    /// Checks the fields and builds the candidate.
    pub(crate) fn build(self) -> Result<Candidate, SkipReason> {
        if let OtpType::Other(name) = self.otp_type {
            return Err(SkipReason::UnsupportedType(name));
        }
        let secret = match self.secret {
            Some(SecretIn::Base32(text)) => Secret::from_base32(text),
            Some(SecretIn::Bytes(bytes)) => Secret::from_bytes(bytes.to_vec()),
            None => return Err(SkipReason::BadSecret),
        }
        .map_err(|_| SkipReason::BadSecret)?;
        let algorithm = match self.algorithm {
            None => Algorithm::Sha1,
            Some(a) if a.trim().is_empty() => Algorithm::Sha1,
            Some(a) => a
                .trim()
                .parse()
                .map_err(|_| SkipReason::BadParameters("algorithm"))?,
        };
        let digits = self.digits.unwrap_or(6);
        let steam = match self.otp_type {
            OtpType::Steam => true,
            OtpType::Totp => digits == 5 && is_steam_issuer(self.issuer.as_deref()),
            OtpType::Hotp => false,
            OtpType::Other(name) => return Err(SkipReason::UnsupportedType(name)),
        };
        if steam {
            return Ok(steam_candidate(self.issuer, self.account, secret));
        }
        let digits = u8::try_from(digits).map_err(|_| SkipReason::BadParameters("digits"))?;
        let kind = match self.otp_type {
            OtpType::Hotp => OtpKind::Hotp {
                counter: self.counter.unwrap_or(0),
            },
            _ => OtpKind::Totp {
                period: self.period.unwrap_or(30),
            },
        };
        let otp = OtpAuth {
            kind,
            issuer: self.issuer,
            account: self.account,
            secret,
            algorithm,
            digits,
        };
        check(otp)
    }
}

/// Steam parameters: SHA-1, five characters, 30 s.
fn steam_candidate(issuer: Option<String>, account: String, secret: Secret) -> Candidate {
    Candidate {
        otp: OtpAuth {
            kind: OtpKind::Totp { period: 30 },
            issuer: issuer.or_else(|| Some("Steam".to_owned())),
            account,
            secret,
            algorithm: Algorithm::Sha1,
            digits: 5,
        },
        steam: true,
    }
}

fn check(otp: OtpAuth) -> Result<Candidate, SkipReason> {
    let ok = match otp.kind {
        OtpKind::Totp { .. } => otp.totp().map(drop),
        OtpKind::Hotp { .. } => otp.hotp().map(drop),
    };
    match ok {
        Ok(()) => Ok(Candidate { otp, steam: false }),
        Err(assent_otp::OtpError::BadDigits(_)) => Err(SkipReason::BadParameters("digits")),
        Err(assent_otp::OtpError::BadPeriod) => Err(SkipReason::BadParameters("period")),
        Err(assent_otp::OtpError::SecretTooShort | assent_otp::OtpError::BadBase32) => {
            Err(SkipReason::BadSecret)
        }
        Err(_) => Err(SkipReason::BadParameters("parameters")),
    }
}

fn is_steam_issuer(issuer: Option<&str>) -> bool {
    issuer.is_some_and(|i| i.trim().eq_ignore_ascii_case("steam"))
}

/// "Issuer: account", or one of them alone.
pub(crate) fn display_name(issuer: Option<&str>, account: &str) -> String {
    let account = account.trim();
    match issuer.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) if account.is_empty() => short(i),
        Some(i) => short(&format!("{i}: {account}")),
        None if account.is_empty() => "(no name)".to_owned(),
        None => short(account),
    }
}

/// At most 200 characters, no control characters (names go to screens).
pub(crate) fn short(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(crate::vault::MAX_NAME_CHARS)
        .collect()
}

/// Parses one `otpauth://` URI leniently: `otpauth://steam/…`, Steam
/// issuers with five digits, and `steam://SECRET` (Bitwarden, Proton) are
/// Steam accounts; everything else goes through the OTP crate's parser.
/// The name is for the report; `fallback` names entries whose URI is
/// unreadable.
pub(crate) fn from_uri(uri: &str, fallback: &str) -> ParsedEntry {
    let uri = uri.trim();
    if let Some(secret) = strip_prefix_ci(uri, "steam://") {
        let mut f = Fields::new(Some("Steam"), Some(fallback));
        f.secret = Some(SecretIn::Base32(secret));
        f.otp_type = OtpType::Steam;
        return ParsedEntry {
            name: f.name(),
            result: f.build(),
        };
    }
    let (text, steam) = match strip_prefix_ci(uri, "otpauth://steam/") {
        Some(rest) => (format!("otpauth://totp/{rest}"), true),
        None => (uri.to_owned(), false),
    };
    let text = Zeroizing::new(text);
    let parsed = match OtpAuth::parse(&text) {
        Err(UriError::BadDigits) => {
            // Five-digit Steam entries: read the rest without the digits.
            let without = Zeroizing::new(without_param(&text, "digits"));
            OtpAuth::parse(&without).map(|otp| (otp, true))
        }
        other => other.map(|otp| (otp, false)),
    };
    match parsed {
        Ok((otp, five_digits)) => {
            let name = display_name(otp.issuer.as_deref(), &otp.account);
            let result = if steam || (five_digits && is_steam_issuer(otp.issuer.as_deref())) {
                Ok(steam_candidate(otp.issuer, otp.account, otp.secret))
            } else if five_digits {
                Err(SkipReason::BadParameters("digits"))
            } else {
                check(otp)
            };
            ParsedEntry { name, result }
        }
        Err(e) => ParsedEntry {
            name: short(fallback),
            result: Err(uri_skip(&e)),
        },
    }
}

fn uri_skip(e: &UriError) -> SkipReason {
    match e {
        UriError::MissingSecret | UriError::BadSecret | UriError::SecretTooShort => {
            SkipReason::BadSecret
        }
        UriError::BadType => SkipReason::UnsupportedType("unknown otpauth type".to_owned()),
        UriError::BadAlgorithm => SkipReason::BadParameters("algorithm"),
        UriError::BadDigits => SkipReason::BadParameters("digits"),
        UriError::BadPeriod => SkipReason::BadParameters("period"),
        UriError::MissingCounter | UriError::BadCounter => SkipReason::BadParameters("counter"),
        UriError::DuplicateParameter(_) => SkipReason::Malformed("repeated URI parameter"),
        _ => SkipReason::Malformed("not a valid otpauth URI"),
    }
}

fn strip_prefix_ci<'s>(text: &'s str, prefix: &str) -> Option<&'s str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// The URI with every `name=…` query parameter removed.
fn without_param(uri: &str, name: &str) -> String {
    let Some((base, query)) = uri.split_once('?') else {
        return uri.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            !p.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
        })
        .collect();
    format!("{base}?{}", kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_forms() {
        let e = from_uri(
            "otpauth://steam/Boeing:Sophia?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Boeing&digits=5",
            "x",
        );
        let c = e.result.unwrap();
        assert!(c.steam);
        assert_eq!(c.otp.issuer.as_deref(), Some("Boeing"));
        let e = from_uri(
            "otpauth://totp/Steam:bob?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&digits=5",
            "x",
        );
        assert!(e.result.unwrap().steam);
        let e = from_uri(
            "otpauth://totp/Other:bob?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&digits=5",
            "x",
        );
        assert_eq!(e.result.unwrap_err(), SkipReason::BadParameters("digits"));
        let e = from_uri("otpauth://totp/A:b?secret=AB", "line 3");
        assert_eq!(e.result.unwrap_err(), SkipReason::BadSecret);
        let e = from_uri("otpauth://motp/A:b?secret=JRZCL47CMXVOQMNPZR2F7J4RGI", "l");
        assert!(matches!(e.result, Err(SkipReason::UnsupportedType(_))));
        let e = from_uri("steam://JRZCL47CMXVOQMNPZR2F7J4RGI", "Test 4");
        assert!(e.result.unwrap().steam);
        assert_eq!(e.name, "Steam: Test 4");
    }

    #[test]
    fn fields_checks() {
        let mut f = Fields::new(Some("A"), Some("b"));
        f.secret = Some(SecretIn::Base32("JRZCL47CMXVOQMNPZR2F7J4RGI"));
        f.algorithm = Some("MD5");
        assert_eq!(
            f.build().unwrap_err(),
            SkipReason::BadParameters("algorithm")
        );
        let mut f = Fields::new(Some("A"), Some("b"));
        f.secret = Some(SecretIn::Base32("JRZCL47CMXVOQMNPZR2F7J4RGI"));
        f.digits = Some(300);
        assert_eq!(f.build().unwrap_err(), SkipReason::BadParameters("digits"));
        let mut f = Fields::new(Some("A"), Some("b"));
        f.secret = Some(SecretIn::Base32("JRZCL47CMXVOQMNPZR2F7J4RGI"));
        f.period = Some(0);
        assert_eq!(f.build().unwrap_err(), SkipReason::BadParameters("period"));
        assert_eq!(display_name(None, ""), "(no name)");
    }
}
