//! Persistent state behind the [`Store`] trait.
//!
//! The trait speaks in plain records (strings, byte vectors, `i64` Unix
//! seconds) and asks nothing of the backend that PostgreSQL could not do just
//! as well: no rowids, no SQLite-only upserts, conditional updates report the
//! rows they touched. Two backends: [`sqlite::SqliteStore`] (one relay process on
//! one file, the default) and [`postgres::PgStore`] (several instances on one
//! database). Their schemas are the same migrations ([`migrations`]).
//!
//! The trait is split by record family ([`TenantStore`], [`EnrollmentStore`],
//! [`DeviceStore`], [`ChallengeStore`], [`OutboxStore`] the webhook outbox; bring
//! the one you call into scope), and a backend implements each in a file of its
//! own.

pub mod cache;
pub mod db_metrics;
mod families;
pub mod migrations;
mod outbox;
pub mod postgres;
mod records;
mod rows;
mod sql_errors;
pub mod sqlite;

pub use families::{ChallengeStore, DeviceStore, EnrollmentStore, TenantStore};
pub use outbox::{Claim, DbMillis, OutboxEvent, OutboxStore};
pub use records::{
    Admission, AnswerOutcome, ApiKeyRecord, ChallengeRecord, ChallengeState, CreateOutcome,
    DeviceRecord, EnrollmentRecord, PurgeCounts, RemovalRecord, Tenant,
};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// Unix time in seconds, as stored.
pub type DbTime = i64;

/// Converts a clock reading into the stored representation.
pub fn db_time(secs: u64) -> DbTime {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// A storage failure. Its text is for the log only, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write.
    #[error("conflict with an existing record")]
    Conflict,
    /// The database cannot be reached (pool timeout, I/O, closed).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database's schema is not the one this build knows (a newer or
    /// different relay migrated it); refused at start, nothing changed.
    #[error("database schema: {0}")]
    Schema(String),
    /// Any other failure.
    #[error("database error: {0}")]
    Internal(String),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The relay's persistent state: every record family, plus what spans them.
#[async_trait]
pub trait Store:
    TenantStore + EnrollmentStore + DeviceStore + ChallengeStore + OutboxStore + 'static
{
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Deletes enrollments and challenges whose expiry is before `before`.
    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts>;

    /// The listener that brings other instances' wake-ups to this one
    /// (PostgreSQL); `None` when one process owns the database.
    fn wake_listener(&self) -> Option<postgres::wake::WakeListener> {
        None
    }

    /// `false` while a started wake-up listener is not connected (answers
    /// through other instances would then not end long-polls here before
    /// their timeout).
    fn wake_listener_ready(&self) -> bool {
        true
    }

    /// The connection pool's state, for the metrics; `None` when not pooled.
    fn pool_usage(&self) -> Option<db_metrics::PoolUsage> {
        None
    }
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Database connections.
    pub max_connections: u32,
    /// Lifetime of cached API keys and devices ([`cache`]); zero: no cache.
    pub cache_ttl: Duration,
}

impl StoreOptions {
    /// One connection, no cache: for short-lived commands (`admin`).
    pub fn single() -> Self {
        Self {
            max_connections: 1,
            cache_ttl: Duration::ZERO,
        }
    }
}

/// Opens the store named by a database URL (`sqlite:…` or `postgres://…`).
pub async fn connect(url: &str, options: StoreOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open_with(url, options).await?;
        Ok(Arc::new(store))
    } else if is_postgres(url) {
        let store = postgres::PgStore::open_with(url, options).await?;
        Ok(Arc::new(store))
    } else {
        Err(StoreError::Internal(
            "unsupported database URL scheme (expected sqlite: or postgres:)".to_owned(),
        ))
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://…`, `postgresql://…`).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}
