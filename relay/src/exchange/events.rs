//! What the exchange tells the rest of the relay: a phone's registration, a phone's
//! answer, a phone's unenroll request. Webhooks and managed mode listen
//! ([`crate::features::Features`] implements [`Events`]); a bare relay uses
//! [`NoEvents`]. The exchange awaits each call before it answers the request, so
//! what a listener must keep is stored by then (webhooks: the outbox row); a
//! listener never waits for slow work (a delivery, managed mode's processing) but
//! spawns it.

use async_trait::async_trait;

use super::Exchange;

/// Listener for what the exchange stored. Each call is made after the store committed.
#[async_trait]
pub trait Events: Send + Sync {
    /// A phone's registration for `eid` was stored.
    async fn registration_received(&self, tenant_id: &str, eid: &str);
    /// A phone's answer to `challenge_id` was stored (not a verdict).
    async fn answer_received(&self, tenant_id: &str, challenge_id: &str);
    /// A phone asked to be unenrolled (first time for this device). `exchange` is the
    /// exchange that stored it, for listeners that act on it at once (managed mode).
    async fn unenroll_requested(&self, exchange: &Exchange, tenant_id: &str, device_id: &str);
}

/// Nobody listens.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

#[async_trait]
impl Events for NoEvents {
    async fn registration_received(&self, _tenant_id: &str, _eid: &str) {}
    async fn answer_received(&self, _tenant_id: &str, _challenge_id: &str) {}
    async fn unenroll_requested(&self, _exchange: &Exchange, _tenant_id: &str, _device_id: &str) {}
}
