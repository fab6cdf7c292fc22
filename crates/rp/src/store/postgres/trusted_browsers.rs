//! The `rp_trusted_browsers` table: browsers where the account's second step is skipped until they
//! expire or are revoked. Rows are keyed by account and id; the token is stored only as
//! its SHA-256, looked up together with the account.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};

use super::{count_u32, opt_i64, opt_u64, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::{TrustedBrowserInfo, TrustedBrowserRecord};

/// Drops the account's expired and revoked browsers, then adds this one; false (and
/// nothing written) if the account has one with its id. One transaction.
pub(super) async fn insert(
    pool: &PgPool,
    account: &str,
    record: &TrustedBrowserRecord,
    now: u64,
) -> Result<bool> {
    let i = &record.info;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "DELETE FROM rp_trusted_browsers
         WHERE account = $1 AND (expires_at <= $2 OR revoked_at IS NOT NULL)",
    )
    .bind(account)
    .bind(to_i64(now)?)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "INSERT INTO rp_trusted_browsers
             (account, id, token_hash, name, first_ip, last_ip, created_at, last_used_at,
              expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (account, id) DO NOTHING",
    )
    .bind(account)
    .bind(&i.id)
    .bind(&record.token_hash[..])
    .bind(&i.name)
    .bind(&i.first_ip)
    .bind(&i.last_ip)
    .bind(to_i64(i.created_at)?)
    .bind(opt_i64(i.last_used_at)?)
    .bind(to_i64(i.expires_at)?)
    .bind(opt_i64(i.revoked_at)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

const INFO_COLUMNS: &str =
    "id, name, first_ip, last_ip, created_at, last_used_at, expires_at, revoked_at";

fn info_from_row(r: &PgRow) -> Result<TrustedBrowserInfo> {
    Ok(TrustedBrowserInfo {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        first_ip: r.try_get("first_ip")?,
        last_ip: r.try_get("last_ip")?,
        created_at: to_u64(r.try_get("created_at")?)?,
        last_used_at: opt_u64(r.try_get("last_used_at")?)?,
        expires_at: to_u64(r.try_get("expires_at")?)?,
        revoked_at: opt_u64(r.try_get("revoked_at")?)?,
    })
}

pub(super) async fn get(
    pool: &PgPool,
    account: &str,
    token_hash: &[u8; 32],
) -> Result<Option<TrustedBrowserRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {INFO_COLUMNS}, token_hash FROM rp_trusted_browsers
         WHERE account = $1 AND token_hash = $2"
    ))
    .bind(account)
    .bind(&token_hash[..])
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let hash: Vec<u8> = r.try_get("token_hash")?;
        Ok(TrustedBrowserRecord {
            info: info_from_row(&r)?,
            token_hash: hash
                .try_into()
                .map_err(|_| Error::Corrupt("trusted browser token hash"))?,
        })
    })
    .transpose()
}

/// The account's browsers, oldest first (ties in insertion order, by the `seq` identity column).
pub(super) async fn list(pool: &PgPool, account: &str) -> Result<Vec<TrustedBrowserInfo>> {
    let rows = sqlx::query(&format!(
        "SELECT {INFO_COLUMNS} FROM rp_trusted_browsers WHERE account = $1 ORDER BY created_at, seq"
    ))
    .bind(account)
    .fetch_all(pool)
    .await?;
    rows.iter().map(info_from_row).collect()
}

/// Stamps a use (and its address, when known: an unknown one keeps the last known).
pub(super) async fn touch(
    pool: &PgPool,
    account: &str,
    id: &str,
    now: u64,
    ip: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE rp_trusted_browsers SET last_used_at = $3, last_ip = COALESCE($4, last_ip)
         WHERE account = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .bind(to_i64(now)?)
    .bind(ip)
    .execute(pool)
    .await?;
    Ok(())
}

/// Revokes the one with `id`, or every one when `id` is `None`, that is not revoked
/// yet; returns how many.
pub(super) async fn revoke(
    pool: &PgPool,
    account: &str,
    id: Option<&str>,
    now: u64,
) -> Result<u32> {
    let done = sqlx::query(
        "UPDATE rp_trusted_browsers SET revoked_at = $3
         WHERE account = $1 AND ($2 IS NULL OR id = $2) AND revoked_at IS NULL",
    )
    .bind(account)
    .bind(id)
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(count_u32(done.rows_affected()))
}
