//! 2FAS `.2fas` backups (schema versions 1 to 4), plain or encrypted.
//!
//! Encrypted files carry `servicesEncrypted` = base64(ciphertext‖tag) `:`
//! base64(salt) `:` base64(iv); the key is PBKDF2-HMAC-SHA256(password,
//! salt, 10 000 iterations, 256 bits) and the plaintext is the JSON array
//! of services.

use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

use super::crypto::{self, Prf};
use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::{ImportError, ImportResult};
use super::json::{array, str_of, u64_of, Doc};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::TwoFas;
const ITERATIONS: u32 = 10_000;

fn malformed(what: &'static str) -> ImportError {
    ImportError::Malformed {
        format: FORMAT,
        what,
    }
}

/// Whether a JSON document looks like a 2FAS backup.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("schemaVersion").is_some() && (v.get("services").is_some())
}

/// Parses a 2FAS backup; `password` opens encrypted ones.
pub(crate) fn parse(v: &Value, password: Option<&str>) -> ImportResult<Parsed> {
    if u64_of(v, "schemaVersion").map_or(true, |s| s > 4) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "schema version",
        });
    }
    match str_of(v, "servicesEncrypted") {
        None => services(array(v, Some("services"), FORMAT, "no services")?),
        Some(sealed) => {
            let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
            let plain = decrypt(sealed, password)?;
            let list = Doc::parse(&plain).ok_or(malformed("bad decrypted services"))?;
            services(array(
                &list,
                None,
                FORMAT,
                "decrypted services are no list",
            )?)
        }
    }
}

fn decrypt(sealed: &str, password: &str) -> ImportResult<Zeroizing<Vec<u8>>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut parts = sealed.split(':');
    let mut next = || -> ImportResult<Vec<u8>> {
        let part = parts
            .next()
            .ok_or(malformed("encrypted services need 3 parts"))?;
        b64.decode(part.trim())
            .map_err(|_| malformed("encrypted services are not base64"))
    };
    let data = Zeroizing::new(next()?);
    let salt = next()?;
    let iv = next()?;
    let key = crypto::pbkdf2(Prf::Sha256, password.as_bytes(), &salt, ITERATIONS)
        .ok_or(malformed("key derivation"))?;
    crypto::open(key.as_ref(), &iv, &data).ok_or(ImportError::WrongPassword(FORMAT))
}

fn services(list: &[Value]) -> ImportResult<Parsed> {
    Ok(Parsed::new(FORMAT, list.iter().map(service).collect()))
}

fn service(s: &Value) -> ParsedEntry {
    let otp = s.get("otp").unwrap_or(&Value::Null);
    let issuer = str_of(s, "name")
        .filter(|n| !n.trim().is_empty())
        .or_else(|| str_of(otp, "issuer"));
    let mut f = Fields::new(issuer, str_of(otp, "account"));
    let name = f.name();
    f.secret = str_of(s, "secret").map(SecretIn::Base32);
    f.algorithm = str_of(otp, "algorithm");
    f.digits = u64_of(otp, "digits");
    f.period = u64_of(otp, "period");
    f.counter = u64_of(otp, "counter");
    f.otp_type = match str_of(otp, "tokenType") {
        None => OtpType::Totp,
        Some(t) => OtpType::from_name(t),
    };
    let result = if s.is_object() {
        f.build()
    } else {
        Err(SkipReason::Malformed("service is not an object"))
    };
    ParsedEntry { name, result }
}
