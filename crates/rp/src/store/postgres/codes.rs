//! The `rp_backup_codes` table: the account's current set, each code spent once.

use sqlx::{PgPool, Row as _};

use super::{lock_account, opt_i64, opt_u64, to_i64};
use crate::error::{Error, Result};
use crate::store::BackupCodeRecord;

/// Replaces the account's set in one transaction under the account's lock (the old set
/// stops working). Without the lock, two replacements at once could each delete the
/// old set before the other inserted, and leave both new sets standing.
pub(super) async fn replace(
    pool: &PgPool,
    account: &str,
    codes: &[BackupCodeRecord],
) -> Result<()> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, account).await?;
    sqlx::query("DELETE FROM rp_backup_codes WHERE account = $1")
        .bind(account)
        .execute(&mut *tx)
        .await?;
    for c in codes {
        sqlx::query(
            "INSERT INTO rp_backup_codes (account, id, hash, used_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(account)
        .bind(&c.id)
        .bind(&c.hash)
        .bind(opt_i64(c.used_at)?)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &PgPool,
    account: &str,
    id: &str,
) -> Result<Option<BackupCodeRecord>> {
    let row =
        sqlx::query("SELECT id, hash, used_at FROM rp_backup_codes WHERE account = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(|r| {
        Ok(BackupCodeRecord {
            id: r.try_get("id")?,
            hash: r.try_get("hash")?,
            used_at: opt_u64(r.try_get("used_at")?)?,
        })
    })
    .transpose()
}

/// Marks the code with this id and hash used, only if it is unused: one conditional
/// `UPDATE`, which a concurrent one on the same row waits for and then no longer
/// matches.
pub(super) async fn consume(
    pool: &PgPool,
    account: &str,
    id: &str,
    hash: &str,
    now: u64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_backup_codes SET used_at = $4
         WHERE account = $1 AND id = $2 AND hash = $3 AND used_at IS NULL",
    )
    .bind(account)
    .bind(id)
    .bind(hash)
    .bind(to_i64(now)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn remaining(pool: &PgPool, account: &str) -> Result<u32> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM rp_backup_codes WHERE account = $1 AND used_at IS NULL",
    )
    .bind(account)
    .fetch_one(pool)
    .await?;
    u32::try_from(n).map_err(|_| Error::Corrupt("backup code count"))
}
