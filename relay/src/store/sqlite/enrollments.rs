//! Enrollment announcements, registrations and answers in SQLite.

use async_trait::async_trait;

use super::devices::insert_device;
use super::SqliteStore;
use crate::store::rows::{enrollment_from_row, ENROLLMENT_COLUMNS};
use crate::store::{DbTime, DeviceRecord, EnrollmentRecord, EnrollmentStore, StoreResult};

#[async_trait]
impl EnrollmentStore for SqliteStore {
    async fn announce_enrollment(&self, r: &EnrollmentRecord) -> StoreResult<()> {
        let r = r.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO enrollments (eid, tenant_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&r.eid)
                    .bind(&r.tenant_id)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn enrollment(&self, eid: &str) -> StoreResult<Option<EnrollmentRecord>> {
        let sql = format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE eid = $1");
        let row = sqlx::query(&sql)
            .bind(eid)
            .fetch_optional(&mut *self.conn().await?)
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
        let (eid, registration, device_pub) =
            (eid.to_owned(), registration.to_owned(), device_pub.to_vec());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE enrollments SET registration = $1, device_pub = $2, \
                         registered_at = $3 \
                         WHERE eid = $4 AND registration IS NULL AND expires_at > $3",
                    )
                    .bind(&registration)
                    .bind(&device_pub)
                    .bind(now)
                    .bind(&eid)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await
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
            .fetch_all(&mut *self.conn().await?)
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
        let (eid, answer, device) = (eid.to_owned(), answer.to_owned(), device.clone());
        self.writes
            .run(true, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE enrollments SET answer = $1, device_id = $2, answered_at = $3 \
                         WHERE eid = $4 AND registration IS NOT NULL AND answer IS NULL",
                    )
                    .bind(&answer)
                    .bind(&device.device_id)
                    .bind(now)
                    .bind(&eid)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    insert_device(conn, &device).await?;
                    Ok(true)
                })
            })
            .await
    }
}
