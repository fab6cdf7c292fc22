//! Shared state handed to every handler.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::push::{PollOnly, PushProvider};
use crate::rate::DeviceRates;
use crate::store::Store;
use crate::waiters::Waiters;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Persistent state.
    pub store: Arc<dyn Store>,
    /// The resolved configuration.
    pub config: Arc<Config>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Push delivery (poll-only until providers are configured).
    pub push: Arc<dyn PushProvider>,
    /// Parked long-polls.
    pub waiters: Arc<Waiters>,
    /// Challenges per device per window.
    pub rates: Arc<DeviceRates>,
    /// Managed mode and webhooks (`None`: no tenant is managed, no webhook).
    pub features: Option<Arc<crate::features::Features>>,
}

impl AppState {
    /// State with the system clock, fresh metrics and poll-only push.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let rates = DeviceRates::new(
            config.limits.device_challenge_limit,
            config.limits.device_challenge_window_secs,
        );
        Self {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            metrics: Arc::new(Metrics::new()),
            push: Arc::new(PollOnly),
            waiters: Arc::new(Waiters::new()),
            rates: Arc::new(rates),
            features: None,
        }
    }

    /// Enables managed mode and webhooks.
    pub fn with_features(mut self, features: Arc<crate::features::Features>) -> Self {
        self.features = Some(features);
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the push provider.
    pub fn with_push(mut self, push: Arc<dyn PushProvider>) -> Self {
        self.push = push;
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .field("push", &self.push.name())
            .finish_non_exhaustive()
    }
}
