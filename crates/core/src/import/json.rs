//! Small helpers for reading JSON exports field by field, leniently
//! (numbers written as strings, missing optional fields).

use serde_json::Value;

use super::error::{ImportError, ImportResult};
use super::report::ImportFormat;
use super::MAX_IMPORT_ENTRIES;

/// The text of a string field (`None` when absent, null or not a string).
pub(crate) fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// A non-negative integer field, also when written as a string.
pub(crate) fn u64_of(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The array under `key` (or `v` itself for `None`), checked against the
/// entry limit.
pub(crate) fn array<'v>(
    v: &'v Value,
    key: Option<&str>,
    format: ImportFormat,
    what: &'static str,
) -> ImportResult<&'v Vec<Value>> {
    let arr = match key {
        Some(k) => v.get(k),
        None => Some(v),
    }
    .and_then(Value::as_array)
    .ok_or(ImportError::Malformed { format, what })?;
    if arr.len() > MAX_IMPORT_ENTRIES {
        return Err(ImportError::TooManyEntries {
            limit: MAX_IMPORT_ENTRIES,
        });
    }
    Ok(arr)
}
