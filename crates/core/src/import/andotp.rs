//! andOTP backups: a plain JSON array, or the encrypted binary file.
//!
//! New encrypted format: iterations (u32, big endian) ‖ salt (12) ‖ nonce
//! (12) ‖ ciphertext ‖ tag (16), key PBKDF2-HMAC-SHA1(password, salt,
//! iterations, 256 bits). Old format: nonce ‖ ciphertext ‖ tag with the key
//! SHA-256(password). Both are AES-256-GCM; the new one is tried first.

use serde_json::Value;

use super::crypto::{self, Prf};
use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::{ImportError, ImportResult};
use super::json::{array, str_of, u64_of, Doc};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::AndOtp;
/// andOTP draws 140 000 to 160 000; more than this is refused (cost).
const MAX_ITERATIONS: u32 = 2_000_000;

/// Whether a JSON document looks like an andOTP backup.
pub(crate) fn matches(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.first()
            .is_some_and(|e| e.get("secret").is_some() && e.get("type").is_some())
    })
}

/// Parses a plain andOTP backup.
pub(crate) fn parse_plain(v: &Value) -> ImportResult<Parsed> {
    let list = array(v, None, FORMAT, "not a list of entries")?;
    Ok(Parsed::new(FORMAT, list.iter().map(entry).collect()))
}

/// Decrypts and parses an encrypted andOTP backup.
pub(crate) fn parse_encrypted(bytes: &[u8], password: Option<&str>) -> ImportResult<Parsed> {
    let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
    let plain = decrypt_new(bytes, password)
        .or_else(|| decrypt_old(bytes, password))
        .ok_or(ImportError::WrongPassword(FORMAT))?;
    let v = Doc::parse(&plain).ok_or(ImportError::Malformed {
        format: FORMAT,
        what: "decrypted content is not JSON",
    })?;
    parse_plain(&v)
}

fn decrypt_new(bytes: &[u8], password: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let iterations = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return None;
    }
    let salt = bytes.get(4..16)?;
    let nonce = bytes.get(16..28)?;
    let sealed = bytes.get(28..)?;
    let key = crypto::pbkdf2(Prf::Sha1, password.as_bytes(), salt, iterations)?;
    crypto::open(key.as_ref(), nonce, sealed)
}

fn decrypt_old(bytes: &[u8], password: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let key = crypto::sha256(password.as_bytes());
    crypto::open(key.as_ref(), bytes.get(..12)?, bytes.get(12..)?)
}

fn entry(e: &Value) -> ParsedEntry {
    let label = str_of(e, "label");
    // Old andOTP had no issuer field and wrote "Issuer - name" labels.
    let (issuer, account) = match (str_of(e, "issuer"), label.and_then(|l| l.split_once(" - "))) {
        (None, Some((issuer, account))) => (Some(issuer), Some(account)),
        (issuer, _) => (issuer, label),
    };
    let mut f = Fields::new(issuer, account);
    let name = f.name();
    f.secret = str_of(e, "secret").map(SecretIn::Base32);
    f.algorithm = str_of(e, "algorithm");
    f.digits = u64_of(e, "digits");
    f.period = u64_of(e, "period");
    f.counter = u64_of(e, "counter");
    f.otp_type = OtpType::from_name(str_of(e, "type").unwrap_or(""));
    let result = if e.is_object() {
        f.build()
    } else {
        Err(SkipReason::Malformed("entry is not an object"))
    };
    ParsedEntry { name, result }
}
