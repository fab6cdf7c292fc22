//! The statements of the organization family, the same for both SQL backends: a macro
//! that each backend's `orgs.rs` expands with its pool type, its table names and the
//! column that orders members who joined in the same second.

/// Defines `set_policy`, `policy`, `add_member`, `remove_member`, `org_of`, `members`
/// and `stamp_reminder` over `$pool` for the tables `$policies` (one row per
/// organization) and `$members` (one row per member account: an account belongs to one
/// organization at most), ordering ties by `$seq`.
macro_rules! org_statements {
    ($pool:ty, $policies:literal, $members:literal, $seq:literal) => {
        pub(super) async fn set_policy(pool: &$pool, org: &str, policy: &OrgPolicy) -> Result<()> {
            sqlx::query(
                concat!("INSERT INTO ", $policies, " (org, require_two_step) VALUES ($1, $2)
                 ON CONFLICT (org) DO UPDATE SET require_two_step = excluded.require_two_step"),
            )
            .bind(org)
            .bind(policy.require_two_step)
            .execute(pool)
            .await?;
            Ok(())
        }

        pub(super) async fn policy(pool: &$pool, org: &str) -> Result<Option<OrgPolicy>> {
            let row = sqlx::query(concat!("SELECT require_two_step FROM ", $policies, " WHERE org = $1"))
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
            pool: &$pool,
            org: &str,
            account: &str,
            now: u64,
        ) -> Result<MemberAdded> {
            // A membership removed between the insert and the read is retried once.
            for _ in 0..2 {
                let done = sqlx::query(
                    concat!("INSERT INTO ", $members, " (account, org, joined_at) VALUES ($1, $2, $3)
                     ON CONFLICT (account) DO NOTHING"),
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

        pub(super) async fn remove_member(pool: &$pool, org: &str, account: &str) -> Result<bool> {
            let done = sqlx::query(concat!("DELETE FROM ", $members, " WHERE account = $1 AND org = $2"))
                .bind(account)
                .bind(org)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn org_of(pool: &$pool, account: &str) -> Result<Option<String>> {
            Ok(
                sqlx::query_scalar(concat!("SELECT org FROM ", $members, " WHERE account = $1"))
                    .bind(account)
                    .fetch_optional(pool)
                    .await?,
            )
        }

        /// The members, in the order they joined (ties in insertion order).
        pub(super) async fn members(pool: &$pool, org: &str) -> Result<Vec<OrgMemberRecord>> {
            let rows = sqlx::query(
                concat!("SELECT account, joined_at, reminded_at FROM ", $members, "
                 WHERE org = $1 ORDER BY joined_at, ", $seq),
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
            pool: &$pool,
            org: &str,
            account: &str,
            now: u64,
            not_after: u64,
        ) -> Result<bool> {
            let done = sqlx::query(
                concat!("UPDATE ", $members, " SET reminded_at = $3
                 WHERE account = $1 AND org = $2 AND (reminded_at IS NULL OR reminded_at <= $4)"),
            )
            .bind(account)
            .bind(org)
            .bind(to_i64(now)?)
            .bind(to_i64(not_after)?)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}
pub(crate) use org_statements;
