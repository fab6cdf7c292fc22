//! Conversions between the records' Rust values and the column values of the SQL
//! backends (`sqlite/`, `postgres/`): integers as signed 64-bit (`INTEGER`, `BIGINT`),
//! checked both ways, and the stored words and ids parsed back into their types. A
//! value that does not convert is an error ([`Error::Corrupt`]), never a wrap or a
//! panic.

use assent_protocol::ApprovalKind;

use crate::error::{Error, Result};
use crate::store::TotpParams;

/// A time or count as a column value; above `i64::MAX` is an error, not a wrap.
pub(super) fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Corrupt("integer above i64::MAX"))
}

/// An optional time as a column value.
pub(super) fn opt_i64(v: Option<u64>) -> Result<Option<i64>> {
    v.map(to_i64).transpose()
}

/// A stored time or count; negative is an error.
pub(super) fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Corrupt("negative integer"))
}

/// An optional stored time.
pub(super) fn opt_u64(v: Option<i64>) -> Result<Option<u64>> {
    v.map(to_u64).transpose()
}

/// A count of rows, saturated.
pub(super) fn count_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A stored 16-byte id.
pub(super) fn id16(bytes: Vec<u8>, what: &'static str) -> Result<[u8; 16]> {
    bytes.try_into().map_err(|_| Error::Corrupt(what))
}

/// A stored approval kind.
pub(super) fn kind(word: &str) -> Result<ApprovalKind> {
    ApprovalKind::parse(word).map_err(|_| Error::Corrupt("approval kind"))
}

/// Stored TOTP parameters (of an account's credential or a device's secret).
pub(super) fn totp_params(algorithm: &str, digits: i64, period: i64) -> Result<TotpParams> {
    Ok(TotpParams {
        algorithm: algorithm
            .parse()
            .map_err(|_| Error::Corrupt("totp algorithm"))?,
        digits: u8::try_from(digits).map_err(|_| Error::Corrupt("totp digits"))?,
        period: to_u64(period)?,
    })
}
