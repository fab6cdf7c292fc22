//! Per-account settings (`rp_push_accounts`: the mute after a fraud report and the
//! approval policy), and the deletion of everything an account has in every table.

use sqlx::{PgConnection, PgPool, Row as _};

use super::{kind, lock_account, opt_u64, to_i64};
use crate::error::Result;
use crate::push_policy::AccountPolicy;

/// Every table keyed by account, for [`delete_everything`].
const ACCOUNT_TABLES: [&str; 10] = [
    "rp_totp",
    "rp_limiter",
    "rp_backup_codes",
    "rp_app_passwords",
    "rp_trusted_browsers",
    "rp_org_members",
    "rp_enrollments",
    "rp_devices",
    "rp_challenges",
    "rp_push_accounts",
];

/// Removes the account from every table in one transaction, under the account's lock:
/// no challenge admission, limiter update or backup code replacement of the account
/// runs between two of the deletions and leaves a row behind.
pub(super) async fn delete_everything(pool: &PgPool, account: &str) -> Result<()> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, account).await?;
    for table in ACCOUNT_TABLES {
        // `table` is one of our own constant names, never input.
        sqlx::query(&format!("DELETE FROM {table} WHERE account = $1"))
            .bind(account)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Mutes until `until`, never shortening an existing mute (one upsert; `GREATEST`
/// ignores a NULL).
pub(super) async fn mute(pool: &PgPool, account: &str, until: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_push_accounts (account, muted_until) VALUES ($1, $2)
         ON CONFLICT (account) DO UPDATE
             SET muted_until = GREATEST(rp_push_accounts.muted_until, excluded.muted_until)",
    )
    .bind(account)
    .bind(to_i64(until)?)
    .execute(pool)
    .await?;
    Ok(())
}

/// The end of the account's mute, if one was ever set.
pub(super) async fn muted_until(conn: &mut PgConnection, account: &str) -> Result<Option<u64>> {
    let v: Option<Option<i64>> =
        sqlx::query_scalar("SELECT muted_until FROM rp_push_accounts WHERE account = $1")
            .bind(account)
            .fetch_optional(conn)
            .await?;
    opt_u64(v.flatten())
}

pub(super) async fn set_policy(pool: &PgPool, account: &str, policy: &AccountPolicy) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_push_accounts (account, kind, uv) VALUES ($1, $2, $3)
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
pub(super) async fn policy(pool: &PgPool, account: &str) -> Result<Option<AccountPolicy>> {
    let row = sqlx::query("SELECT kind, uv FROM rp_push_accounts WHERE account = $1")
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
