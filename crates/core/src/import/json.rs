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

/// A parsed JSON document whose strings (secrets among them) are zeroized
/// when it is dropped.
pub(crate) struct Doc(pub Value);

impl Doc {
    /// Parses `bytes`; `None` if they are not JSON (serde's message, which
    /// may quote the input, is dropped).
    pub(crate) fn parse(bytes: &[u8]) -> Option<Doc> {
        serde_json::from_slice(bytes).ok().map(Doc)
    }
}

impl std::ops::Deref for Doc {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0
    }
}

impl Drop for Doc {
    fn drop(&mut self) {
        scrub(&mut self.0);
    }
}

fn scrub(v: &mut Value) {
    use zeroize::Zeroize;
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}
