//! The store's record families, one trait each, so each backend implements them in one
//! file per family ([`super::sqlite`]: `tenants.rs`, `enrollments.rs`, `devices.rs`,
//! `challenges.rs`). [`super::Store`] is all of them together.

use async_trait::async_trait;

use super::{
    Admission, AnswerOutcome, ApiKeyRecord, ChallengeRecord, CreateOutcome, DbTime, DeviceRecord,
    EnrollmentRecord, RemovalRecord, StoreResult, Tenant,
};

/// Tenants and their API keys.
#[async_trait]
pub trait TenantStore: Send + Sync {
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
}

/// Enrollment announcements, registrations and answers.
#[async_trait]
pub trait EnrollmentStore: Send + Sync {
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
}

/// Enrolled devices, their push targets, unenroll requests and removal records.
#[async_trait]
pub trait DeviceStore: Send + Sync {
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

    /// Forgets the device's push token if it is still `push_token` (the
    /// provider said it is dead): the device falls back to polling until the
    /// phone sends a new one. `false` when the token had already changed.
    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool>;
}

/// Challenges, their answers and their push outcomes.
#[async_trait]
pub trait ChallengeStore: Send + Sync {
    /// Stores a new challenge for a device of its tenant that has fewer than
    /// `admission.max_pending` pending, unexpired challenges (at the record's
    /// `created_at`) and room in its challenge window, which the challenge then
    /// uses. The checks, the insert and the window's update are one atomic
    /// step, so concurrent creations cannot overshoot either limit (SQLite:
    /// one savepoint under the single writer; PostgreSQL: one transaction
    /// holding the device row's lock, across instances). `Conflict` when its
    /// id or push id exists.
    async fn create_challenge(
        &self,
        record: &ChallengeRecord,
        admission: Admission,
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

    /// Records what happened to a challenge's push (`sent`, `failed`,
    /// `dead_token`).
    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()>;

    /// What happened to a challenge's push; `None` when no push was tried or
    /// it is still in flight (or no such challenge).
    async fn challenge_push(&self, challenge_id: &str) -> StoreResult<Option<String>>;
}
