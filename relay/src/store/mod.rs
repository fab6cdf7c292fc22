//! Persistent state behind the [`Store`] trait.
//!
//! The trait speaks in plain records (strings, byte vectors, `i64` Unix
//! seconds) and asks nothing of the backend that PostgreSQL could not do just
//! as well: no rowids, no SQLite-only upserts, conditional updates report the
//! rows they touched. [`sqlite::SqliteStore`] is the one backend today.

pub mod cache;
pub mod sqlite;

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

/// An announced enrollment id and what arrived for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRecord {
    /// The enrollment id (canonical text).
    pub eid: String,
    /// The tenant that announced it.
    pub tenant_id: String,
    /// Announcement time.
    pub created_at: DbTime,
    /// After this, registrations are refused and the purge removes it.
    pub expires_at: DbTime,
    /// The phone's registration (JSON), once it arrived.
    pub registration: Option<String>,
    /// The registering device's public key (SEC1), once registered.
    pub device_pub: Option<Vec<u8>>,
    /// When the registration arrived.
    pub registered_at: Option<DbTime>,
    /// The tenant's enrollment answer (JSON), once delivered.
    pub answer: Option<String>,
    /// The device id assigned by the tenant, once delivered.
    pub device_id: Option<String>,
}

/// An enrolled device.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Device id (canonical text).
    pub device_id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The device key (SEC1) that signs its requests.
    pub device_pub: Vec<u8>,
    /// Platform word.
    pub platform: String,
    /// Push token (never logged).
    pub push_token: String,
    /// Sequence number of the last applied push-token update.
    pub push_seq: i64,
    /// When the current push token was registered (relay time), if it was
    /// set by an update; `None`: the token of the registration
    /// (`created_at`). A provider's "token unregistered" older than this is
    /// about an earlier token.
    pub push_token_at: Option<DbTime>,
    /// Creation time.
    pub created_at: DbTime,
    /// The phone's signed unenroll request (JSON), if it asked.
    pub unenroll: Option<String>,
    /// When it asked.
    pub unenroll_at: Option<DbTime>,
}

impl std::fmt::Debug for DeviceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRecord")
            .field("device_id", &self.device_id)
            .field("tenant_id", &self.tenant_id)
            .field("platform", &self.platform)
            .field("push_token", &"<redacted>")
            .field("push_seq", &self.push_seq)
            .finish_non_exhaustive()
    }
}

/// A challenge's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for the phone.
    Pending,
    /// The phone answered.
    Answered,
}

impl ChallengeState {
    /// Stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
        }
    }

    /// Parses the stored word.
    pub fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "pending" => Ok(Self::Pending),
            "answered" => Ok(Self::Answered),
            other => Err(StoreError::Internal(format!(
                "unknown challenge state {other:?}"
            ))),
        }
    }
}

/// A stored challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Challenge id (canonical text).
    pub challenge_id: String,
    /// Random per-push id the phone fetches it by.
    pub push_id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The device asked.
    pub device_id: String,
    /// The challenge as the tenant sent it (JSON).
    pub challenge: String,
    /// Relay time of creation.
    pub created_at: DbTime,
    /// Relay-clock deadline.
    pub expires_at: DbTime,
    /// Pending or answered.
    pub state: ChallengeState,
    /// The phone's signed answer (JSON), once answered.
    pub answer: Option<String>,
    /// When it was answered.
    pub answered_at: Option<DbTime>,
}

/// A device removed by its tenant, kept until expiry so the phone can fetch
/// the confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalRecord {
    /// The removed device.
    pub device_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Its key, to check the phone's signed fetch.
    pub device_pub: Vec<u8>,
    /// The tenant's sealed confirmation (JSON), if it sent one.
    pub confirmation: Option<String>,
    /// Removal time.
    pub removed_at: DbTime,
    /// Purge after.
    pub expires_at: DbTime,
}

/// Outcome of storing an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// This answer was stored now.
    Stored,
    /// The challenge was already answered; the stored answer is returned.
    AlreadyAnswered(String),
    /// The challenge expired unanswered.
    Expired,
    /// No such challenge for this device.
    Unknown,
}

/// Outcome of storing a new challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Stored.
    Created,
    /// No such device of this tenant (nothing stored).
    UnknownDevice,
    /// The device already has `max_pending` pending, unexpired challenges
    /// (nothing stored).
    TooManyPending,
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
    /// Expired removal records.
    pub removals: u64,
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

    /// Announces an enrollment id; `Conflict` when the eid exists.
    async fn announce_enrollment(&self, record: &EnrollmentRecord) -> StoreResult<()>;
    /// The enrollment with this eid (expired or not).
    async fn enrollment(&self, eid: &str) -> StoreResult<Option<EnrollmentRecord>>;
    /// Stores the first registration for an unexpired eid; `false` when the
    /// eid already has one or expired.
    async fn register(
        &self,
        eid: &str,
        registration: &str,
        device_pub: &[u8],
        now: DbTime,
    ) -> StoreResult<bool>;
    /// The tenant's registered enrollments without a delivered answer, oldest
    /// first, at most `limit`.
    async fn pending_registrations(
        &self,
        tenant_id: &str,
        now: DbTime,
        limit: u32,
    ) -> StoreResult<Vec<EnrollmentRecord>>;
    /// Stores the tenant's answer for a registered eid and creates the device,
    /// atomically; `false` when the eid already has an answer.
    /// `Conflict` when the device id exists.
    async fn deliver_enrollment(
        &self,
        eid: &str,
        answer: &str,
        device: &DeviceRecord,
        now: DbTime,
    ) -> StoreResult<bool>;

    /// The device with this id.
    async fn device(&self, device_id: &str) -> StoreResult<Option<DeviceRecord>>;
    /// Replaces the push target if `seq` is greater than the stored one,
    /// recording `now` as the token's registration time (one atomic step);
    /// `false` otherwise.
    async fn update_push_token(
        &self,
        device_id: &str,
        platform: &str,
        push_token: &str,
        seq: i64,
        now: DbTime,
    ) -> StoreResult<bool>;
    /// Records the phone's unenroll request (the first one is kept).
    async fn request_unenroll(
        &self,
        device_id: &str,
        request: &str,
        now: DbTime,
    ) -> StoreResult<()>;
    /// The tenant's devices that asked to unenroll, oldest first.
    async fn unenroll_requests(
        &self,
        tenant_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>>;
    /// Deletes a device with its challenges and keeps a removal record;
    /// `false` when no such device of this tenant exists.
    async fn remove_device(
        &self,
        tenant_id: &str,
        device_id: &str,
        removal: &RemovalRecord,
    ) -> StoreResult<bool>;
    /// Stores the tenant's confirmation on a removal record that has none;
    /// `false` when there is no such record of this tenant or it already
    /// has one.
    async fn confirm_removal(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: &str,
    ) -> StoreResult<bool>;
    /// The removal record of a device.
    async fn removal(&self, device_id: &str) -> StoreResult<Option<RemovalRecord>>;

    /// Stores a new challenge for a device of its tenant that has fewer than
    /// `max_pending` pending, unexpired challenges (at the record's
    /// `created_at`); both conditions and the insert are one atomic step, so
    /// concurrent creations cannot overshoot the limit (SQLite: one
    /// statement under the single writer; a PostgreSQL backend would lock
    /// the device row in the same transaction). `Conflict` when its id or
    /// push id exists.
    async fn create_challenge(
        &self,
        record: &ChallengeRecord,
        max_pending: u32,
    ) -> StoreResult<CreateOutcome>;
    /// Pending, unexpired challenges of a device.
    async fn count_pending(&self, device_id: &str, now: DbTime) -> StoreResult<u32>;
    /// The challenge with this id.
    async fn challenge(&self, challenge_id: &str) -> StoreResult<Option<ChallengeRecord>>;
    /// The challenge with this push id.
    async fn challenge_by_push_id(&self, push_id: &str) -> StoreResult<Option<ChallengeRecord>>;
    /// Pending, unexpired challenges of a device, oldest first.
    async fn pending_challenges(
        &self,
        device_id: &str,
        now: DbTime,
    ) -> StoreResult<Vec<ChallengeRecord>>;
    /// Stores `answer` only while the challenge is pending and unexpired.
    async fn answer_challenge(
        &self,
        device_id: &str,
        challenge_id: &str,
        answer: &str,
        now: DbTime,
    ) -> StoreResult<AnswerOutcome>;

    /// Deletes enrollments and challenges whose expiry is before `before`.
    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts>;

    /// Forgets the device's push token if it is still `push_token` (the
    /// provider said it is dead): the device falls back to polling until the
    /// phone sends a new one. `false` when the token had already changed.
    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool>;
    /// Records what happened to a challenge's push (`sent`, `failed`,
    /// `dead_token`).
    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()>;
    /// What happened to a challenge's push; `None` when no push was tried or
    /// it is still in flight (or no such challenge).
    async fn challenge_push(&self, challenge_id: &str) -> StoreResult<Option<String>>;
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

/// Opens the store named by a database URL (`sqlite:...`).
pub async fn connect(url: &str, options: StoreOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open_with(url, options).await?;
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
