//! An Aegis vault file as Aegis writes it: `{"version": 1, "header":
//! {"slots", "params"}, "db"}` with db version 3 (entries with type, uuid,
//! name, issuer, note, favorite, icon, info, groups; groups;
//! icons_optimized).
//!
//! Encrypted: a random master key seals the db JSON (AES-256-GCM, nonce and
//! tag in `header.params`, the ciphertext base64 in `db`); one password slot
//! (type 1) seals the master key under scrypt(password, 32-byte salt,
//! N = 2^15, r = 8, p = 1), Aegis's own parameters, with `repaired: true`
//! and `is_backup: false` as Aegis writes them.

use assent_otp::{Algorithm, OtpKind};
use base64::Engine;
use serde::Serialize;
use zeroize::Zeroizing;

use super::Exported;
use crate::error::{Error, Result};
use crate::import::crypto;
use crate::random::{hex, RandomSource};
use crate::vault::Account;

/// Aegis's scrypt N.
pub const AEGIS_SCRYPT_N: u64 = 1 << 15;
/// Aegis's scrypt r.
pub const AEGIS_SCRYPT_R: u32 = 8;
/// Aegis's scrypt p.
pub const AEGIS_SCRYPT_P: u32 = 1;

#[derive(Serialize)]
struct Info<'a> {
    secret: &'a str,
    algo: &'static str,
    digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: String,
    name: &'a str,
    issuer: &'a str,
    note: &'static str,
    favorite: bool,
    icon: Option<()>,
    info: Info<'a>,
    groups: [(); 0],
}

#[derive(Serialize)]
struct Db<'a> {
    version: u8,
    entries: Vec<Entry<'a>>,
    groups: [(); 0],
    icons_optimized: bool,
}

#[derive(Serialize)]
struct Params {
    nonce: String,
    tag: String,
}

#[derive(Serialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: u8,
    uuid: String,
    key: String,
    key_params: Params,
    n: u64,
    r: u32,
    p: u32,
    salt: String,
    repaired: bool,
    is_backup: bool,
}

#[derive(Serialize)]
struct Header {
    slots: Option<Vec<Slot>>,
    params: Option<Params>,
}

#[derive(Serialize)]
struct File<D> {
    version: u8,
    header: Header,
    db: D,
}

/// A random (version 4) UUID.
fn uuid(rng: &mut dyn RandomSource) -> Result<String> {
    let mut b = [0u8; 16];
    rng.fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(64 * 1024));
    serde_json::to_writer_pretty(&mut *out, value)
        .map_err(|_| Error::Malformed("cannot encode"))?;
    Ok(out)
}

fn into_text(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<String>> {
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Malformed("cannot encode"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

pub(super) fn export(
    accounts: &[Account],
    password: Option<&str>,
    rng: &mut dyn RandomSource,
) -> Result<Exported> {
    let secrets: Vec<Zeroizing<String>> = accounts
        .iter()
        .map(|a| a.otp().secret.to_base32())
        .collect();
    let mut entries = Vec::with_capacity(accounts.len());
    for (account, secret) in accounts.iter().zip(&secrets) {
        let otp = account.otp();
        let (kind, period, counter) = match otp.kind {
            _ if account.is_steam() => ("steam", Some(30), None),
            OtpKind::Totp { period } => ("totp", Some(period), None),
            OtpKind::Hotp { counter } => ("hotp", None, Some(counter)),
        };
        entries.push(Entry {
            kind,
            uuid: uuid(rng)?,
            name: &otp.account,
            issuer: otp.issuer.as_deref().unwrap_or(""),
            note: "",
            favorite: false,
            icon: None,
            info: Info {
                secret,
                algo: match otp.algorithm {
                    Algorithm::Sha1 => "SHA1",
                    Algorithm::Sha256 => "SHA256",
                    Algorithm::Sha512 => "SHA512",
                },
                digits: otp.digits,
                period,
                counter,
            },
            groups: [],
        });
    }
    let db = Db {
        version: 3,
        entries,
        groups: [],
        icons_optimized: true,
    };
    let text = match password {
        None => into_text(to_json(&File {
            version: 1,
            header: Header {
                slots: None,
                params: None,
            },
            db,
        })?)?,
        Some(password) => {
            let plain = to_json(&db)?;
            into_text(encrypted(&plain, password, rng)?)?
        }
    };
    Ok(Exported {
        text,
        skipped: Vec::new(),
    })
}

fn encrypted(
    plain: &[u8],
    password: &str,
    rng: &mut dyn RandomSource,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut master = Zeroizing::new([0u8; 32]);
    rng.fill(master.as_mut())?;
    let mut salt = [0u8; 32];
    rng.fill(&mut salt)?;
    let (mut db_nonce, mut key_nonce) = ([0u8; 12], [0u8; 12]);
    rng.fill(&mut db_nonce)?;
    rng.fill(&mut key_nonce)?;
    let derived = crypto::scrypt(
        password.as_bytes(),
        &salt,
        AEGIS_SCRYPT_N,
        AEGIS_SCRYPT_R,
        AEGIS_SCRYPT_P,
    )
    .ok_or(Error::Malformed("key derivation"))?;
    let sealed_key = crypto::seal(derived.as_ref(), key_nonce, master.as_ref())
        .ok_or(Error::Malformed("cannot encrypt"))?;
    let sealed_db =
        crypto::seal(master.as_ref(), db_nonce, plain).ok_or(Error::Malformed("cannot encrypt"))?;
    let split = |sealed: &[u8]| {
        let at = sealed.len().saturating_sub(16);
        let (ct, tag) = sealed.split_at(at);
        (ct.to_vec(), hex(tag))
    };
    let (key_ct, key_tag) = split(&sealed_key);
    let (db_ct, db_tag) = split(&sealed_db);
    let file = File {
        version: 1,
        header: Header {
            slots: Some(vec![Slot {
                kind: 1,
                uuid: uuid(rng)?,
                key: hex(&key_ct),
                key_params: Params {
                    nonce: hex(&key_nonce),
                    tag: key_tag,
                },
                n: AEGIS_SCRYPT_N,
                r: AEGIS_SCRYPT_R,
                p: AEGIS_SCRYPT_P,
                salt: hex(&salt),
                repaired: true,
                is_backup: false,
            }]),
            params: Some(Params {
                nonce: hex(&db_nonce),
                tag: db_tag,
            }),
        },
        db: base64::engine::general_purpose::STANDARD.encode(&db_ct),
    };
    to_json(&file)
}
