//! The `rp_app_passwords` table: named, listed, revocable passwords per account.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};

use super::{count_u32, opt_i64, opt_u64, to_i64, to_u64};
use crate::error::Result;
use crate::store::{AppPasswordInfo, AppPasswordRecord};

/// Adds the password; false (nothing written) if the account has one with its id.
pub(super) async fn insert(
    pool: &PgPool,
    account: &str,
    record: &AppPasswordRecord,
) -> Result<bool> {
    let i = &record.info;
    let done = sqlx::query(
        "INSERT INTO rp_app_passwords
             (account, id, name, hash, created_at, last_used_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account, id) DO NOTHING",
    )
    .bind(account)
    .bind(&i.id)
    .bind(&i.name)
    .bind(&record.hash)
    .bind(to_i64(i.created_at)?)
    .bind(opt_i64(i.last_used_at)?)
    .bind(opt_i64(i.revoked_at)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn info_from_row(r: &PgRow) -> Result<AppPasswordInfo> {
    Ok(AppPasswordInfo {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        created_at: to_u64(r.try_get("created_at")?)?,
        last_used_at: opt_u64(r.try_get("last_used_at")?)?,
        revoked_at: opt_u64(r.try_get("revoked_at")?)?,
    })
}

pub(super) async fn get(
    pool: &PgPool,
    account: &str,
    id: &str,
) -> Result<Option<AppPasswordRecord>> {
    let row = sqlx::query(
        "SELECT id, name, hash, created_at, last_used_at, revoked_at
         FROM rp_app_passwords WHERE account = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(AppPasswordRecord {
            info: info_from_row(&r)?,
            hash: r.try_get("hash")?,
        })
    })
    .transpose()
}

/// The account's passwords, oldest first. Ties on `created_at` keep insertion order
/// (the `seq` identity column).
pub(super) async fn list(pool: &PgPool, account: &str) -> Result<Vec<AppPasswordInfo>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, revoked_at
         FROM rp_app_passwords WHERE account = $1 ORDER BY created_at, seq",
    )
    .bind(account)
    .fetch_all(pool)
    .await?;
    rows.iter().map(info_from_row).collect()
}

pub(super) async fn touch(pool: &PgPool, account: &str, id: &str, now: u64) -> Result<()> {
    sqlx::query("UPDATE rp_app_passwords SET last_used_at = $3 WHERE account = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .bind(to_i64(now)?)
        .execute(pool)
        .await?;
    Ok(())
}

/// Revokes one live password. True if it existed and was not yet revoked.
pub(super) async fn revoke(pool: &PgPool, account: &str, id: &str, now: u64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_app_passwords SET revoked_at = $3
         WHERE account = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account)
    .bind(id)
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live password of the account; returns how many.
pub(super) async fn revoke_all(pool: &PgPool, account: &str, now: u64) -> Result<u32> {
    let done = sqlx::query(
        "UPDATE rp_app_passwords SET revoked_at = $2 WHERE account = $1 AND revoked_at IS NULL",
    )
    .bind(account)
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(count_u32(done.rows_affected()))
}
