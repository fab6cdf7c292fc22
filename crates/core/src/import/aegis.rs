//! Aegis JSON export (vault file version 1), plain or password-encrypted.
//!
//! Encrypted files: each password slot (`type` 1) holds the master key
//! sealed with AES-256-GCM under scrypt(password, salt, N, r, p); the
//! `db` is the base64 of the vault JSON sealed under the master key with
//! `header.params` (nonce and tag, hex). Biometric slots (`type` 2) are
//! skipped: they need the phone's keystore.

use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

use super::crypto;
use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::{ImportError, ImportResult};
use super::json::{array, str_of, u64_of, Doc};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::Aegis;
/// Password slots tried at most (each costs one scrypt): Aegis writes one,
/// plus backup-password slots.
const MAX_PASSWORD_SLOTS: usize = 4;

fn malformed(what: &'static str) -> ImportError {
    ImportError::Malformed {
        format: FORMAT,
        what,
    }
}

/// Whether a JSON document looks like an Aegis export.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("header").is_some_and(Value::is_object) && v.get("db").is_some()
}

/// Parses an Aegis export; `password` opens encrypted ones.
pub(crate) fn parse(v: &Value, password: Option<&str>) -> ImportResult<Parsed> {
    if u64_of(v, "version") != Some(1) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "vault file version",
        });
    }
    let header = v.get("header").ok_or(malformed("no header"))?;
    let db = v.get("db").ok_or(malformed("no db"))?;
    match db {
        Value::Object(_) => entries(db),
        Value::String(sealed) => {
            let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
            let plain = decrypt(header, sealed, password)?;
            let db = Doc::parse(&plain).ok_or(malformed("bad db"))?;
            entries(&db)
        }
        _ => Err(malformed("db is neither an object nor a string")),
    }
}

fn hex_of(v: &Value, key: &str) -> ImportResult<Zeroizing<Vec<u8>>> {
    let text = str_of(v, key).ok_or(malformed("missing hex field"))?;
    hex::decode(text)
        .map(Zeroizing::new)
        .map_err(|_| malformed("bad hex field"))
}

/// Finds the master key through the first password slot that opens, then
/// opens the db.
fn decrypt(header: &Value, sealed_db: &str, password: &str) -> ImportResult<Zeroizing<Vec<u8>>> {
    let slots = array(header, Some("slots"), FORMAT, "no key slots")?;
    let params = header.get("params").ok_or(malformed("no params"))?;
    let mut saw_password_slot = false;
    let mut master = None;
    for slot in slots
        .iter()
        .filter(|s| u64_of(s, "type") == Some(1))
        .take(MAX_PASSWORD_SLOTS)
    {
        saw_password_slot = true;
        let n = u64_of(slot, "n").ok_or(malformed("slot without n"))?;
        let r = u64_of(slot, "r").and_then(|r| u32::try_from(r).ok());
        let p = u64_of(slot, "p").and_then(|p| u32::try_from(p).ok());
        let (Some(r), Some(p)) = (r, p) else {
            return Err(malformed("slot without r or p"));
        };
        let salt = hex_of(slot, "salt")?;
        let key_params = slot.get("key_params").ok_or(malformed("no key_params"))?;
        let mut sealed_key = hex_of(slot, "key")?;
        sealed_key.extend_from_slice(&hex_of(key_params, "tag")?);
        let nonce = hex_of(key_params, "nonce")?;
        let repaired = slot.get("repaired").and_then(Value::as_bool) == Some(true);
        let legacy = legacy_password_bytes(password);
        let mut candidates = vec![Zeroizing::new(password.as_bytes().to_vec())];
        // Aegis before its slots were "repaired" fed scrypt Java's whole
        // encoder buffer (the UTF-8 bytes plus trailing zeros). Under HMAC
        // that differs only for keys over 64 bytes, as Aegis itself reasons.
        if !repaired && legacy.len() > 64 {
            candidates.push(legacy);
        }
        for candidate in candidates {
            let derived =
                crypto::scrypt(&candidate, &salt, n, r, p).ok_or(ImportError::Unsupported {
                    format: FORMAT,
                    what: "scrypt parameters out of range",
                })?;
            if let Some(key) = crypto::open(derived.as_ref(), &nonce, &sealed_key) {
                master = Some(key);
                break;
            }
        }
        if master.is_some() {
            break;
        }
    }
    if !saw_password_slot {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "no password slot",
        });
    }
    let master = master.ok_or(ImportError::WrongPassword(FORMAT))?;
    let mut sealed = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(sealed_db.replace("\\/", "/").trim())
            .map_err(|_| malformed("db is not base64"))?,
    );
    sealed.extend_from_slice(&hex_of(params, "tag")?);
    let nonce = hex_of(params, "nonce")?;
    crypto::open(&master, &nonce, &sealed).ok_or(ImportError::WrongPassword(FORMAT))
}

/// The bytes old Aegis versions derived slot keys from: Java's
/// `Charset.encode` buffer, which starts at ⌊1.1 × UTF-16 length⌋ bytes and
/// grows to 2n + 1 until the UTF-8 fits, zero-filled after the text.
fn legacy_password_bytes(password: &str) -> Zeroizing<Vec<u8>> {
    let units = password.encode_utf16().count();
    let len = password.len();
    let mut n = units.saturating_mul(11) / 10;
    while n < len {
        n = n.saturating_mul(2).saturating_add(1);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    out.extend_from_slice(password.as_bytes());
    out.resize(n, 0);
    out
}

fn entries(db: &Value) -> ImportResult<Parsed> {
    if u64_of(db, "version").is_some_and(|v| v > 3) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "db version newer than 3",
        });
    }
    let list = array(db, Some("entries"), FORMAT, "no entries")?;
    Ok(Parsed::new(FORMAT, list.iter().map(entry).collect()))
}

fn entry(e: &Value) -> ParsedEntry {
    let mut f = Fields::new(str_of(e, "issuer"), str_of(e, "name"));
    let name = f.name();
    let Some(info) = e.get("info") else {
        return ParsedEntry {
            name,
            result: Err(SkipReason::Malformed("no info")),
        };
    };
    f.otp_type = OtpType::from_name(str_of(e, "type").unwrap_or(""));
    f.secret = str_of(info, "secret").map(SecretIn::Base32);
    f.algorithm = str_of(info, "algo");
    f.digits = u64_of(info, "digits");
    f.period = u64_of(info, "period");
    f.counter = u64_of(info, "counter");
    ParsedEntry {
        name,
        result: f.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_bytes_follow_javas_encoder_buffer() {
        assert_eq!(legacy_password_bytes("test").as_slice(), b"test");
        assert_eq!(legacy_password_bytes("0123456789").len(), 11);
        assert_eq!(legacy_password_bytes(&"a".repeat(70)).len(), 77);
        // "é" is one UTF-16 unit and two UTF-8 bytes: 0 → 1 → 3 bytes.
        assert_eq!(legacy_password_bytes("é").as_slice(), &[0xc3, 0xa9, 0]);
    }

    /// An encrypted file whose slot key came from `slot_password` bytes.
    fn file(slot_password: &[u8], repaired: bool) -> Value {
        let master = [5u8; 32];
        let db = br#"{"version":1,"entries":[{"type":"totp","name":"a","issuer":"B","info":{"secret":"JBSWY3DPEHPK3PXP","algo":"SHA1","digits":6,"period":30}}]}"#;
        let sealed_db = crypto::seal(&master, [1; 12], db).unwrap();
        let derived = crypto::scrypt(slot_password, &[9; 32], 16, 8, 1).unwrap();
        let sealed_key = crypto::seal(derived.as_ref(), [2; 12], &master).unwrap();
        let (key, key_tag) = sealed_key.split_at(32);
        let (db_ct, db_tag) = sealed_db.split_at(sealed_db.len() - 16);
        serde_json::json!({
            "version": 1,
            "header": {
                "slots": [{
                    "type": 1, "uuid": "x", "key": hex::encode(key),
                    "key_params": {"nonce": hex::encode([2u8; 12]), "tag": hex::encode(key_tag)},
                    "n": 16, "r": 8, "p": 1, "salt": hex::encode([9u8; 32]),
                    "repaired": repaired
                }],
                "params": {"nonce": hex::encode([1u8; 12]), "tag": hex::encode(db_tag)}
            },
            "db": base64::engine::general_purpose::STANDARD.encode(db_ct)
        })
    }

    #[test]
    fn unrepaired_slots_open_with_the_old_password_bytes() {
        let password = "a long passphrase of more than sixty-four characters, as some use!";
        let legacy = legacy_password_bytes(password);
        assert!(legacy.len() > 64);
        let parsed = parse(&file(&legacy, false), Some(password)).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        // A repaired slot is never tried with the old bytes.
        assert_eq!(
            parse(&file(&legacy, true), Some(password)).unwrap_err(),
            ImportError::WrongPassword(FORMAT)
        );
        assert!(parse(&file(password.as_bytes(), true), Some(password)).is_ok());
    }
}
