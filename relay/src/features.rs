//! Per-tenant features on top of the exchange: managed mode
//! ([`crate::managed`]) and webhooks ([`crate::webhook`]), with the settings
//! that switch them on ([`crate::settings`]).
//!
//! [`AppState::features`](crate::AppState) is `None` in a bare state (no
//! tenant is managed, no webhook fires); [`Features::open`] builds them for
//! the server. They hear of what the exchange stored through its [`Events`]
//! trait: a webhook event is in the outbox before the request returns, and
//! nothing makes the request wait for a delivery or managed mode's work.

use std::sync::Arc;

use async_trait::async_trait;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::clock::Clock;
use crate::config::Config;
use crate::exchange::{Events, Exchange};
use crate::managed::{self, Managed, ManagedDb};
use crate::settings::SettingsStore;
use crate::store::{Store, StoreError};
use crate::webhook::{Destinations, HttpTransport, RetryPolicy, WebhookEvent, Webhooks};

/// Settings, managed RP state and the webhook outbox's dispatcher.
pub struct Features {
    /// Per-tenant options.
    pub settings: Arc<dyn SettingsStore>,
    /// Managed-mode RP state.
    pub managed: Arc<Managed>,
    /// Webhook delivery.
    pub webhooks: Webhooks,
}

impl std::fmt::Debug for Features {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Features")
            .field("managed", &self.managed)
            .field("webhooks", &self.webhooks)
            .finish_non_exhaustive()
    }
}

impl Features {
    /// For the server: settings in the relay's database (a pool of their own
    /// on it), managed state beside it, webhooks through the outbox of `store`
    /// (the relay's store) over HTTPS with the default retry policy. Starts
    /// this instance's webhook dispatcher on the current runtime.
    pub async fn open(
        config: &Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let settings: Arc<dyn SettingsStore> = Arc::new(crate::settings::CachedSettings::new(
            crate::settings::open(&config.database_url).await?,
            std::time::Duration::from_millis(config.cache_ttl_ms),
        ));
        let policy = RetryPolicy::default();
        let destinations = Destinations::with_networks(&config.webhook_allow_networks);
        let transport = HttpTransport::new(policy.timeout, destinations.clone())
            .map_err(StoreError::Internal)?;
        let seed =
            crate::random::random_bytes::<32>().map_err(|e| StoreError::Internal(e.to_string()))?;
        let webhooks = Webhooks::spawn(
            store,
            settings.clone(),
            Arc::new(transport),
            clock,
            Box::new(ChaCha20Rng::from_seed(seed)),
            policy,
            destinations,
        );
        let managed = Managed::new(ManagedDb::beside(&config.database_url));
        Ok(Self {
            settings,
            managed: Arc::new(managed),
            webhooks,
        })
    }
}

impl Features {
    async fn emit(&self, tenant_id: &str, event: WebhookEvent) {
        self.webhooks.emit(tenant_id, event).await;
    }
}

#[async_trait]
impl Events for Features {
    /// (A managed tenant's login page takes the registration through
    /// `GET /v1/managed/enrollments/{eid}?wait=`, which wakes on it.)
    async fn registration_received(&self, tenant_id: &str, eid: &str) {
        self.emit(
            tenant_id,
            WebhookEvent::RegistrationReceived {
                eid: eid.to_owned(),
            },
        )
        .await;
    }

    async fn answer_received(&self, tenant_id: &str, challenge_id: &str) {
        self.emit(
            tenant_id,
            WebhookEvent::AnswerReceived {
                challenge_id: challenge_id.to_owned(),
            },
        )
        .await;
    }

    async fn unenroll_requested(&self, exchange: &Exchange, tenant_id: &str, device_id: &str) {
        self.emit(
            tenant_id,
            WebhookEvent::UnenrollRequested {
                device_id: device_id.to_owned(),
            },
        )
        .await;
        managed::on_unenroll(
            exchange,
            self.managed.clone(),
            self.settings.clone(),
            tenant_id,
        );
    }
}
