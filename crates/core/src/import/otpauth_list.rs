//! Plain lists of `otpauth://` URIs, one a line: what many apps export as
//! "plain text" (Ente Auth's plain export is exactly this, with an extra
//! `codeDisplay` parameter that is ignored). Blank lines and lines starting
//! with `#` are skipped.

use super::entry::{from_uri, Parsed};
use super::error::{ImportError, ImportResult};
use super::report::ImportFormat;
use super::MAX_IMPORT_ENTRIES;

/// Parses the list; every non-blank line is one entry.
pub(crate) fn parse(text: &str) -> ImportResult<Parsed> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if entries.len() >= MAX_IMPORT_ENTRIES {
            return Err(ImportError::TooManyEntries {
                limit: MAX_IMPORT_ENTRIES,
            });
        }
        entries.push(from_uri(line, &format!("line {}", i + 1)));
    }
    if entries.is_empty() {
        return Err(ImportError::Malformed {
            format: ImportFormat::OtpauthList,
            what: "no otpauth URIs",
        });
    }
    Ok(Parsed::new(ImportFormat::OtpauthList, entries))
}
