//! FreeOTP+ JSON export: `{"tokenOrder": [...], "tokens": [...]}` with the
//! secret as an array of signed bytes. The counter is imported as written.

use serde_json::Value;
use zeroize::Zeroizing;

use super::entry::{Fields, OtpType, Parsed, ParsedEntry, SecretIn};
use super::error::ImportResult;
use super::json::{array, str_of, u64_of};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::FreeOtpPlus;

/// Whether a JSON document looks like a FreeOTP+ export.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("tokens").is_some_and(Value::is_array)
}

/// Parses the export.
pub(crate) fn parse(v: &Value) -> ImportResult<Parsed> {
    let list = array(v, Some("tokens"), FORMAT, "no tokens")?;
    Ok(Parsed::new(FORMAT, list.iter().map(token).collect()))
}

fn signed_bytes(v: &Value) -> Option<Zeroizing<Vec<u8>>> {
    let arr = v.as_array()?;
    let mut out = Zeroizing::new(Vec::with_capacity(arr.len()));
    for b in arr {
        let n = b.as_i64()?;
        out.push(i8::try_from(n).ok()? as u8);
    }
    Some(out)
}

fn token(t: &Value) -> ParsedEntry {
    let issuer = str_of(t, "issuerExt")
        .filter(|s| !s.trim().is_empty())
        .or_else(|| str_of(t, "issuerInt"));
    let mut f = Fields::new(issuer, str_of(t, "label"));
    let name = f.name();
    let secret = t.get("secret").map(signed_bytes);
    if matches!(secret, Some(None)) {
        return ParsedEntry {
            name,
            result: Err(SkipReason::BadSecret),
        };
    }
    f.secret = secret.flatten().map(SecretIn::Bytes);
    f.algorithm = str_of(t, "algo");
    f.digits = u64_of(t, "digits");
    f.period = u64_of(t, "period");
    f.counter = u64_of(t, "counter");
    f.otp_type = OtpType::from_name(str_of(t, "type").unwrap_or("TOTP"));
    ParsedEntry {
        name,
        result: f.build(),
    }
}
