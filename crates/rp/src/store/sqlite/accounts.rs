//! Per-account settings (`push_accounts`: the mute after a fraud report and the approval
//! policy), and the deletion of everything an account has in every table.

use sqlx::{Row as _, SqliteConnection, SqlitePool};

use super::{kind, opt_u64, to_i64};
use crate::error::Result;
use crate::push_policy::AccountPolicy;

/// Every table keyed by account, for [`delete_everything`].
const ACCOUNT_TABLES: [&str; 10] = [
    "totp",
    "limiter",
    "backup_codes",
    "app_passwords",
    "trusted_browsers",
    "org_members",
    "enrollments",
    "devices",
    "challenges",
    "push_accounts",
];

/// Removes the account from every table in one transaction.
pub(super) async fn delete_everything(pool: &SqlitePool, account: &str) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for table in ACCOUNT_TABLES {
        sqlx::query(&format!("DELETE FROM {table} WHERE account = $1"))
            .bind(account)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Mutes until `until`, never shortening an existing mute.
pub(super) async fn mute(pool: &SqlitePool, account: &str, until: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO push_accounts (account, muted_until) VALUES ($1, $2)
         ON CONFLICT (account) DO UPDATE SET muted_until = CASE
             WHEN push_accounts.muted_until IS NULL
                 OR push_accounts.muted_until < excluded.muted_until
             THEN excluded.muted_until ELSE push_accounts.muted_until END",
    )
    .bind(account)
    .bind(to_i64(until)?)
    .execute(pool)
    .await?;
    Ok(())
}

/// The end of the account's mute, if one was ever set.
pub(super) async fn muted_until(conn: &mut SqliteConnection, account: &str) -> Result<Option<u64>> {
    let v: Option<Option<i64>> =
        sqlx::query_scalar("SELECT muted_until FROM push_accounts WHERE account = $1")
            .bind(account)
            .fetch_optional(conn)
            .await?;
    opt_u64(v.flatten())
}

pub(super) async fn set_policy(
    pool: &SqlitePool,
    account: &str,
    policy: &AccountPolicy,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO push_accounts (account, kind, uv) VALUES ($1, $2, $3)
         ON CONFLICT (account) DO UPDATE SET kind = excluded.kind, uv = excluded.uv",
    )
    .bind(account)
    .bind(policy.kind.as_str())
    .bind(policy.uv)
    .execute(pool)
    .await?;
    Ok(())
}

/// The account's approval policy, if one was set.
pub(super) async fn policy(pool: &SqlitePool, account: &str) -> Result<Option<AccountPolicy>> {
    let row = sqlx::query("SELECT kind, uv FROM push_accounts WHERE account = $1")
        .bind(account)
        .fetch_optional(pool)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    match (
        r.try_get::<Option<String>, _>("kind")?,
        r.try_get::<Option<bool>, _>("uv")?,
    ) {
        (Some(k), Some(uv)) => Ok(Some(AccountPolicy {
            kind: kind(&k)?,
            uv,
        })),
        _ => Ok(None),
    }
}
