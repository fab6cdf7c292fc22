//! The organization tables: `rp_org_policies` (one row per organization: what it asks of its
//! members) and `rp_org_members` (one row per member account: an account belongs to one
//! organization at most).

use sqlx::{PgPool, Row as _};

use super::{opt_u64, to_i64, to_u64};
use crate::error::Result;
use crate::store::{MemberAdded, OrgMemberRecord, OrgPolicy};

pub(super) async fn set_policy(pool: &PgPool, org: &str, policy: &OrgPolicy) -> Result<()> {
    sqlx::query(
        "INSERT INTO rp_org_policies (org, require_two_step) VALUES ($1, $2)
         ON CONFLICT (org) DO UPDATE SET require_two_step = excluded.require_two_step",
    )
    .bind(org)
    .bind(policy.require_two_step)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn policy(pool: &PgPool, org: &str) -> Result<Option<OrgPolicy>> {
    let row = sqlx::query("SELECT require_two_step FROM rp_org_policies WHERE org = $1")
        .bind(org)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        Ok(OrgPolicy {
            require_two_step: r.try_get("require_two_step")?,
        })
    })
    .transpose()
}

/// Inserts the membership unless the account has one (the primary key decides, so two
/// concurrent additions to different organizations cannot both win).
pub(super) async fn add_member(
    pool: &PgPool,
    org: &str,
    account: &str,
    now: u64,
) -> Result<MemberAdded> {
    // A membership removed between the insert and the read is retried once.
    for _ in 0..2 {
        let done = sqlx::query(
            "INSERT INTO rp_org_members (account, org, joined_at) VALUES ($1, $2, $3)
             ON CONFLICT (account) DO NOTHING",
        )
        .bind(account)
        .bind(org)
        .bind(to_i64(now)?)
        .execute(pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(MemberAdded::Added);
        }
        match org_of(pool, account).await? {
            Some(found) if found == org => return Ok(MemberAdded::AlreadyMember),
            Some(other) => return Ok(MemberAdded::InOther(other)),
            None => continue,
        }
    }
    Ok(MemberAdded::AlreadyMember)
}

pub(super) async fn remove_member(pool: &PgPool, org: &str, account: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM rp_org_members WHERE account = $1 AND org = $2")
        .bind(account)
        .bind(org)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn org_of(pool: &PgPool, account: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT org FROM rp_org_members WHERE account = $1")
            .bind(account)
            .fetch_optional(pool)
            .await?,
    )
}

/// The members, in the order they joined (ties in insertion order, by the `seq` identity column).
pub(super) async fn members(pool: &PgPool, org: &str) -> Result<Vec<OrgMemberRecord>> {
    let rows = sqlx::query(
        "SELECT account, joined_at, reminded_at FROM rp_org_members
         WHERE org = $1 ORDER BY joined_at, seq",
    )
    .bind(org)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OrgMemberRecord {
                account: r.try_get("account")?,
                joined_at: to_u64(r.try_get("joined_at")?)?,
                reminded_at: opt_u64(r.try_get("reminded_at")?)?,
            })
        })
        .collect()
}

pub(super) async fn stamp_reminder(
    pool: &PgPool,
    org: &str,
    account: &str,
    now: u64,
    not_after: u64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rp_org_members SET reminded_at = $3
         WHERE account = $1 AND org = $2 AND (reminded_at IS NULL OR reminded_at <= $4)",
    )
    .bind(account)
    .bind(org)
    .bind(to_i64(now)?)
    .bind(to_i64(not_after)?)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
