//! Google Authenticator's export: one or more
//! `otpauth-migration://offline?data=<base64 protobuf MigrationPayload>`
//! URIs (one per QR code), one a line.
//!
//! MigrationPayload: 1 otp_parameters (repeated), 2 version, 3 batch_size,
//! 4 batch_index, 5 batch_id. OtpParameters: 1 secret (bytes), 2 name,
//! 3 issuer, 4 algorithm (0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5),
//! 5 digits (0 unspecified, 1 six, 2 eight), 6 type (0 unspecified, 1 HOTP,
//! 2 TOTP), 7 counter. Google's TOTP period is always 30 s.

use std::collections::BTreeSet;

use base64::Engine;
use zeroize::Zeroizing;

use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::{ImportError, ImportResult};
use super::protobuf::{Reader, Value};
use super::report::{ImportFormat, SkipReason};
use super::MAX_IMPORT_ENTRIES;

const FORMAT: ImportFormat = ImportFormat::GoogleMigration;

/// The URI prefix of a migration payload.
pub const MIGRATION_PREFIX: &str = "otpauth-migration://offline?";

fn malformed(what: &'static str) -> ImportError {
    ImportError::Malformed {
        format: FORMAT,
        what,
    }
}

/// Parses every migration URI of the text (one a line).
pub(crate) fn parse(text: &str) -> ImportResult<Parsed> {
    let mut entries = Vec::new();
    let mut indices = BTreeSet::new();
    let mut batch: Option<(u64, i64)> = None; // (size, id)
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let payload = payload_of(line)?;
        let info = read_payload(&payload, &mut entries)?;
        if info.size > 1 {
            match batch {
                Some((size, id)) if size != info.size || id != info.id => {
                    return Err(malformed("QR codes of different exports mixed"))
                }
                _ => batch = Some((info.size, info.id)),
            }
            if info.index >= info.size {
                return Err(malformed("batch index out of range"));
            }
            indices.insert(info.index);
        }
    }
    if entries.is_empty() && batch.is_none() {
        return Err(malformed("no accounts in the payload"));
    }
    let mut parsed = Parsed::new(FORMAT, entries);
    parsed.batches = batch.map(|(size, _)| {
        (
            u32::try_from(indices.len()).unwrap_or(u32::MAX),
            u32::try_from(size).unwrap_or(u32::MAX),
        )
    });
    Ok(parsed)
}

/// The decoded `data` parameter of one URI.
fn payload_of(line: &str) -> ImportResult<Zeroizing<Vec<u8>>> {
    let query = line
        .get(..MIGRATION_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(MIGRATION_PREFIX))
        .and_then(|_| line.get(MIGRATION_PREFIX.len()..))
        .ok_or(malformed("not an otpauth-migration URI"))?;
    let mut data = None;
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("data=") {
            if data.is_some() {
                return Err(malformed("repeated data parameter"));
            }
            data = Some(v);
        }
    }
    let data = data.ok_or(malformed("no data parameter"))?;
    let decoded = Zeroizing::new(percent_encoding::percent_decode_str(data).collect::<Vec<u8>>());
    // Google writes standard base64 with padding; be lenient about both.
    let trimmed: Zeroizing<Vec<u8>> = Zeroizing::new(
        decoded
            .iter()
            .copied()
            .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
            .map(|b| match b {
                b'-' => b'+',
                b'_' => b'/',
                b' ' => b'+',
                other => other,
            })
            .collect(),
    );
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| malformed("data is not base64"))
}

struct BatchInfo {
    size: u64,
    index: u64,
    id: i64,
}

fn read_payload(bytes: &[u8], entries: &mut Vec<ParsedEntry>) -> ImportResult<BatchInfo> {
    let mut info = BatchInfo {
        size: 1,
        index: 0,
        id: 0,
    };
    let mut r = Reader::new(bytes);
    while let Some((field, value)) = r.next_field().map_err(|_| malformed("bad protobuf"))? {
        match (field, value) {
            (1, Value::Bytes(otp)) => {
                if entries.len() >= MAX_IMPORT_ENTRIES {
                    return Err(ImportError::TooManyEntries {
                        limit: MAX_IMPORT_ENTRIES,
                    });
                }
                entries.push(read_otp(otp));
            }
            (3, Value::Varint(v)) => info.size = v.max(1),
            (4, Value::Varint(v)) => info.index = v,
            (5, Value::Varint(v)) => info.id = v as i64,
            _ => {}
        }
    }
    Ok(info)
}

fn read_otp(bytes: &[u8]) -> ParsedEntry {
    let mut secret: Option<&[u8]> = None;
    let (mut name, mut issuer) = (String::new(), String::new());
    let (mut algorithm, mut digits, mut otp_type, mut counter) = (0u64, 0u64, 0u64, 0u64);
    let mut r = Reader::new(bytes);
    let mut broken = false;
    loop {
        match r.next_field() {
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
            Ok(Some((field, value))) => match (field, value) {
                (1, Value::Bytes(b)) => secret = Some(b),
                (2, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
                (3, Value::Bytes(b)) => issuer = String::from_utf8_lossy(b).into_owned(),
                (4, Value::Varint(v)) => algorithm = v,
                (5, Value::Varint(v)) => digits = v,
                (6, Value::Varint(v)) => otp_type = v,
                (7, Value::Varint(v)) => counter = v,
                _ => {}
            },
        }
    }
    // Google puts "Issuer:account" in the name when it has an issuer; a
    // name with a prefix but no issuer field is read as an otpauth label is.
    let account = match name.split_once(':') {
        Some((prefix, rest)) if issuer.is_empty() || prefix.trim() == issuer.trim() => {
            if issuer.is_empty() {
                issuer = prefix.trim().to_owned();
            }
            rest.trim().to_owned()
        }
        _ => name.trim().to_owned(),
    };
    let mut f = Fields::new(Some(&issuer), Some(&account));
    let entry_name = f.name();
    let result = (|| {
        if broken {
            return Err(SkipReason::Malformed("bad protobuf"));
        }
        f.secret = secret.map(|s| SecretIn::Bytes(Zeroizing::new(s.to_vec())));
        f.algorithm = Some(match algorithm {
            0 | 1 => "SHA1",
            2 => "SHA256",
            3 => "SHA512",
            4 => return Err(SkipReason::BadParameters("algorithm MD5")),
            _ => return Err(SkipReason::BadParameters("algorithm")),
        });
        f.digits = Some(match digits {
            0 | 1 => 6,
            2 => 8,
            _ => return Err(SkipReason::BadParameters("digits")),
        });
        f.otp_type = match otp_type {
            1 => OtpType::Hotp,
            0 | 2 => OtpType::Totp,
            other => OtpType::Other(format!("Google type {other}")),
        };
        f.counter = Some(counter);
        f.build()
    })();
    ParsedEntry {
        name: entry_name,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::protobuf::Writer;

    fn uri(otp: &[u8], batch: Option<(u64, u64, u64)>) -> String {
        let mut w = Writer::default();
        w.bytes(1, otp);
        w.uint(2, 1);
        if let Some((size, index, id)) = batch {
            w.uint(3, size);
            w.uint(4, index);
            w.uint(5, id);
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(&w.out);
        format!(
            "{MIGRATION_PREFIX}data={}",
            b64.replace('+', "%2B").replace('/', "%2F")
        )
    }

    fn otp(name: &str, issuer: Option<&str>, algorithm: u64, digits: u64, kind: u64) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(1, b"0123456789abcdef0123");
        w.bytes(2, name.as_bytes());
        if let Some(i) = issuer {
            w.bytes(3, i.as_bytes());
        }
        w.uint(4, algorithm);
        w.uint(5, digits);
        w.uint(6, kind);
        w.out
    }

    #[test]
    fn enums_names_and_batches() {
        let text = [
            uri(&otp("Acme:bob", None, 2, 2, 2), Some((2, 0, 7))),
            uri(&otp("x", Some("Y"), 4, 1, 2), Some((2, 1, 7))),
        ]
        .join("\n");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.batches, Some((2, 2)));
        let first = parsed.entries[0].result.as_ref().unwrap();
        assert_eq!(first.otp.issuer.as_deref(), Some("Acme"));
        assert_eq!(first.otp.account, "bob");
        assert_eq!(first.otp.digits, 8);
        assert_eq!(first.otp.algorithm, assent_otp::Algorithm::Sha256);
        assert_eq!(
            parsed.entries[1].result.as_ref().unwrap_err(),
            &SkipReason::BadParameters("algorithm MD5")
        );
        // Two different exports mixed, and an index past the size.
        let mixed = [
            uri(&otp("a", None, 1, 1, 2), Some((2, 0, 7))),
            uri(&otp("b", None, 1, 1, 2), Some((2, 1, 8))),
        ]
        .join("\n");
        assert!(parse(&mixed).is_err());
        assert!(parse(&uri(&otp("a", None, 1, 1, 2), Some((2, 2, 7)))).is_err());
        let odd = parse(&uri(&otp("a", None, 1, 3, 2), None)).unwrap();
        assert_eq!(
            odd.entries[0].result.as_ref().unwrap_err(),
            &SkipReason::BadParameters("digits")
        );
    }
}
