//! Rows of the relay's tables and their mapping to the store's records.

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::store::{
    ApiKeyRecord, ChallengeRecord, ChallengeState, DeviceRecord, EnrollmentRecord, RemovalRecord,
    StoreResult, Tenant,
};

pub(super) const ENROLLMENT_COLUMNS: &str =
    "eid, tenant_id, created_at, expires_at, registration, \
    device_pub, registered_at, answer, device_id";
pub(super) const DEVICE_COLUMNS: &str = "device_id, tenant_id, device_pub, platform, push_token, \
    push_seq, created_at, unenroll, unenroll_at, push_token_at";
pub(super) const CHALLENGE_COLUMNS: &str =
    "challenge_id, push_id, tenant_id, device_id, challenge, \
    created_at, expires_at, state, answer, answered_at";
pub(super) const REMOVAL_COLUMNS: &str =
    "device_id, tenant_id, device_pub, confirmation, removed_at, expires_at";

pub(super) fn tenant_from_row(row: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn api_key_from_row(row: &SqliteRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        secret_hash: row.try_get("secret_hash")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

pub(super) fn enrollment_from_row(row: &SqliteRow) -> StoreResult<EnrollmentRecord> {
    Ok(EnrollmentRecord {
        eid: row.try_get("eid")?,
        tenant_id: row.try_get("tenant_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        registration: row.try_get("registration")?,
        device_pub: row.try_get("device_pub")?,
        registered_at: row.try_get("registered_at")?,
        answer: row.try_get("answer")?,
        device_id: row.try_get("device_id")?,
    })
}

pub(super) fn device_from_row(row: &SqliteRow) -> StoreResult<DeviceRecord> {
    Ok(DeviceRecord {
        device_id: row.try_get("device_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_pub: row.try_get("device_pub")?,
        platform: row.try_get("platform")?,
        push_token: row.try_get("push_token")?,
        push_seq: row.try_get("push_seq")?,
        push_token_at: row.try_get("push_token_at")?,
        created_at: row.try_get("created_at")?,
        unenroll: row.try_get("unenroll")?,
        unenroll_at: row.try_get("unenroll_at")?,
    })
}

pub(super) fn challenge_from_row(row: &SqliteRow) -> StoreResult<ChallengeRecord> {
    let state: String = row.try_get("state")?;
    Ok(ChallengeRecord {
        challenge_id: row.try_get("challenge_id")?,
        push_id: row.try_get("push_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_id: row.try_get("device_id")?,
        challenge: row.try_get("challenge")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        state: ChallengeState::parse(&state)?,
        answer: row.try_get("answer")?,
        answered_at: row.try_get("answered_at")?,
    })
}

pub(super) fn removal_from_row(row: &SqliteRow) -> StoreResult<RemovalRecord> {
    Ok(RemovalRecord {
        device_id: row.try_get("device_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_pub: row.try_get("device_pub")?,
        confirmation: row.try_get("confirmation")?,
        removed_at: row.try_get("removed_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
