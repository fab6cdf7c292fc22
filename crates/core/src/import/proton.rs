//! Proton Authenticator export: `{"version": 1, "entries": [{"content":
//! {"uri", "entry_type", "name"}, …}]}`; each entry is an `otpauth://`
//! URI (or `steam://` for Steam entries).

use serde_json::Value;

use super::entry::{from_uri, Parsed, ParsedEntry};
use super::error::{ImportError, ImportResult};
use super::json::{array, str_of, u64_of};
use super::report::{ImportFormat, SkipReason};

const FORMAT: ImportFormat = ImportFormat::ProtonAuthenticator;

/// Whether a JSON document looks like a Proton Authenticator export.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("entries")
        .and_then(Value::as_array)
        .is_some_and(|a| a.first().is_some_and(|e| e.get("content").is_some()))
}

/// Parses the export.
pub(crate) fn parse(v: &Value) -> ImportResult<Parsed> {
    if u64_of(v, "version").is_some_and(|n| n > 1) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "export version",
        });
    }
    let list = array(v, Some("entries"), FORMAT, "no entries")?;
    Ok(Parsed::new(FORMAT, list.iter().map(entry).collect()))
}

fn entry(e: &Value) -> ParsedEntry {
    let content = e.get("content").unwrap_or(&Value::Null);
    let name = str_of(content, "name").unwrap_or("(no name)");
    match str_of(content, "uri") {
        Some(uri) => from_uri(uri, name),
        None => ParsedEntry {
            name: super::entry::short(name),
            result: Err(SkipReason::Malformed("no uri")),
        },
    }
}
