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
#[cfg(test)]
mod tests;
mod throttle;
mod totp;

use std::path::Path;
use std::time::Duration;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, RpStore, TotpRecord,
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

#[async_trait]
impl RpStore for SqliteStore {
    async fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()> {
        totp::put(&self.pool, account, record).await
    }

    async fn totp(&self, account: &str) -> Result<Option<TotpRecord>> {
        totp::get(&self.pool, account).await
    }

    async fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool> {
        totp::advance(&self.pool, account, step).await
    }

    async fn delete_totp(&self, account: &str) -> Result<bool> {
        totp::delete(&self.pool, account).await
    }

    async fn limiter(&self, account: &str, key: &LimiterKey) -> Result<LimiterState> {
        throttle::get(&mut *self.pool.acquire().await?, account, key).await
    }

    async fn update_limiter(
        &self,
        account: &str,
        key: &LimiterKey,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) -> Result<()> {
        throttle::update(&self.pool, account, key, f).await
    }

    async fn update_limiters(
        &self,
        account: &str,
        keys: [&LimiterKey; 2],
        f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
    ) -> Result<()> {
        throttle::update_pair(&self.pool, account, keys, f).await
    }

    async fn reset_limiter(&self, account: &str, key: &LimiterKey) -> Result<()> {
        throttle::reset(&self.pool, account, key).await
    }

    async fn replace_backup_codes(&self, account: &str, codes: &[BackupCodeRecord]) -> Result<()> {
        codes::replace(&self.pool, account, codes).await
    }

    async fn backup_code(&self, account: &str, id: &str) -> Result<Option<BackupCodeRecord>> {
        codes::get(&self.pool, account, id).await
    }

    async fn consume_backup_code(
        &self,
        account: &str,
        id: &str,
        hash: &str,
        now: u64,
    ) -> Result<bool> {
        codes::consume(&self.pool, account, id, hash, now).await
    }

    async fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
        codes::remaining(&self.pool, account).await
    }

    async fn insert_app_password(&self, account: &str, record: &AppPasswordRecord) -> Result<bool> {
        app_passwords::insert(&self.pool, account, record).await
    }

    async fn app_password(&self, account: &str, id: &str) -> Result<Option<AppPasswordRecord>> {
        app_passwords::get(&self.pool, account, id).await
    }

    async fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
        app_passwords::list(&self.pool, account).await
    }

    async fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()> {
        app_passwords::touch(&self.pool, account, id, now).await
    }

    async fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool> {
        app_passwords::revoke(&self.pool, account, id, now).await
    }

    async fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32> {
        app_passwords::revoke_all(&self.pool, account, now).await
    }

    async fn delete_account(&self, account: &str) -> Result<()> {
        accounts::delete_everything(&self.pool, account).await
    }

    async fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()> {
        enrollments::insert(&self.pool, record).await
    }

    async fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
        enrollments::get(&self.pool, eid).await
    }

    async fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
        enrollments::claim(&self.pool, eid).await
    }

    async fn set_enrollment_state(
        &self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> Result<bool> {
        enrollments::set_state(&self.pool, eid, from, to, device_id).await
    }

    async fn insert_device(&self, record: &DeviceRecord) -> Result<()> {
        devices::insert(&self.pool, record).await
    }

    async fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
        devices::get(&self.pool, device_id).await
    }

    async fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>> {
        devices::of_account(&self.pool, account).await
    }

    async fn set_device_state(
        &self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> Result<bool> {
        devices::set_state(&self.pool, device_id, from, to, now).await
    }

    async fn insert_challenge(
        &self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
    ) -> Result<ChallengeAdmission> {
        challenges::insert(&self.pool, record, limits, now).await
    }

    async fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Result<Option<ChallengeRecord>> {
        challenges::by_handle(&self.pool, handle_hash).await
    }

    async fn resolve_challenge(
        &self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> Result<bool> {
        challenges::resolve(&self.pool, challenge_id, from, to, now).await
    }

    async fn cancel_device_challenges(&self, device_id: &DeviceId, now: u64) -> Result<u32> {
        challenges::cancel_device(&self.pool, device_id, now).await
    }

    async fn mute_pushes(&self, account: &str, until: u64) -> Result<()> {
        accounts::mute(&self.pool, account, until).await
    }

    async fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>> {
        accounts::muted_until(&mut *self.pool.acquire().await?, account).await
    }

    async fn set_account_policy(&self, account: &str, policy: &AccountPolicy) -> Result<()> {
        accounts::set_policy(&self.pool, account, policy).await
    }

    async fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>> {
        accounts::policy(&self.pool, account).await
    }
}
