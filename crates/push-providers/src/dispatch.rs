//! Chooses the provider by the device's platform, runs each push in its own task
//! behind a per-provider concurrency limit, and says "poll only" when there is
//! no provider or no token.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::metrics::{NoMetrics, PushMetrics};
use crate::outcome::{Failure, Outcome, ProviderKind};
use crate::provider::{PushProvider, PushTarget};
use crate::{Platform, PushPayload};

/// Dispatcher settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatcherConfig {
    /// Pushes in flight (retries and backoff included) per provider; one more
    /// fails at once with [`Failure::Saturated`].
    pub max_in_flight_per_provider: usize,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            max_in_flight_per_provider: 1024,
        }
    }
}

#[derive(Clone)]
struct Lane {
    provider: Arc<dyn PushProvider>,
    permits: Arc<Semaphore>,
    limit: usize,
}

/// The push dispatcher. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    apns: Option<Lane>,
    fcm: Option<Lane>,
    webpush: Option<Lane>,
    limit: usize,
    metrics: Arc<dyn PushMetrics>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("apns", &self.apns.is_some())
            .field("fcm", &self.fcm.is_some())
            .field("webpush", &self.webpush.is_some())
            .finish()
    }
}

/// One push to send with [`Dispatcher::send_all`].
#[derive(Debug, Clone)]
pub struct Push {
    /// The device's platform.
    pub platform: Platform,
    /// Its token.
    pub target: PushTarget,
    /// The payload: the per-push id and its routing tag.
    pub payload: PushPayload,
    /// The challenge's deadline.
    pub deadline: SystemTime,
}

impl Dispatcher {
    /// No provider: every push is [`Outcome::PollOnly`].
    pub fn poll_only() -> Self {
        Dispatcher {
            apns: None,
            fcm: None,
            webpush: None,
            limit: 1,
            metrics: Arc::new(NoMetrics),
        }
    }

    /// A dispatcher over the configured providers (`None` = that platform polls).
    /// `metrics` gets the dispatcher's own events (saturation); the clients have
    /// their own handle.
    pub fn new(
        config: DispatcherConfig,
        apns: Option<Arc<dyn PushProvider>>,
        fcm: Option<Arc<dyn PushProvider>>,
        metrics: Arc<dyn PushMetrics>,
    ) -> Self {
        let limit = config.max_in_flight_per_provider.max(1);
        let lane = |provider: Arc<dyn PushProvider>| Lane {
            provider,
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        };
        Dispatcher {
            apns: apns.map(lane),
            fcm: fcm.map(lane),
            webpush: None,
            limit,
            metrics,
        }
    }

    /// This dispatcher, with Web Push devices served by `provider` (in a lane of its own,
    /// with the same concurrency limit).
    pub fn with_webpush(mut self, provider: Arc<dyn PushProvider>) -> Self {
        self.webpush = Some(Lane {
            provider,
            permits: Arc::new(Semaphore::new(self.limit)),
            limit: self.limit,
        });
        self
    }

    /// Whether no provider is configured at all.
    pub fn is_poll_only(&self) -> bool {
        self.apns.is_none() && self.fcm.is_none() && self.webpush.is_none()
    }

    /// Whether pushes to `platform` go anywhere.
    pub fn serves(&self, platform: Platform) -> bool {
        self.lane(platform).is_some()
    }

    fn lane(&self, platform: Platform) -> Option<&Lane> {
        match platform {
            Platform::Ios => self.apns.as_ref(),
            Platform::Android => self.fcm.as_ref(),
            Platform::WebPush => self.webpush.as_ref(),
            Platform::Poll => None,
        }
    }

    /// Sends one push in the calling task.
    pub async fn send(
        &self,
        platform: Platform,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome {
        let Some(lane) = self.lane(platform) else {
            return Outcome::PollOnly;
        };
        if target.token.is_empty() {
            return Outcome::PollOnly;
        }
        let Ok(_permit) = lane.permits.clone().try_acquire_owned() else {
            let kind: ProviderKind = lane.provider.kind();
            tracing::warn!(
                provider = kind.as_str(),
                limit = lane.limit,
                "push concurrency limit reached: push failed fast (the phone can still poll)"
            );
            self.metrics
                .failed(kind, Failure::Saturated, Duration::ZERO);
            return Outcome::Failed(Failure::Saturated);
        };
        lane.provider.send(target, payload, deadline).await
    }

    /// Sends one push in its own task, so that it never waits for another.
    pub fn spawn(&self, push: Push) -> JoinHandle<Outcome> {
        let this = self.clone();
        tokio::spawn(async move {
            this.send(push.platform, &push.target, push.payload, push.deadline)
                .await
        })
    }

    /// Sends every push, each in its own task, and returns the outcomes in order.
    pub async fn send_all(&self, pushes: Vec<Push>) -> Vec<Outcome> {
        let handles: Vec<_> = pushes.into_iter().map(|p| self.spawn(p)).collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(h.await.unwrap_or(Outcome::Failed(Failure::Connection)));
        }
        out
    }
}
