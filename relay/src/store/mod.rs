//! Persistent state behind the [`Store`] trait.
//!
//! The trait speaks in plain records (strings, byte vectors, `i64` Unix
//! seconds) and asks nothing of the backend that PostgreSQL could not do just
//! as well: no rowids, no SQLite-only upserts, conditional updates report the
//! rows they touched. [`sqlite::SqliteStore`] is the one backend today.

pub mod sqlite;

use std::sync::Arc;

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
    /// Any other failure.
    #[error("database error: {0}")]
    Internal(String),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A tenant: one relying party (login server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Random public identifier.
    pub id: String,
    /// Unique human-readable name chosen by the operator.
    pub name: String,
    /// Creation time.
    pub created_at: DbTime,
}

/// A stored API key: only the SHA-256 of its secret part is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Public key id (the prefix shown in the key).
    pub id: String,
    /// The tenant the key acts for.
    pub tenant_id: String,
    /// SHA-256 of the key's secret part.
    pub secret_hash: Vec<u8>,
    /// Creation time.
    pub created_at: DbTime,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DbTime>,
}

impl std::fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("secret_hash", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// How many rows a purge removed, per kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Expired enrollment announcements.
    pub enrollments: u64,
    /// Expired challenges (answered or not).
    pub challenges: u64,
    /// Of those, challenges that were never answered.
    pub unanswered_challenges: u64,
}

/// The relay's persistent state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a tenant; `Conflict` when the id or name exists.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// The tenant with this id.
    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    /// The tenant with this name.
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    /// All tenants, by name.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// Stores a new API key; `Conflict` when the id exists.
    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    /// The API key with this id (revoked or not).
    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// The keys of a tenant, oldest first.
    async fn list_api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes a key; `false` when no unrevoked key has this id.
    async fn revoke_api_key(&self, id: &str, now: DbTime) -> StoreResult<bool>;

    /// Deletes enrollments and challenges whose expiry is before `before`.
    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts>;
}

/// Opens the store named by a database URL (`sqlite:...`).
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open(url, max_connections).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(StoreError::Internal(
            "PostgreSQL is not supported by this build yet".to_owned(),
        ))
    } else {
        Err(StoreError::Internal(
            "unsupported database URL scheme (expected sqlite:)".to_owned(),
        ))
    }
}
