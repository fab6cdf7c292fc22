//! The `limiter` table: the throttle state each account shares between TOTP, backup
//! codes and application passwords.

use sqlx::{Row as _, SqliteConnection, SqlitePool};

use super::{to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::LimiterState;

/// The account's state (the default one when none is stored).
pub(super) async fn get(conn: &mut SqliteConnection, account: &str) -> Result<LimiterState> {
    let row = sqlx::query("SELECT failures, next_allowed FROM limiter WHERE account = $1")
        .bind(account)
        .fetch_optional(conn)
        .await?;
    let Some(r) = row else {
        return Ok(LimiterState::default());
    };
    Ok(LimiterState {
        failures: u32::try_from(r.try_get::<i64, _>("failures")?)
            .map_err(|_| Error::Corrupt("limiter failures"))?,
        next_allowed: to_u64(r.try_get("next_allowed")?)?,
    })
}

/// Replaces the state with `f(current)`: read and written under the write lock.
pub(super) async fn update(
    pool: &SqlitePool,
    account: &str,
    f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let next = f(get(&mut tx, account).await?);
    sqlx::query(
        "INSERT INTO limiter (account, failures, next_allowed) VALUES ($1, $2, $3)
         ON CONFLICT (account) DO UPDATE SET failures = excluded.failures,
             next_allowed = excluded.next_allowed",
    )
    .bind(account)
    .bind(i64::from(next.failures))
    .bind(to_i64(next.next_allowed)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn reset(pool: &SqlitePool, account: &str) -> Result<()> {
    sqlx::query("DELETE FROM limiter WHERE account = $1")
        .bind(account)
        .execute(pool)
        .await?;
    Ok(())
}
