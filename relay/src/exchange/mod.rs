//! The exchange: the relay's rules, over typed messages. Every limit, cap and wake-up
//! of the relay is here — the TTL cap and the per-device window of a challenge, the
//! first-registration-wins rule, exactly-once answers, long-poll waits, what is pushed
//! and which events go out — as functions of an [`Exchange`] that take a tenant or an
//! authenticated device and the `assent_protocol::api` bodies, and return typed
//! outcomes or an [`AppError`](crate::error::AppError) with its stable code.
//!
//! The HTTP handlers (`routes/`) only parse, call one of these and map the result; the
//! managed mode's in-process relay ([`crate::managed::in_process_relay`]) calls them
//! directly, so both go through the same rules. Events leave through the
//! [`Events`] trait held here, so this layer knows nothing of webhooks or managed mode.

pub mod challenges;
pub mod devices;
pub mod enrollments;
mod events;

use std::sync::Arc;
use std::time::Duration;

pub use events::{Events, NoEvents};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::metrics::Metrics;
use crate::notify::PushProvider;
use crate::store::Store;
use crate::waiters::{Held, Owner, Waiters};

/// What the rules work on; cheap to clone.
#[derive(Clone)]
pub struct Exchange {
    /// Persistent state.
    pub store: Arc<dyn Store>,
    /// The resolved configuration (limits, waits, the public origin).
    pub config: Arc<Config>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Push delivery (poll-only until providers are configured).
    pub push: Arc<dyn PushProvider>,
    /// Parked long-polls.
    pub waiters: Arc<Waiters>,
    /// Where events go (webhooks, managed mode); [`NoEvents`] in a bare relay.
    pub events: Arc<dyn Events>,
}

impl Exchange {
    /// How long a long-poll that asked for `wait` seconds may hold: capped by the
    /// configuration and by `deadline` (relay time) when there is no point waiting
    /// past it.
    pub fn wait_for(&self, wait: Option<u64>, deadline: Option<u64>) -> Duration {
        let mut secs = wait.unwrap_or(0).min(self.config.max_wait_secs);
        if let Some(deadline) = deadline {
            secs = secs.min(deadline.saturating_sub(self.clock.now()));
        }
        Duration::from_secs(secs)
    }
}

impl Exchange {
    /// One of `owner`'s long-poll slots (held while the poll waits), or 429
    /// `limit_exceeded` when it already holds as many as the limits allow.
    pub fn long_poll_slot(&self, owner: Owner<'_>) -> AppResult<Held<'_>> {
        let limits = &self.config.limits;
        let (limit, what) = match owner {
            Owner::Tenant(_) => (limits.max_long_polls_per_tenant, "tenant"),
            Owner::Device(_) => (limits.max_long_polls_per_device, "device"),
        };
        self.waiters.hold(owner, limit).ok_or_else(|| {
            self.metrics.long_poll_refused(what);
            AppError::new(
                ErrorCode::LimitExceeded,
                format!("this {what} already holds {limit} long-polls open; wait for one to end"),
            )
        })
    }
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("config", &self.config)
            .field("push", &self.push.name())
            .finish_non_exhaustive()
    }
}

/// A stored time (`i64` in the store) as relay time; a negative value (never written)
/// reads as 0.
pub(crate) fn to_u64(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}
