//! Per-tenant options beside the exchange: managed mode and the webhook.
//!
//! Kept behind their own trait ([`SettingsStore`]) so the exchange's
//! [`Store`](crate::store::Store) stays as it is; the SQLite implementation
//! shares the relay database (table `tenant_settings`, migration 0003) on
//! either backend, with the same statements (`INSERT … ON CONFLICT … DO
//! UPDATE` exists in both SQLite and PostgreSQL).

mod cached;

pub use cached::CachedSettings;

use async_trait::async_trait;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use zeroize::Zeroizing;

use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{DbTime, StoreResult};

/// A tenant's webhook: where events go and the secret that signs them.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The `https://` URL events are POSTed to.
    pub url: String,
    /// The HMAC-SHA256 key, as shown once to the operator (`whsec_…`). Kept
    /// in clear because every delivery is signed with it (see the
    /// migration's note); never logged, Debug redacted, zeroized on drop.
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A tenant's options; the defaults (end-to-end, no webhook) when none were
/// ever set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSettings {
    /// Managed mode: the relay holds this tenant's RP keys and gives verdicts.
    pub managed: bool,
    /// The RP id (host name) the relay's offers and challenges are bound to in
    /// managed mode.
    pub rp_id: Option<String>,
    /// The webhook, if any.
    pub webhook: Option<WebhookConfig>,
}

/// Storage of [`TenantSettings`].
#[async_trait]
pub trait SettingsStore: Send + Sync + 'static {
    /// The tenant's settings (defaults when never set).
    async fn settings(&self, tenant_id: &str) -> StoreResult<TenantSettings>;
    /// Turns managed mode on (with its RP id) or off.
    async fn set_managed(
        &self,
        tenant_id: &str,
        managed: bool,
        rp_id: Option<&str>,
        now: DbTime,
    ) -> StoreResult<()>;
    /// Sets or clears the webhook.
    async fn set_webhook(
        &self,
        tenant_id: &str,
        webhook: Option<&WebhookConfig>,
        now: DbTime,
    ) -> StoreResult<()>;
}

/// Opens the settings of the relay database at `database_url` (SQLite or
/// PostgreSQL), with a small pool of their own.
pub async fn open(database_url: &str) -> StoreResult<std::sync::Arc<dyn SettingsStore>> {
    if crate::store::is_postgres(database_url) {
        let options = crate::store::StoreOptions {
            max_connections: 2,
            cache_ttl: std::time::Duration::ZERO,
        };
        let store = PgStore::open_with(database_url, options).await?;
        return Ok(std::sync::Arc::new(PgSettings::new(&store)));
    }
    let store = SqliteStore::open(database_url, 2).await?;
    Ok(std::sync::Arc::new(SqliteSettings::new(&store)))
}

/// [`SettingsStore`] on the relay's SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    pool: SqlitePool,
}

impl SqliteSettings {
    /// Settings in the same database as `store` (whose migrations created the
    /// table).
    pub fn new(store: &SqliteStore) -> Self {
        Self {
            pool: store.pool().clone(),
        }
    }
}

/// [`SettingsStore`] on the relay's PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgSettings {
    pool: PgPool,
}

impl PgSettings {
    /// Settings in the same database as `store` (whose migrations created the
    /// table).
    pub fn new(store: &PgStore) -> Self {
        Self {
            pool: store.pool().clone(),
        }
    }
}

const SELECT_SETTINGS: &str = "SELECT managed, rp_id, webhook_url, webhook_secret \
     FROM tenant_settings WHERE tenant_id = $1";
const UPSERT_MANAGED: &str = "INSERT INTO tenant_settings (tenant_id, managed, rp_id, updated_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (tenant_id) DO UPDATE SET managed = $2, rp_id = $3, updated_at = $4";
const UPSERT_WEBHOOK: &str =
    "INSERT INTO tenant_settings (tenant_id, managed, webhook_url, webhook_secret, updated_at) \
     VALUES ($1, FALSE, $2, $3, $4) \
     ON CONFLICT (tenant_id) DO UPDATE SET webhook_url = $2, webhook_secret = $3, \
     updated_at = $4";

/// Implements [`SettingsStore`] for a settings type with a `pool` of one
/// backend: the statements above are the same on both.
macro_rules! settings_on {
    ($settings:ty) => {
        #[async_trait]
        impl SettingsStore for $settings {
            async fn settings(&self, tenant_id: &str) -> StoreResult<TenantSettings> {
                let row = sqlx::query(SELECT_SETTINGS)
                    .bind(tenant_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else {
                    return Ok(TenantSettings::default());
                };
                let url: Option<String> = row.try_get("webhook_url")?;
                let secret: Option<String> = row.try_get("webhook_secret")?;
                Ok(TenantSettings {
                    managed: row.try_get("managed")?,
                    rp_id: row.try_get("rp_id")?,
                    webhook: match (url, secret) {
                        (Some(url), Some(secret)) => Some(WebhookConfig {
                            url,
                            secret: Zeroizing::new(secret),
                        }),
                        _ => None,
                    },
                })
            }

            async fn set_managed(
                &self,
                tenant_id: &str,
                managed: bool,
                rp_id: Option<&str>,
                now: DbTime,
            ) -> StoreResult<()> {
                sqlx::query(UPSERT_MANAGED)
                    .bind(tenant_id)
                    .bind(managed)
                    .bind(rp_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_webhook(
                &self,
                tenant_id: &str,
                webhook: Option<&WebhookConfig>,
                now: DbTime,
            ) -> StoreResult<()> {
                sqlx::query(UPSERT_WEBHOOK)
                    .bind(tenant_id)
                    .bind(webhook.map(|w| w.url.as_str()))
                    .bind(webhook.map(|w| w.secret.as_str()))
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

settings_on!(SqliteSettings);
settings_on!(PgSettings);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Tenant, TenantStore};

    #[tokio::test]
    async fn settings_round_trip_and_default() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_tenant(&Tenant {
                id: "t1".into(),
                name: "one".into(),
                created_at: 0,
            })
            .await
            .unwrap();
        let settings = SqliteSettings::new(&store);
        assert_eq!(
            settings.settings("t1").await.unwrap(),
            TenantSettings::default()
        );
        settings
            .set_managed("t1", true, Some("example.com"), 1)
            .await
            .unwrap();
        let hook = WebhookConfig {
            url: "https://rp.example.com/hook".into(),
            secret: Zeroizing::new("whsec_x".into()),
        };
        settings.set_webhook("t1", Some(&hook), 2).await.unwrap();
        let got = settings.settings("t1").await.unwrap();
        assert!(got.managed);
        assert_eq!(got.rp_id.as_deref(), Some("example.com"));
        assert_eq!(got.webhook.as_ref(), Some(&hook));
        assert!(!format!("{got:?}").contains("whsec_x"));
        settings.set_webhook("t1", None, 3).await.unwrap();
        settings.set_managed("t1", false, None, 4).await.unwrap();
        assert_eq!(
            settings.settings("t1").await.unwrap(),
            TenantSettings::default()
        );
    }
}
