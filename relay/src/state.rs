//! Shared state handed to every handler: the [`Exchange`] (the relay's rules and what
//! they work on) and the per-tenant features on top of it.

use std::ops::Deref;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::exchange::{Exchange, NoEvents};
use crate::features::Features;
use crate::metrics::Metrics;
use crate::notify::{PollOnly, PushProvider};
use crate::store::Store;
use crate::waiters::Waiters;

/// Everything a handler needs; cheap to clone. Derefs to its [`Exchange`], so
/// `state.store`, `state.clock`… read as before.
#[derive(Clone)]
pub struct AppState {
    /// The rules and what they work on.
    pub exchange: Exchange,
    /// Managed mode and webhooks (`None`: no tenant is managed, no webhook).
    pub features: Option<Arc<Features>>,
}

impl Deref for AppState {
    type Target = Exchange;

    fn deref(&self) -> &Exchange {
        &self.exchange
    }
}

impl AppState {
    /// State with the system clock, fresh metrics, poll-only push, no events.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            exchange: Exchange {
                store,
                config: Arc::new(config),
                clock: Arc::new(SystemClock),
                metrics: Arc::new(Metrics::new()),
                push: Arc::new(PollOnly),
                waiters: Arc::new(Waiters::new()),
                events: Arc::new(NoEvents),
            },
            features: None,
        }
    }

    /// Enables managed mode and webhooks: they also receive the exchange's events.
    pub fn with_features(mut self, features: Arc<Features>) -> Self {
        self.exchange.events = features.clone();
        self.features = Some(features);
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.exchange.clock = clock;
        self
    }

    /// Replaces the push provider.
    pub fn with_push(mut self, push: Arc<dyn PushProvider>) -> Self {
        self.exchange.push = push;
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("exchange", &self.exchange)
            .field("features", &self.features.is_some())
            .finish()
    }
}
