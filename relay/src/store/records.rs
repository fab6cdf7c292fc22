//! The records the store keeps, as plain values (strings, byte vectors, `i64` Unix
//! seconds). Secrets in them are redacted in `Debug`.

use super::{DbTime, StoreError, StoreResult};
use crate::rate::ChallengeWindow;

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

/// What a new challenge must pass, checked by the store in the same atomic
/// step as its insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The device may have fewer than this many pending, unexpired challenges.
    pub max_pending: u32,
    /// The device's challenges per window.
    pub window: ChallengeWindow,
}

impl Admission {
    /// Only the pending limit (no window).
    #[cfg(test)]
    pub fn pending(max_pending: u32) -> Self {
        Self {
            max_pending,
            window: ChallengeWindow::OFF,
        }
    }
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
    /// The device has used its challenge window (nothing stored).
    WindowUsed,
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
