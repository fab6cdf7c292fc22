//! The `rp_totp` table: one TOTP credential per account, with its replay guard.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use zeroize::Zeroizing;

use super::{opt_i64, opt_u64, to_i64, to_u64, totp_params};
use crate::error::Result;
use crate::store::TotpRecord;

pub(super) async fn put(pool: &PgPool, account: &str, record: &TotpRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_totp (account, secret, algorithm, digits, period, last_step, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account) DO UPDATE SET secret = excluded.secret,
             algorithm = excluded.algorithm, digits = excluded.digits,
             period = excluded.period, last_step = excluded.last_step,
             created_at = excluded.created_at",
    )
    .bind(account)
    .bind(record.secret.as_bytes())
    .bind(record.params.algorithm.to_string())
    .bind(i64::from(record.params.digits))
    .bind(to_i64(record.params.period)?)
    .bind(opt_i64(record.last_step)?)
    .bind(to_i64(record.created_at)?)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn get(pool: &PgPool, account: &str) -> Result<Option<TotpRecord>> {
    let row = sqlx::query(
        "SELECT secret, algorithm, digits, period, last_step, created_at
         FROM rp_totp WHERE account = $1",
    )
    .bind(account)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(r: &PgRow) -> Result<TotpRecord> {
    let secret = Zeroizing::new(r.try_get::<Vec<u8>, _>("secret")?);
    Ok(TotpRecord {
        secret: assent_otp::Secret::from_bytes(secret.to_vec())?,
        params: totp_params(
            r.try_get("algorithm")?,
            r.try_get("digits")?,
            r.try_get("period")?,
        )?,
        last_step: opt_u64(r.try_get("last_step")?)?,
        created_at: to_u64(r.try_get("created_at")?)?,
    })
}

/// Spends `step` only if no step at or after it was accepted before: one conditional
/// `UPDATE`, so of two processes spending the same step the second one waits for the
/// first one's row lock, then finds `last_step < step` false and changes nothing.
pub(super) async fn advance(pool: &PgPool, account: &str, step: u64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_totp SET last_step = $2
         WHERE account = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(account)
    .bind(to_i64(step)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn delete(pool: &PgPool, account: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM rp_totp WHERE account = $1")
        .bind(account)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
