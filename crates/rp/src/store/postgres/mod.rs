//! PostgreSQL [`RpStore`] through sqlx: a connection pool, migrations recorded in the
//! store's own `assent_rp_schema` table (`migrations.rs`), one file per record family,
//! every table prefixed `rp_` so the store can share a database with the relay.
//!
//! Built for a login server of several processes on one database: every decision is
//! atomic in the database, never in a process.
//!
//! - A decision on one row is one conditional statement (`UPDATE … WHERE <state is
//!   still the expected one>`, `INSERT … ON CONFLICT`). Under PostgreSQL's default
//!   READ COMMITTED isolation, a second `UPDATE` of a row that the first one changed
//!   waits for it, then evaluates its `WHERE` again on the new row and matches
//!   nothing: exactly one caller wins.
//! - A decision that spans rows (the challenge limits, the two limiter states, the
//!   backup code set, deleting an account) runs in a transaction that first takes the
//!   account's lock ([`lock_account`]), so two of them on one account run one after
//!   the other, the second seeing what the first committed.

mod accounts;
mod app_passwords;
mod challenges;
mod codes;
mod devices;
mod enrollments;
mod migrations;
mod orgs;
#[cfg(test)]
mod tests;
mod throttle;
mod totp;
mod trusted_browsers;

use std::time::Duration;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool};

use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, MemberAdded, OrgMemberRecord, OrgPolicy, TotpRecord, TrustedBrowserInfo,
    TrustedBrowserRecord,
};
// The column conversions, shared with the SQLite backend; the family files take them
// from here.
use super::columns::{count_u32, id16, kind, opt_i64, opt_u64, to_i64, to_u64, totp_params};
use crate::error::Result;
use crate::push_policy::AccountPolicy;
use crate::store::{LimiterKey, LimiterState};

/// How long a call waits for a free connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// First key of the store's advisory locks on an account (the second is the hash of the
/// account). Advisory locks of the two-key form never clash with those of the one-key
/// form; this key keeps them apart from other users of the two-key form in the same
/// database ("ASR" and 1).
const ACCOUNT_LOCKS: i32 = 0x4153_5201;

/// A store in a PostgreSQL database, shared by any number of processes.
///
/// Its methods need a tokio runtime (sqlx's). Clones share the pool. The database user
/// must be allowed to create tables in the default schema when the store first connects
/// (the migrations). TLS to the server is rustls (the workspace builds sqlx with
/// `tls-rustls-ring-webpki`): `sslmode=verify-full&sslrootcert=/path/ca.pem` for a
/// private CA; or connect over a Unix socket (`postgres:///db?host=/run/postgresql`).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) with a pool
    /// of at most `max_connections` and migrates it.
    ///
    /// Errors with [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) if a newer
    /// version of this library migrated the database, and with a database error if
    /// `max_connections` is 0 or the server cannot be reached (sqlx retries a refused
    /// connection for up to 10 s, the pool's acquire timeout, so a server started just
    /// before its database waits for it). Neither the URL nor its password is ever in
    /// the error's message.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        if max_connections == 0 {
            return Err(
                sqlx::Error::Configuration("max_connections must be at least 1".into()).into(),
            );
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Self::from_pool(pool).await
    }

    /// A store on a pool the server made itself (its own options, TLS, timeouts);
    /// migrates the database.
    ///
    /// Errors with [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) if a newer
    /// version of this library migrated the database.
    pub async fn from_pool(pool: PgPool) -> Result<Self> {
        migrations::migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<u32> {
        migrations::version(&mut *self.pool.acquire().await?).await
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Takes the account's lock for the rest of the transaction on `tx`: the decisions
/// that span rows (several tables, or rows that may not exist yet) run under it.
///
/// An advisory lock rather than `SELECT … FOR UPDATE`: what such a decision reads is
/// often no row at all (no challenge yet, a default limiter state that is not stored),
/// and a row lock cannot keep another transaction from inserting the row it would have
/// locked; SERIALIZABLE isolation would, but only with retries on every caller. The
/// lock is transaction-scoped (`pg_advisory_xact_lock`), so it is released at commit or
/// rollback, also when the call is dropped midway. Two accounts whose names hash alike
/// only wait for each other. Each statement after the lock takes a fresh snapshot, so it
/// sees everything that the previous holder committed.
pub(super) async fn lock_account(tx: &mut PgConnection, account: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(ACCOUNT_LOCKS)
        .bind(account)
        .execute(tx)
        .await?;
    Ok(())
}

/// A transaction (PostgreSQL's row locks and conditional statements decide; no
/// up-front lock is needed).
async fn begin_write(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(pool.begin().await?)
}

super::forward_rp_store!(PgStore);
