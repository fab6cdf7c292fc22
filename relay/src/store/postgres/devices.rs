//! Devices, push tokens, unenroll requests and removal records in PostgreSQL.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::store::rows::{device_from_row, removal_from_row, DEVICE_COLUMNS, REMOVAL_COLUMNS};
use crate::store::{DbTime, DeviceRecord, DeviceStore, RemovalRecord, StoreResult};

#[async_trait]
impl DeviceStore for PgStore {
    async fn device(&self, device_id: &str) -> StoreResult<Option<DeviceRecord>> {
        self.cached
            .devices
            .read_through(device_id, async {
                let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
                let row = sqlx::query(&sql)
                    .bind(device_id)
                    .fetch_optional(&self.pool)
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
        let done = sqlx::query(
            "UPDATE devices SET platform = $1, push_token = $2, push_seq = $3, \
             push_token_at = $5 WHERE device_id = $4 AND push_seq < $3",
        )
        .bind(platform)
        .bind(push_token)
        .bind(seq)
        .bind(device_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.cached.devices.invalidate(device_id);
        Ok(done.rows_affected() == 1)
    }

    async fn request_unenroll(
        &self,
        device_id: &str,
        request: &str,
        now: DbTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE devices SET unenroll = $1, unenroll_at = $2 \
             WHERE device_id = $3 AND unenroll IS NULL",
        )
        .bind(request)
        .bind(now)
        .bind(device_id)
        .execute(&self.pool)
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
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn remove_device(
        &self,
        tenant_id: &str,
        device_id: &str,
        removal: &RemovalRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // The device row first: a challenge being created for it (which
        // locks the same row) either committed before, and is deleted here,
        // or waits and then finds no device.
        let done = sqlx::query("DELETE FROM devices WHERE device_id = $1 AND tenant_id = $2")
            .bind(device_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM challenges WHERE device_id = $1 AND tenant_id = $2")
            .bind(device_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO removals ({REMOVAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&removal.device_id)
        .bind(&removal.tenant_id)
        .bind(&removal.device_pub)
        .bind(&removal.confirmation)
        .bind(removal.removed_at)
        .bind(removal.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.cached.devices.invalidate(device_id);
        // Its challenges went with it.
        self.cached.forget_challenges();
        Ok(true)
    }

    async fn confirm_removal(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE removals SET confirmation = $1 \
             WHERE device_id = $2 AND tenant_id = $3 AND confirmation IS NULL",
        )
        .bind(confirmation)
        .bind(device_id)
        .bind(tenant_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn removal(&self, device_id: &str) -> StoreResult<Option<RemovalRecord>> {
        let sql = format!("SELECT {REMOVAL_COLUMNS} FROM removals WHERE device_id = $1");
        let row = sqlx::query(&sql)
            .bind(device_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(removal_from_row).transpose()
    }

    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE devices SET push_token = '' WHERE device_id = $1 AND push_token = $2",
        )
        .bind(device_id)
        .bind(push_token)
        .execute(&self.pool)
        .await?;
        self.cached.devices.invalidate(device_id);
        Ok(done.rows_affected() > 0)
    }
}

pub(super) async fn insert_device(conn: &mut PgConnection, d: &DeviceRecord) -> StoreResult<()> {
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
