//! The statements of the trusted-browser family, the same for both SQL backends: a
//! macro that each backend's `trusted_browsers.rs` expands with its pool and row types,
//! its table name and the column that orders rows inserted in the same second.

/// Defines `insert`, `get`, `list`, `touch` and `revoke` over `$pool` for the table
/// `$table`, ordering ties by `$seq`. Expects `super::begin_write` (a transaction that
/// holds the write lock from its first statement) and the column conversions in scope.
macro_rules! trusted_browser_statements {
    ($pool:ty, $row:ty, $table:literal, $seq:literal) => {
        /// Drops the account's expired and revoked browsers, then adds this one; false (and
        /// nothing written) if the account has one with its id. One transaction.
        pub(super) async fn insert(
            pool: &$pool,
            account: &str,
            record: &TrustedBrowserRecord,
            now: u64,
        ) -> Result<bool> {
            let i = &record.info;
            let mut tx = super::begin_write(pool).await?;
            sqlx::query(concat!(
                "DELETE FROM ",
                $table,
                " WHERE account = $1 AND (expires_at <= $2 OR revoked_at IS NOT NULL)"
            ))
            .bind(account)
            .bind(to_i64(now)?)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(concat!(
                "INSERT INTO ",
                $table,
                " (account, id, token_hash, name, first_ip, last_ip, created_at, last_used_at,
                      expires_at, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (account, id) DO NOTHING"
            ))
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

        fn info_from_row(r: &$row) -> Result<TrustedBrowserInfo> {
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
            pool: &$pool,
            account: &str,
            token_hash: &[u8; 32],
        ) -> Result<Option<TrustedBrowserRecord>> {
            let row = sqlx::query(concat!(
                "SELECT id, name, first_ip, last_ip, created_at, last_used_at, expires_at, revoked_at,
                        token_hash FROM ",
                $table,
                " WHERE account = $1 AND token_hash = $2"
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

        /// The account's browsers, oldest first (ties in insertion order: `$seq`).
        pub(super) async fn list(pool: &$pool, account: &str) -> Result<Vec<TrustedBrowserInfo>> {
            let rows = sqlx::query(concat!(
                "SELECT id, name, first_ip, last_ip, created_at, last_used_at, expires_at, revoked_at
                 FROM ",
                $table,
                " WHERE account = $1 ORDER BY created_at, ",
                $seq
            ))
            .bind(account)
            .fetch_all(pool)
            .await?;
            rows.iter().map(info_from_row).collect()
        }

        /// Stamps a use (and its address, when known: an unknown one keeps the last known).
        pub(super) async fn touch(
            pool: &$pool,
            account: &str,
            id: &str,
            now: u64,
            ip: Option<&str>,
        ) -> Result<()> {
            sqlx::query(concat!(
                "UPDATE ",
                $table,
                " SET last_used_at = $3, last_ip = COALESCE($4, last_ip) WHERE account = $1 AND id = $2"
            ))
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
            pool: &$pool,
            account: &str,
            id: Option<&str>,
            now: u64,
        ) -> Result<u32> {
            let done = sqlx::query(concat!(
                "UPDATE ",
                $table,
                " SET revoked_at = $3
                 WHERE account = $1 AND ($2 IS NULL OR id = $2) AND revoked_at IS NULL"
            ))
            .bind(account)
            .bind(id)
            .bind(to_i64(now)?)
            .execute(pool)
            .await?;
            Ok(count_u32(done.rows_affected()))
        }
    };
}
pub(crate) use trusted_browser_statements;
