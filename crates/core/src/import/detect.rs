//! Which export format a file is, from its content alone, and the parser
//! for it.
//!
//! JSON documents are told apart by their top-level keys; text by its
//! first meaningful line; anything else that is not text is taken for an
//! encrypted andOTP backup (the one binary format), which then fails with
//! a clear error if it is not one.

use serde_json::Value;

use super::entry::Parsed;
use super::error::{ImportError, ImportResult};
use super::json::Doc;
use super::report::ImportFormat;
use super::{
    aegis, andotp, authpro, bitwarden, freeotp_plus, google, otpauth_list, proton, twofas,
};

/// What the content looks like, before any parsing of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Json,
    Text,
    Binary,
}

/// Classifies the input (BOM and leading whitespace ignored).
pub(crate) fn shape(bytes: &[u8]) -> (Shape, &[u8]) {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let body = bytes.get(start..).unwrap_or(&[]);
    match (std::str::from_utf8(body), body.first()) {
        (Ok(_), Some(b'{' | b'[')) => (Shape::Json, body),
        (Ok(_), _) => (Shape::Text, body),
        (Err(_), _) => (Shape::Binary, body),
    }
}

/// The format of a JSON document.
pub(crate) fn json_format(v: &Value) -> Option<ImportFormat> {
    if aegis::matches(v) {
        Some(ImportFormat::Aegis)
    } else if twofas::matches(v) {
        Some(ImportFormat::TwoFas)
    } else if freeotp_plus::matches(v) {
        Some(ImportFormat::FreeOtpPlus)
    } else if authpro::matches(v) {
        Some(ImportFormat::AuthenticatorPro)
    } else if proton::matches(v) {
        Some(ImportFormat::ProtonAuthenticator)
    } else if bitwarden::matches(v) {
        Some(ImportFormat::BitwardenJson)
    } else if andotp::matches(v) {
        Some(ImportFormat::AndOtp)
    } else {
        None
    }
}

/// Detects the format and parses the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> ImportResult<Parsed> {
    let (shape, body) = shape(bytes);
    match shape {
        Shape::Json => {
            let v = Doc::parse(body).ok_or(ImportError::UnknownFormat)?;
            match json_format(&v).ok_or(ImportError::UnknownFormat)? {
                ImportFormat::Aegis => aegis::parse(&v, password),
                ImportFormat::TwoFas => twofas::parse(&v, password),
                ImportFormat::FreeOtpPlus => freeotp_plus::parse(&v),
                ImportFormat::AuthenticatorPro => authpro::parse(&v),
                ImportFormat::ProtonAuthenticator => proton::parse(&v),
                ImportFormat::BitwardenJson => bitwarden::parse_json(&v),
                _ => andotp::parse_plain(&v),
            }
        }
        Shape::Text => {
            let text = std::str::from_utf8(body).map_err(|_| ImportError::UnknownFormat)?;
            let first = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .unwrap_or("");
            let lower = first.get(..20).unwrap_or(first).to_ascii_lowercase();
            if lower.starts_with("otpauth-migration:") {
                google::parse(text)
            } else if lower.starts_with("otpauth://") || lower.starts_with("steam://") {
                otpauth_list::parse(text)
            } else if bitwarden::matches_csv(text) {
                bitwarden::parse_csv(text)
            } else if body.starts_with(authpro::ENCRYPTED_MAGIC) {
                Err(ImportError::Unsupported {
                    format: ImportFormat::AuthenticatorPro,
                    what: "encrypted backups (export an unencrypted one)",
                })
            } else {
                Err(ImportError::UnknownFormat)
            }
        }
        Shape::Binary if body.starts_with(authpro::ENCRYPTED_MAGIC) => {
            Err(ImportError::Unsupported {
                format: ImportFormat::AuthenticatorPro,
                what: "encrypted backups (export an unencrypted one)",
            })
        }
        Shape::Binary => andotp::parse_encrypted(body, password),
    }
}

/// Only the format, without decrypting (for a UI that asks for the
/// password when the format needs one).
pub fn detect(bytes: &[u8]) -> Option<ImportFormat> {
    let (shape, body) = shape(bytes);
    match shape {
        Shape::Json => Doc::parse(body).and_then(|v| json_format(&v)),
        Shape::Text => {
            let text = std::str::from_utf8(body).ok()?;
            let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
            let lower = first.get(..20).unwrap_or(first).to_ascii_lowercase();
            if lower.starts_with("otpauth-migration:") {
                Some(ImportFormat::GoogleMigration)
            } else if lower.starts_with("otpauth://") || lower.starts_with("steam://") {
                Some(ImportFormat::OtpauthList)
            } else if bitwarden::matches_csv(text) {
                Some(ImportFormat::BitwardenCsv)
            } else if body.starts_with(authpro::ENCRYPTED_MAGIC) {
                Some(ImportFormat::AuthenticatorPro)
            } else {
                None
            }
        }
        Shape::Binary if body.starts_with(authpro::ENCRYPTED_MAGIC) => {
            Some(ImportFormat::AuthenticatorPro)
        }
        Shape::Binary => Some(ImportFormat::AndOtp),
    }
}
