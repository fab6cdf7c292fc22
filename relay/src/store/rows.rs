//! Rows of the relay's tables and their mapping to the store's records, shared by
//! both backends: the tables have the same columns on SQLite and PostgreSQL
//! (`BLOB` there is `BYTEA` here), and a backend's row type reads them through
//! [`Columns`].

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;

use crate::store::{
    ApiKeyRecord, ChallengeRecord, ChallengeState, DeviceRecord, EnrollmentRecord, OutboxEvent,
    RemovalRecord, StoreError, StoreResult, Tenant,
};

/// A result row of either backend, read by column name.
pub(super) trait Columns {
    /// A `TEXT` column.
    fn text(&self, column: &str) -> StoreResult<String>;
    /// A nullable `TEXT` column.
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>>;
    /// A `BIGINT` column.
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A nullable `BIGINT` column.
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>>;
    /// A `BLOB` / `BYTEA` column.
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>>;
    /// A nullable `BLOB` / `BYTEA` column.
    fn bytes_opt(&self, column: &str) -> StoreResult<Option<Vec<u8>>>;
}

macro_rules! columns_for {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, column: &str) -> StoreResult<String> {
                Ok(self.try_get(column)?)
            }
            fn text_opt(&self, column: &str) -> StoreResult<Option<String>> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> StoreResult<i64> {
                Ok(self.try_get(column)?)
            }
            fn int_opt(&self, column: &str) -> StoreResult<Option<i64>> {
                Ok(self.try_get(column)?)
            }
            fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
                Ok(self.try_get(column)?)
            }
            fn bytes_opt(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

columns_for!(SqliteRow);
columns_for!(PgRow);

pub(crate) const ENROLLMENT_COLUMNS: &str =
    "eid, tenant_id, created_at, expires_at, registration, \
    device_pub, registered_at, answer, device_id";
pub(crate) const DEVICE_COLUMNS: &str = "device_id, tenant_id, device_pub, platform, push_token, \
    push_seq, created_at, unenroll, unenroll_at, push_token_at";
pub(crate) const CHALLENGE_COLUMNS: &str =
    "challenge_id, push_id, tenant_id, device_id, challenge, \
    created_at, expires_at, state, answer, answered_at";
pub(crate) const REMOVAL_COLUMNS: &str =
    "device_id, tenant_id, device_pub, confirmation, removed_at, expires_at";

pub(crate) const OUTBOX_COLUMNS: &str =
    "event_id, tenant_id, event_type, subject, created_at, attempts, next_attempt_at";

pub(super) fn tenant_from_row(row: &impl Columns) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: row.text("id")?,
        name: row.text("name")?,
        created_at: row.int("created_at")?,
    })
}

pub(super) fn api_key_from_row(row: &impl Columns) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        secret_hash: row.bytes("secret_hash")?,
        created_at: row.int("created_at")?,
        revoked_at: row.int_opt("revoked_at")?,
    })
}

pub(super) fn enrollment_from_row(row: &impl Columns) -> StoreResult<EnrollmentRecord> {
    Ok(EnrollmentRecord {
        eid: row.text("eid")?,
        tenant_id: row.text("tenant_id")?,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        registration: row.text_opt("registration")?,
        device_pub: row.bytes_opt("device_pub")?,
        registered_at: row.int_opt("registered_at")?,
        answer: row.text_opt("answer")?,
        device_id: row.text_opt("device_id")?,
    })
}

pub(super) fn device_from_row(row: &impl Columns) -> StoreResult<DeviceRecord> {
    Ok(DeviceRecord {
        device_id: row.text("device_id")?,
        tenant_id: row.text("tenant_id")?,
        device_pub: row.bytes("device_pub")?,
        platform: row.text("platform")?,
        push_token: row.text("push_token")?,
        push_seq: row.int("push_seq")?,
        push_token_at: row.int_opt("push_token_at")?,
        created_at: row.int("created_at")?,
        unenroll: row.text_opt("unenroll")?,
        unenroll_at: row.int_opt("unenroll_at")?,
    })
}

pub(super) fn challenge_from_row(row: &impl Columns) -> StoreResult<ChallengeRecord> {
    let state = row.text("state")?;
    Ok(ChallengeRecord {
        challenge_id: row.text("challenge_id")?,
        push_id: row.text("push_id")?,
        tenant_id: row.text("tenant_id")?,
        device_id: row.text("device_id")?,
        challenge: row.text("challenge")?,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        state: ChallengeState::parse(&state)?,
        answer: row.text_opt("answer")?,
        answered_at: row.int_opt("answered_at")?,
    })
}

pub(super) fn removal_from_row(row: &impl Columns) -> StoreResult<RemovalRecord> {
    Ok(RemovalRecord {
        device_id: row.text("device_id")?,
        tenant_id: row.text("tenant_id")?,
        device_pub: row.bytes("device_pub")?,
        confirmation: row.text_opt("confirmation")?,
        removed_at: row.int("removed_at")?,
        expires_at: row.int("expires_at")?,
    })
}

pub(super) fn outbox_event_from_row(row: &impl Columns) -> StoreResult<OutboxEvent> {
    let attempts = row.int("attempts")?;
    Ok(OutboxEvent {
        event_id: row.text("event_id")?,
        tenant_id: row.text("tenant_id")?,
        event_type: row.text("event_type")?,
        subject: row.text("subject")?,
        created_at: row.int("created_at")?,
        attempts: u32::try_from(attempts).map_err(|_| {
            StoreError::Internal(format!("outbox attempts out of range: {attempts}"))
        })?,
        next_attempt_at: row.int("next_attempt_at")?,
    })
}
