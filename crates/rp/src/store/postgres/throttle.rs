//! The `rp_limiter` table: the throttle state of each account for each kind of guess
//! (a row's `guess` column holds its [`LimiterKey::key`], which also names the source or
//! the budget it counts). A default state is not stored.

use sqlx::{PgConnection, PgPool, Row as _};

use super::{lock_account, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::{LimiterKey, LimiterState};

/// The account's state (the default one when none is stored).
pub(super) async fn get(
    conn: &mut PgConnection,
    account: &str,
    key: &LimiterKey,
) -> Result<LimiterState> {
    let row = sqlx::query(
        "SELECT failures, next_allowed FROM rp_limiter WHERE account = $1 AND guess = $2",
    )
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

/// Replaces the state with `f(current)`, read and written under the account's lock: a
/// state that is not stored yet has no row to lock, and two processes counting a
/// failure each must end at two, not one.
pub(super) async fn update(
    pool: &PgPool,
    account: &str,
    key: &LimiterKey,
    f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
) -> Result<()> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, account).await?;
    let next = f(get(&mut tx, account, key).await?);
    put(&mut tx, account, key, next).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces both states with `f(current)` in one transaction under the account's lock
/// (so two processes cannot both spend the last of a budget); a default state is
/// deleted rather than stored, so rows of sources that succeeded do not pile up.
pub(super) async fn update_pair(
    pool: &PgPool,
    account: &str,
    keys: [&LimiterKey; 2],
    f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
) -> Result<()> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, account).await?;
    let current = [
        get(&mut tx, account, keys[0]).await?,
        get(&mut tx, account, keys[1]).await?,
    ];
    let next = f(current);
    for ((key, old), new) in keys.into_iter().zip(current).zip(next) {
        if new == old {
            continue;
        }
        if new == LimiterState::default() {
            sqlx::query("DELETE FROM rp_limiter WHERE account = $1 AND guess = $2")
                .bind(account)
                .bind(key.key())
                .execute(&mut *tx)
                .await?;
        } else {
            put(&mut tx, account, key, new).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn put(
    conn: &mut PgConnection,
    account: &str,
    key: &LimiterKey,
    state: LimiterState,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_limiter (account, guess, failures, next_allowed) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account, guess) DO UPDATE SET failures = excluded.failures,
             next_allowed = excluded.next_allowed",
    )
    .bind(account)
    .bind(key.key())
    .bind(i64::from(state.failures))
    .bind(to_i64(state.next_allowed)?)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn reset(pool: &PgPool, account: &str, key: &LimiterKey) -> Result<()> {
    sqlx::query("DELETE FROM rp_limiter WHERE account = $1 AND guess = $2")
        .bind(account)
        .bind(key.key())
        .execute(pool)
        .await?;
    Ok(())
}
