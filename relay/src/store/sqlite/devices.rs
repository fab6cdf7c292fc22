//! Devices, push tokens, unenroll requests and removal records in SQLite.

use async_trait::async_trait;
use sqlx::sqlite::SqliteConnection;

use super::SqliteStore;
use crate::store::rows::{device_from_row, removal_from_row, DEVICE_COLUMNS, REMOVAL_COLUMNS};
use crate::store::{DbTime, DeviceRecord, DeviceStore, RemovalRecord, StoreResult};

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn device(&self, device_id: &str) -> StoreResult<Option<DeviceRecord>> {
        self.cached
            .devices
            .read_through(device_id, async {
                let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
                let row = sqlx::query(&sql)
                    .bind(device_id)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                row.as_ref().map(device_from_row).transpose()
            })
            .await
    }

    async fn update_push_token(
        &self,
        device_id: &str,
        platform: &str,
        push_token: &str,
        seq: i64,
        now: DbTime,
    ) -> StoreResult<bool> {
        let (id, platform, token) = (
            device_id.to_owned(),
            platform.to_owned(),
            push_token.to_owned(),
        );
        let applied = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE devices SET platform = $1, push_token = $2, push_seq = $3, \
                         push_token_at = $5 WHERE device_id = $4 AND push_seq < $3",
                    )
                    .bind(&platform)
                    .bind(&token)
                    .bind(seq)
                    .bind(&id)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(applied)
    }

    async fn request_unenroll(
        &self,
        device_id: &str,
        request: &str,
        now: DbTime,
    ) -> StoreResult<()> {
        let (id, request) = (device_id.to_owned(), request.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE devices SET unenroll = $1, unenroll_at = $2 \
                         WHERE device_id = $3 AND unenroll IS NULL",
                    )
                    .bind(&request)
                    .bind(now)
                    .bind(&id)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(())
    }

    async fn unenroll_requests(
        &self,
        tenant_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND unenroll IS NOT NULL \
             ORDER BY unenroll_at, device_id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn remove_device(
        &self,
        tenant_id: &str,
        device_id: &str,
        removal: &RemovalRecord,
    ) -> StoreResult<bool> {
        let (tenant, id, removal) = (tenant_id.to_owned(), device_id.to_owned(), removal.clone());
        let removed = self
            .writes
            .run(true, move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM challenges WHERE device_id = $1 AND tenant_id = $2")
                        .bind(&id)
                        .bind(&tenant)
                        .execute(&mut *conn)
                        .await?;
                    let done =
                        sqlx::query("DELETE FROM devices WHERE device_id = $1 AND tenant_id = $2")
                            .bind(&id)
                            .bind(&tenant)
                            .execute(&mut *conn)
                            .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    sqlx::query(&format!(
                        "INSERT INTO removals ({REMOVAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                    ))
                    .bind(&removal.device_id)
                    .bind(&removal.tenant_id)
                    .bind(&removal.device_pub)
                    .bind(&removal.confirmation)
                    .bind(removal.removed_at)
                    .bind(removal.expires_at)
                    .execute(conn)
                    .await?;
                    Ok(true)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        // Its challenges went with it.
        self.cached.forget_challenges();
        Ok(removed)
    }

    async fn confirm_removal(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: &str,
    ) -> StoreResult<bool> {
        let (tenant, id, confirmation) = (
            tenant_id.to_owned(),
            device_id.to_owned(),
            confirmation.to_owned(),
        );
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE removals SET confirmation = $1 \
                         WHERE device_id = $2 AND tenant_id = $3 AND confirmation IS NULL",
                    )
                    .bind(&confirmation)
                    .bind(&id)
                    .bind(&tenant)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await
    }

    async fn removal(&self, device_id: &str) -> StoreResult<Option<RemovalRecord>> {
        let sql = format!("SELECT {REMOVAL_COLUMNS} FROM removals WHERE device_id = $1");
        let row = sqlx::query(&sql)
            .bind(device_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(removal_from_row).transpose()
    }

    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool> {
        let (id, token) = (device_id.to_owned(), push_token.to_owned());
        let dropped = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE devices SET push_token = '' \
                         WHERE device_id = $1 AND push_token = $2",
                    )
                    .bind(&id)
                    .bind(&token)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(dropped)
    }
}

pub(super) async fn insert_device(
    conn: &mut SqliteConnection,
    d: &DeviceRecord,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&d.device_id)
    .bind(&d.tenant_id)
    .bind(&d.device_pub)
    .bind(&d.platform)
    .bind(&d.push_token)
    .bind(d.push_seq)
    .bind(d.created_at)
    .bind(&d.unenroll)
    .bind(d.unenroll_at)
    .bind(d.push_token_at)
    .execute(conn)
    .await?;
    Ok(())
}
