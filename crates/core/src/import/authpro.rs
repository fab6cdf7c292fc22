//! Authenticator Pro (now Stratum) unencrypted backup (`.authpro` or
//! `.json`): `{"Authenticators": [{"Type", "Issuer", "Username", "Secret",
//! "Algorithm", "Digits", "Period", "Counter", …}], …}`.
//!
//! Type: 1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex. Algorithm: 0 SHA1,
//! 1 SHA256, 2 SHA512. Encrypted backups (starting `AUTHENTICATORPRO`)
//! are refused as unsupported.

use serde_json::Value;

use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::ImportResult;
use super::json::{array, str_of, u64_of};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::AuthenticatorPro;

/// The magic at the start of encrypted Authenticator Pro backups.
pub(crate) const ENCRYPTED_MAGIC: &[u8] = b"AUTHENTICATORPRO";

/// Whether a JSON document looks like an Authenticator Pro backup.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("Authenticators").is_some_and(Value::is_array)
}

/// Parses the backup.
pub(crate) fn parse(v: &Value) -> ImportResult<Parsed> {
    let list = array(v, Some("Authenticators"), FORMAT, "no Authenticators")?;
    Ok(Parsed::new(FORMAT, list.iter().map(entry).collect()))
}

fn entry(a: &Value) -> ParsedEntry {
    let mut f = Fields::new(str_of(a, "Issuer"), str_of(a, "Username"));
    let name = f.name();
    let result = (|| {
        f.otp_type = match u64_of(a, "Type") {
            Some(1) => OtpType::Hotp,
            Some(2) => OtpType::Totp,
            Some(4) => OtpType::Steam,
            Some(3) => return Err(SkipReason::UnsupportedType("mOTP".to_owned())),
            Some(5) => return Err(SkipReason::UnsupportedType("Yandex".to_owned())),
            _ => return Err(SkipReason::Malformed("unknown Type")),
        };
        f.algorithm = Some(match u64_of(a, "Algorithm") {
            None | Some(0) => "SHA1",
            Some(1) => "SHA256",
            Some(2) => "SHA512",
            _ => return Err(SkipReason::BadParameters("algorithm")),
        });
        f.secret = str_of(a, "Secret").map(SecretIn::Base32);
        f.digits = u64_of(a, "Digits");
        f.period = u64_of(a, "Period");
        f.counter = u64_of(a, "Counter");
        f.build()
    })();
    ParsedEntry { name, result }
}
