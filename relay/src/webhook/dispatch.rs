//! Delivering webhooks in the background: a bounded queue that request
//! handlers push to without waiting ([`Webhooks::emit`]), and a worker that
//! looks up the tenant's webhook and delivers each event with retries.
//!
//! Retries: a 2xx ends the delivery; a network error, a timeout, 408, 429 or
//! a 5xx is retried after an exponential backoff (`base · 2^(n-1)`, capped),
//! of which the second half is random ("equal jitter", from the injected
//! RNG), up to [`RetryPolicy::max_attempts`] attempts in all; any other
//! status gives up at once. Each attempt is signed afresh with the current
//! time (injected clock), so a receiver's timestamp tolerance holds for
//! late retries; the event id stays the same.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rand_core::RngCore;
use tokio::sync::{mpsc, Semaphore};

use super::sign::{sign, ID_HEADER, SIGNATURE_HEADER};
use super::{check_url, payload, Destinations, WebhookEvent};
use crate::clock::Clock;
use crate::settings::SettingsStore;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff before the second attempt (before jitter).
    pub base: Duration,
    /// Longest backoff.
    pub cap: Duration,
    /// Per-attempt timeout of the HTTP request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts over about 10 minutes: 5 s, 10 s, 20 s … capped at 5 min.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(5),
            cap: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based): half of
    /// `min(cap, base · 2^(attempt-1))` plus a random part of the other half.
    pub fn backoff(&self, attempt: u32, rng: &mut dyn RngCore) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << shift).min(self.cap);
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 {
            0
        } else {
            rng.next_u64() % nanos.saturating_add(1)
        };
        half + Duration::from_nanos(jitter)
    }
}

/// Sends one webhook request; the HTTP status, or why there is none (no
/// secret in it).
#[async_trait]
pub trait WebhookTransport: Send + Sync + 'static {
    /// POSTs `body` with `headers` to `url`.
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String>;
}

/// The real transport: reqwest over rustls, no redirects, a timeout, only to
/// addresses `destinations` allow, and `https://` only unless loopback `http://` is
/// allowed (tests).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// A client with `timeout` per request.
    pub fn new(timeout: Duration, destinations: Destinations) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!destinations.allow_loopback)
            .dns_resolver(std::sync::Arc::new(super::address::PublicResolver {
                destinations,
            }))
            .user_agent(concat!("assent-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.body(body).send().await {
            Ok(response) => Ok(response.status().as_u16()),
            // Without the URL: only the kind of failure.
            Err(e) if e.is_timeout() => Err("timeout".into()),
            Err(e) if e.is_connect() => Err("connection failed".into()),
            Err(_) => Err("request failed".into()),
        }
    }
}

/// Delivery counters (for tests and logs).
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Events delivered (a 2xx).
    pub delivered: AtomicU64,
    /// Events given up on.
    pub failed: AtomicU64,
    /// Events dropped because the queue was full.
    pub dropped: AtomicU64,
    /// HTTP attempts made.
    pub attempts: AtomicU64,
}

struct Job {
    tenant_id: String,
    event: WebhookEvent,
}

/// Most deliveries in flight at once.
const CONCURRENCY: usize = 32;
/// Events waiting for the worker.
const QUEUE: usize = 4096;

/// The handle request handlers emit events through. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    tx: mpsc::Sender<Job>,
    stats: Arc<WebhookStats>,
    destinations: Destinations,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

struct Worker {
    settings: Arc<dyn SettingsStore>,
    transport: Arc<dyn WebhookTransport>,
    clock: Arc<dyn Clock>,
    rng: Mutex<Box<dyn RngCore + Send>>,
    policy: RetryPolicy,
    stats: Arc<WebhookStats>,
    destinations: Destinations,
}

impl Webhooks {
    /// Starts the worker on the current tokio runtime. `rng` draws the
    /// jitter (a ChaCha20 seeded from the OS in production, a seeded one in
    /// tests); `clock` stamps signatures.
    pub fn spawn(
        settings: Arc<dyn SettingsStore>,
        transport: Arc<dyn WebhookTransport>,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
        policy: RetryPolicy,
        destinations: Destinations,
    ) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(WebhookStats::default());
        let worker = Arc::new(Worker {
            settings,
            transport,
            clock,
            rng: Mutex::new(rng),
            policy: RetryPolicy {
                max_attempts: policy.max_attempts.max(1),
                ..policy
            },
            stats: stats.clone(),
            destinations: destinations.clone(),
        });
        tokio::spawn(run(worker, rx));
        Self {
            tx,
            stats,
            destinations,
        }
    }

    /// Queues `event` for the tenant's webhook, if it has one. Never waits:
    /// when the queue is full the event is dropped (and counted).
    pub fn emit(&self, tenant_id: &str, event: WebhookEvent) {
        let kind = event.kind();
        let job = Job {
            tenant_id: tenant_id.to_owned(),
            event,
        };
        if self.tx.try_send(job).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(event = kind, "webhook queue full or closed: event dropped");
        }
    }

    /// Delivery counters.
    #[cfg(test)]
    pub fn stats(&self) -> &WebhookStats {
        &self.stats
    }

    /// Where webhooks may go.
    pub fn destinations(&self) -> &Destinations {
        &self.destinations
    }
}

async fn run(worker: Arc<Worker>, mut rx: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    while let Some(job) = rx.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let worker = worker.clone();
        tokio::spawn(async move {
            worker.deliver(job).await;
            drop(permit);
        });
    }
}

impl Worker {
    async fn deliver(&self, job: Job) {
        let kind = job.event.kind();
        let hook = match self.settings.settings(&job.tenant_id).await {
            Ok(settings) => settings.webhook,
            Err(e) => {
                tracing::warn!(error = %e, event = kind, "webhook settings unreadable: event dropped");
                None
            }
        };
        let Some(hook) = hook else {
            return;
        };
        if check_url(&hook.url, &self.destinations).is_err() {
            tracing::warn!(tenant = %job.tenant_id, event = kind, "webhook URL refused: event dropped");
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let event_id = match crate::random::random_id() {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "webhook event id: event dropped");
                return;
            }
        };
        let body = payload(&event_id, &job.event, self.clock.now());
        for attempt in 1..=self.policy.max_attempts {
            self.stats.attempts.fetch_add(1, Ordering::Relaxed);
            let headers = [
                (ID_HEADER, event_id.clone()),
                (
                    SIGNATURE_HEADER,
                    sign(&hook.secret, self.clock.now(), &body),
                ),
            ];
            let result = self.transport.post(&hook.url, &headers, body.clone()).await;
            let retry = match &result {
                Ok(status) if (200..300).contains(status) => {
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(tenant = %job.tenant_id, event = kind, attempt, "webhook delivered");
                    return;
                }
                Ok(status) => *status == 408 || *status == 429 || *status >= 500,
                Err(_) => true,
            };
            if !retry || attempt == self.policy.max_attempts {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    tenant = %job.tenant_id,
                    event = kind,
                    attempt,
                    outcome = ?result,
                    "webhook delivery given up"
                );
                return;
            }
            let wait = match self.rng.lock() {
                Ok(mut rng) => self.policy.backoff(attempt, rng.as_mut()),
                Err(_) => self.policy.base,
            };
            tracing::debug!(tenant = %job.tenant_id, event = kind, attempt, outcome = ?result, ?wait, "webhook retry");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(4),
            cap: Duration::from_secs(30),
            timeout: Duration::from_secs(1),
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for (attempt, full) in [(1, 4), (2, 8), (3, 16), (4, 30), (9, 30), (200, 30)] {
            let full = Duration::from_secs(full);
            for _ in 0..50 {
                let d = policy.backoff(attempt, &mut rng);
                assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
            }
        }
        // Deterministic for a seeded RNG.
        let a = policy.backoff(3, &mut rand_chacha::ChaCha20Rng::seed_from_u64(9));
        let b = policy.backoff(3, &mut rand_chacha::ChaCha20Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }
}
