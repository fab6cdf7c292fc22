//! What the exchange tells the rest of the relay: a phone's registration, a phone's
//! answer, a phone's unenroll request. Webhooks and managed mode listen
//! ([`crate::features::Features`] implements [`Events`]); a bare relay uses
//! [`NoEvents`]. Implementations never block: they queue or spawn.

use super::Exchange;

/// Listener for what the exchange stored. Each call is made after the store committed.
pub trait Events: Send + Sync {
    /// A phone's registration for `eid` was stored.
    fn registration_received(&self, tenant_id: &str, eid: &str);
    /// A phone's answer to `challenge_id` was stored (not a verdict).
    fn answer_received(&self, tenant_id: &str, challenge_id: &str);
    /// A phone asked to be unenrolled (first time for this device). `exchange` is the
    /// exchange that stored it, for listeners that act on it at once (managed mode).
    fn unenroll_requested(&self, exchange: &Exchange, tenant_id: &str, device_id: &str);
}

/// Nobody listens.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl Events for NoEvents {
    fn registration_received(&self, _tenant_id: &str, _eid: &str) {}
    fn answer_received(&self, _tenant_id: &str, _challenge_id: &str) {}
    fn unenroll_requested(&self, _exchange: &Exchange, _tenant_id: &str, _device_id: &str) {}
}
