//! Tenant settings read through a cache: every answer, registration and
//! unenroll request asks whether its tenant has a webhook, and every managed
//! request whether its tenant is managed, so the settings are kept for at most
//! `--cache-ttl-ms` (the bound that already holds for API keys and devices: a
//! change made through another instance, or by `assent-relay admin` beside a
//! live relay, is seen within it). Changes made through this one are seen at
//! once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{SettingsStore, TenantSettings, WebhookConfig};
use crate::store::cache::{LookupCache, DEFAULT_CAPACITY};
use crate::store::{DbTime, StoreResult};

/// A [`SettingsStore`] with a read cache in front.
pub struct CachedSettings {
    inner: Arc<dyn SettingsStore>,
    cache: LookupCache<TenantSettings>,
}

impl CachedSettings {
    /// Caches `inner`'s settings for at most `ttl` (zero: no cache).
    pub fn new(inner: Arc<dyn SettingsStore>, ttl: Duration) -> Self {
        Self {
            inner,
            cache: LookupCache::new(ttl, DEFAULT_CAPACITY),
        }
    }
}

#[async_trait]
impl SettingsStore for CachedSettings {
    async fn settings(&self, tenant_id: &str) -> StoreResult<TenantSettings> {
        if let Some(hit) = self.cache.get(tenant_id) {
            return Ok(hit);
        }
        let ticket = self.cache.ticket();
        let settings = self.inner.settings(tenant_id).await?;
        self.cache.insert(ticket, tenant_id, settings.clone());
        Ok(settings)
    }

    async fn set_managed(
        &self,
        tenant_id: &str,
        managed: bool,
        rp_id: Option<&str>,
        now: DbTime,
    ) -> StoreResult<()> {
        let done = self.inner.set_managed(tenant_id, managed, rp_id, now).await;
        self.cache.invalidate(tenant_id);
        done
    }

    async fn set_webhook(
        &self,
        tenant_id: &str,
        webhook: Option<&WebhookConfig>,
        now: DbTime,
    ) -> StoreResult<()> {
        let done = self.inner.set_webhook(tenant_id, webhook, now).await;
        self.cache.invalidate(tenant_id);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SqliteSettings;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Tenant, TenantStore};
    use zeroize::Zeroizing;

    #[tokio::test]
    async fn own_changes_at_once_others_within_the_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relay.db").display());
        let store = SqliteStore::open(&url, 2).await.unwrap();
        store
            .create_tenant(&Tenant {
                id: "t1".into(),
                name: "one".into(),
                created_at: 0,
            })
            .await
            .unwrap();
        let plain: Arc<dyn SettingsStore> = Arc::new(SqliteSettings::new(&store));
        let cached = CachedSettings::new(plain.clone(), Duration::from_millis(300));
        assert_eq!(
            cached.settings("t1").await.unwrap(),
            TenantSettings::default()
        );
        // Through the cache: seen at once.
        cached
            .set_managed("t1", true, Some("example.com"), 1)
            .await
            .unwrap();
        assert!(cached.settings("t1").await.unwrap().managed);
        // Behind its back (another instance): seen after the lifetime.
        let hook = WebhookConfig {
            url: "https://rp.example.com/hook".into(),
            secret: Zeroizing::new("whsec_x".into()),
        };
        plain.set_webhook("t1", Some(&hook), 2).await.unwrap();
        assert!(cached.settings("t1").await.unwrap().webhook.is_none());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(cached.settings("t1").await.unwrap().webhook, Some(hook));
    }
}
