//! Bitwarden password-manager exports: the unencrypted JSON
//! (`items[].login.totp`) and the CSV (`login_totp` column). A TOTP field
//! is an `otpauth://` URI, `steam://SECRET`, or a bare base32 secret (then
//! the item's name is the issuer and its username the account). Items
//! without TOTP are not entries. Password-protected JSON is refused.

use serde_json::Value;

use super::csv;
use super::entry::{from_uri, Fields, Parsed, ParsedEntry, SecretIn};
use super::error::{ImportError, ImportResult};
use super::json::{array, str_of};
use super::report::ImportFormat;
use super::MAX_IMPORT_ENTRIES;

/// Whether a JSON document looks like a Bitwarden export.
pub(crate) fn matches(v: &Value) -> bool {
    v.get("items").is_some_and(Value::is_array) || v.get("encrypted").is_some()
}

/// Parses the JSON export.
pub(crate) fn parse_json(v: &Value) -> ImportResult<Parsed> {
    const FORMAT: ImportFormat = ImportFormat::BitwardenJson;
    if v.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "password-protected Bitwarden exports (export unencrypted JSON)",
        });
    }
    let items = array(v, Some("items"), FORMAT, "no items")?;
    let entries = items
        .iter()
        .filter_map(|item| {
            let login = item.get("login")?;
            let totp = str_of(login, "totp")?;
            Some(totp_entry(
                totp,
                str_of(item, "name"),
                str_of(login, "username"),
            ))
        })
        .collect();
    Ok(Parsed::new(FORMAT, entries))
}

/// Whether the text starts with a Bitwarden CSV header.
pub(crate) fn matches_csv(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|h| h.split(',').any(|c| c.trim() == "login_totp"))
}

/// Parses the CSV export.
pub(crate) fn parse_csv(text: &str) -> ImportResult<Parsed> {
    const FORMAT: ImportFormat = ImportFormat::BitwardenCsv;
    let rows = csv::parse(text).ok_or(ImportError::Malformed {
        format: FORMAT,
        what: "unterminated quote",
    })?;
    let mut rows = rows.into_iter();
    let header = rows.next().ok_or(ImportError::Malformed {
        format: FORMAT,
        what: "no header",
    })?;
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let totp = col("login_totp").ok_or(ImportError::Malformed {
        format: FORMAT,
        what: "no login_totp column",
    })?;
    let (name, user) = (col("name"), col("login_username"));
    let mut entries = Vec::new();
    for row in rows {
        let Some(value) = row.get(totp).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        if entries.len() >= MAX_IMPORT_ENTRIES {
            return Err(ImportError::TooManyEntries {
                limit: MAX_IMPORT_ENTRIES,
            });
        }
        let field = |i: Option<usize>| i.and_then(|i| row.get(i)).map(String::as_str);
        entries.push(totp_entry(value, field(name), field(user)));
    }
    Ok(Parsed::new(FORMAT, entries))
}

fn totp_entry(totp: &str, item_name: Option<&str>, username: Option<&str>) -> ParsedEntry {
    let totp = totp.trim();
    let lower = totp.get(..10).map(str::to_ascii_lowercase);
    let fallback = item_name.unwrap_or("(no name)");
    if lower.as_deref() == Some("otpauth://")
        || lower.as_deref().is_some_and(|l| l.starts_with("steam://"))
    {
        return from_uri(totp, fallback);
    }
    let mut f = Fields::new(item_name, username);
    let name = f.name();
    f.secret = Some(SecretIn::Base32(totp));
    ParsedEntry {
        name,
        result: f.build(),
    }
}
