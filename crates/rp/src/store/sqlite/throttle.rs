//! The `limiter` table: the throttle state of each account for each kind of guess
//! (migration 3 split the one shared row into one per [`Guess`](crate::Guess); a row's
//! `guess` column holds its [`LimiterKey::key`], which also names the source or the
//! budget it counts).

use sqlx::{Row as _, SqliteConnection, SqlitePool};

use super::{to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::{LimiterKey, LimiterState};

/// The account's state (the default one when none is stored).
pub(super) async fn get(
    conn: &mut SqliteConnection,
    account: &str,
    key: &LimiterKey,
) -> Result<LimiterState> {
    let row =
        sqlx::query("SELECT failures, next_allowed FROM limiter WHERE account = $1 AND guess = $2")
            .bind(account)
            .bind(key.key())
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
    key: &LimiterKey,
    f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let next = f(get(&mut tx, account, key).await?);
    sqlx::query(
        "INSERT INTO limiter (account, guess, failures, next_allowed) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account, guess) DO UPDATE SET failures = excluded.failures,
             next_allowed = excluded.next_allowed",
    )
    .bind(account)
    .bind(key.key())
    .bind(i64::from(next.failures))
    .bind(to_i64(next.next_allowed)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn reset(pool: &SqlitePool, account: &str, key: &LimiterKey) -> Result<()> {
    sqlx::query("DELETE FROM limiter WHERE account = $1 AND guess = $2")
        .bind(account)
        .bind(key.key())
        .execute(pool)
        .await?;
    Ok(())
}
