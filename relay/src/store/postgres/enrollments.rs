//! Enrollment announcements, registrations and answers in PostgreSQL.

use async_trait::async_trait;

use super::devices::insert_device;
use super::PgStore;
use crate::store::rows::{enrollment_from_row, ENROLLMENT_COLUMNS};
use crate::store::{DbTime, DeviceRecord, EnrollmentRecord, EnrollmentStore, StoreResult};
use crate::waiters::keys;

#[async_trait]
impl EnrollmentStore for PgStore {
    async fn announce_enrollment(&self, r: &EnrollmentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO enrollments (eid, tenant_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.eid)
        .bind(&r.tenant_id)
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enrollment(&self, eid: &str) -> StoreResult<Option<EnrollmentRecord>> {
        let sql = format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE eid = $1");
        let row = sqlx::query(&sql)
            .bind(eid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    async fn register(
        &self,
        eid: &str,
        registration: &str,
        device_pub: &[u8],
        now: DbTime,
    ) -> StoreResult<bool> {
        // A second registration from another instance waits for this row's
        // lock, then finds `registration` set and changes nothing.
        let tenant: Option<String> = sqlx::query_scalar(
            "UPDATE enrollments SET registration = $1, device_pub = $2, registered_at = $3 \
             WHERE eid = $4 AND registration IS NULL AND expires_at > $3 \
             RETURNING tenant_id",
        )
        .bind(registration)
        .bind(device_pub)
        .bind(now)
        .bind(eid)
        .fetch_optional(&self.pool)
        .await?;
        let Some(tenant) = tenant else {
            return Ok(false);
        };
        // The RP's long-polls on the other instances: for this eid, and for
        // any of the tenant's.
        self.wakes.wake(keys::registration(eid));
        self.wakes.wake(keys::tenant_registrations(&tenant));
        Ok(true)
    }

    async fn pending_registrations(
        &self,
        tenant_id: &str,
        now: DbTime,
        limit: u32,
    ) -> StoreResult<Vec<EnrollmentRecord>> {
        let sql = format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments \
             WHERE tenant_id = $1 AND registration IS NOT NULL AND answer IS NULL \
             AND expires_at > $2 ORDER BY registered_at, eid LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(enrollment_from_row).collect()
    }

    async fn deliver_enrollment(
        &self,
        eid: &str,
        answer: &str,
        device: &DeviceRecord,
        now: DbTime,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE enrollments SET answer = $1, device_id = $2, answered_at = $3 \
             WHERE eid = $4 AND registration IS NOT NULL AND answer IS NULL",
        )
        .bind(answer)
        .bind(&device.device_id)
        .bind(now)
        .bind(eid)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        // A conflict here returns early and drops `tx`: the answer rolls back.
        insert_device(&mut tx, device).await?;
        tx.commit().await?;
        // The phone's long-polls on the other instances.
        self.wakes.wake(keys::enrollment_answer(eid));
        Ok(true)
    }
}
