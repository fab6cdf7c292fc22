//! Tenants and API keys in SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::rows::{api_key_from_row, tenant_from_row};
use crate::store::{ApiKeyRecord, DbTime, StoreResult, Tenant, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let t = tenant.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                        .bind(&t.id)
                        .bind(&t.name)
                        .bind(t.created_at)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY name")
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let k = key.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO api_keys (id, tenant_id, secret_hash, created_at, revoked_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&k.id)
                    .bind(&k.tenant_id)
                    .bind(&k.secret_hash)
                    .bind(k.created_at)
                    .bind(k.revoked_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.cached
            .api_keys
            .read_through(id, async {
                let row = sqlx::query(
                    "SELECT id, tenant_id, secret_hash, created_at, revoked_at \
                     FROM api_keys WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
                row.as_ref().map(api_key_from_row).transpose()
            })
            .await
    }

    async fn list_api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, secret_hash, created_at, revoked_at FROM api_keys \
             WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: &str, now: DbTime) -> StoreResult<bool> {
        let key = id.to_owned();
        let revoked = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&key)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await?;
        self.cached.api_keys.invalidate(id);
        Ok(revoked)
    }
}
