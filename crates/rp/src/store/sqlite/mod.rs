//! SQLite [`RpStore`] through sqlx: a connection pool, WAL, `synchronous=FULL`,
//! migrations by `PRAGMA user_version` (`migrations.rs`), one file per record family.
//!
//! Several connections (and several stores or processes on the same file) may run at
//! once; SQLite's locking, with a busy timeout, serialises their writes. The deciding
//! writes are single conditional `UPDATE`s; read-modify-write sequences run in
//! `BEGIN IMMEDIATE` transactions, which take the write lock before their first read.
//! Statements use `$n` parameters and standard `ON CONFLICT` upserts, so the PostgreSQL
//! backend (`postgres/`) follows the same files.

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

use std::path::Path;
use std::time::Duration;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, MemberAdded, OrgMemberRecord, OrgPolicy, TotpRecord, TrustedBrowserInfo,
    TrustedBrowserRecord,
};
// The column conversions, shared with the PostgreSQL backend; the family files take
// them from here.
use super::columns::{count_u32, id16, kind, opt_i64, opt_u64, to_i64, to_u64, totp_params};
use crate::error::Result;
use crate::push_policy::AccountPolicy;
use crate::store::{LimiterKey, LimiterState};

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a free connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections of a file database's pool.
const FILE_CONNECTIONS: u32 = 4;

/// A store in an SQLite database (a file, or private memory for tests and demos).
///
/// Its methods need a tokio runtime (sqlx's). Clones share the pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// Errors with [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) if a newer version of this library wrote it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Self::init(pool).await
    }

    /// A private in-memory database (tests, demos), lost when the store is dropped.
    pub async fn open_in_memory() -> Result<Self> {
        // An in-memory database lives on one connection: the pool keeps exactly that
        // one, forever.
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Self::init(pool).await
    }

    async fn init(pool: SqlitePool) -> Result<Self> {
        migrations::migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32> {
        migrations::user_version(&mut *self.pool.acquire().await?).await
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A transaction that takes the write lock before its first statement.
async fn begin_write(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

super::forward_rp_store!(SqliteStore);
