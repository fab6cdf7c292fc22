//! Delivering webhooks through the outbox table ([`OutboxStore`]).
//!
//! [`Webhooks::emit`] writes the event to the outbox and returns once it is
//! stored, so an event outlives the process that saw it happen. Each relay
//! instance runs one dispatcher task: it claims due events with a lease
//! (woken at once by its own instance's emits, and reading the outbox every
//! [`RetryPolicy::poll`] for the events of other instances, retries that came
//! due and events a stopped instance left), delivers each with the
//! [`WebhookTransport`], and then deletes it (delivered, or given up) or
//! reschedules it (`attempts` + 1, `next_attempt_at` after the backoff, the
//! lease cleared). The claim is exclusive across instances while its lease
//! lasts ([`crate::store::OutboxStore::claim_events`]), so one event is in
//! flight on one instance at a time.
//!
//! Each attempt reads the tenant's webhook afresh: a rotated secret signs the
//! next attempt, a removed webhook drops the tenant's events. Each attempt is
//! signed with the current time (injected clock), so a receiver's timestamp
//! tolerance holds for late retries; the event id and the body stay the same.
//!
//! At least once, not exactly once: an instance that stops after the
//! receiver's 2xx but before the delete leaves the event to be delivered again
//! when its lease ends, with the same id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_core::RngCore;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::sign::{sign, ID_HEADER, SIGNATURE_HEADER};
use super::{check_url, payload, Destinations, RetryPolicy, WebhookEvent, WebhookTransport};
use crate::clock::Clock;
use crate::settings::SettingsStore;
use crate::store::{db_time, Claim, DbMillis, OutboxEvent, Store};

/// Delivery counters (for tests and logs).
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Events delivered (a 2xx).
    pub delivered: AtomicU64,
    /// Events given up on (attempts used up, a refused status or URL).
    pub failed: AtomicU64,
    /// Events not delivered for want of a webhook (the tenant removed it
    /// before delivery), or that could not be stored.
    pub dropped: AtomicU64,
    /// HTTP attempts made.
    pub attempts: AtomicU64,
}

/// Most deliveries in flight at once on one instance (and most events one
/// claim takes).
const CONCURRENCY: usize = 32;

/// The handle request handlers emit events through. Cheap to clone; the
/// dispatcher stops when the last clone is dropped.
#[derive(Clone)]
pub struct Webhooks {
    store: Arc<dyn Store>,
    settings: Arc<dyn SettingsStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    stats: Arc<WebhookStats>,
    destinations: Destinations,
    _dispatcher: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Ends the dispatcher (and the deliveries it has in flight) when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One instance's dispatcher.
struct Dispatcher {
    store: Arc<dyn Store>,
    settings: Arc<dyn SettingsStore>,
    transport: Arc<dyn WebhookTransport>,
    clock: Arc<dyn Clock>,
    rng: Mutex<Box<dyn RngCore + Send>>,
    policy: RetryPolicy,
    stats: Arc<WebhookStats>,
    destinations: Destinations,
    wake: Arc<Notify>,
}

/// What becomes of a claimed event after its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// Delivered: delete it.
    Delivered,
    /// Failed, worth another attempt at this time (Unix ms).
    Retry(DbMillis),
    /// Will not be delivered: delete it.
    GiveUp,
    /// The tenant has no webhook any more: delete it.
    Drop,
}

impl Webhooks {
    /// Starts this instance's dispatcher on the current tokio runtime, over
    /// the outbox of `store` and the webhooks of `settings` (the same
    /// database). `rng` draws the jitter (a ChaCha20 seeded from the OS in
    /// production, a seeded one in tests); `clock` schedules the attempts and
    /// stamps signatures.
    pub fn spawn(
        store: Arc<dyn Store>,
        settings: Arc<dyn SettingsStore>,
        transport: Arc<dyn WebhookTransport>,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
        policy: RetryPolicy,
        destinations: Destinations,
    ) -> Self {
        let stats = Arc::new(WebhookStats::default());
        let wake = Arc::new(Notify::new());
        let dispatcher = Arc::new(Dispatcher {
            store: store.clone(),
            settings: settings.clone(),
            transport,
            clock: clock.clone(),
            rng: Mutex::new(rng),
            policy: RetryPolicy {
                max_attempts: policy.max_attempts.max(1),
                poll: policy.poll.max(Duration::from_millis(1)),
                ..policy
            },
            stats: stats.clone(),
            destinations: destinations.clone(),
            wake: wake.clone(),
        });
        let task = tokio::spawn(run(dispatcher));
        Self {
            store,
            settings,
            clock,
            wake,
            stats,
            destinations,
            _dispatcher: Arc::new(AbortOnDrop(task)),
        }
    }

    /// Stores `event` in the outbox for the tenant's webhook, if it has one,
    /// and wakes this instance's dispatcher; returns once the event is stored
    /// (never waits for its delivery). The write runs in a task of its own,
    /// so a request cancelled meanwhile (its client went away) cannot cut it
    /// short. An event that cannot be stored is logged and counted as
    /// dropped: the change that caused it is already committed, and failing
    /// the request would not bring the event back (a repeated answer or
    /// registration emits nothing).
    pub async fn emit(&self, tenant_id: &str, event: WebhookEvent) {
        let kind = event.kind();
        let (store, settings) = (self.store.clone(), self.settings.clone());
        let (clock, wake) = (self.clock.clone(), self.wake.clone());
        let tenant_id = tenant_id.to_owned();
        let stored = tokio::spawn(async move {
            match settings.settings(&tenant_id).await {
                Ok(s) if s.webhook.is_none() => return Ok(()),
                Ok(_) => {}
                // Stored anyway: the dispatcher reads the settings again.
                Err(e) => tracing::warn!(error = %e, event = kind, "webhook settings unreadable"),
            }
            let event_id = crate::random::random_id().map_err(|e| e.to_string())?;
            let now = clock.now();
            let record = OutboxEvent {
                event_id,
                tenant_id,
                event_type: kind.to_owned(),
                subject: event.subject().to_owned(),
                created_at: db_time(now),
                attempts: 0,
                next_attempt_at: millis(now),
            };
            store
                .enqueue_event(&record)
                .await
                .map_err(|e| e.to_string())?;
            wake.notify_one();
            Ok::<(), String>(())
        })
        .await;
        let failure = match stored {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(e) => e.to_string(),
        };
        self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        tracing::error!(error = %failure, event = kind, "webhook event not stored: dropped");
    }

    /// Delivery counters of this instance.
    #[cfg(test)]
    pub fn stats(&self) -> &WebhookStats {
        &self.stats
    }

    /// Where webhooks may go.
    pub fn destinations(&self) -> &Destinations {
        &self.destinations
    }
}

/// Unix seconds of the relay's clock in the outbox's milliseconds.
fn millis(secs: u64) -> DbMillis {
    db_time(secs).saturating_mul(1000)
}

fn duration_ms(d: Duration) -> DbMillis {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The dispatcher's loop: claim as many due events as there are free
/// delivery slots, deliver each in a task of its own; then wait for a local
/// emit, the poll interval, or (when every slot was used, so more may be due)
/// a free slot.
async fn run(dispatcher: Arc<Dispatcher>) {
    let mut deliveries = JoinSet::new();
    loop {
        while deliveries.try_join_next().is_some() {}
        let free = CONCURRENCY.saturating_sub(deliveries.len());
        let mut busy = free == 0;
        if free > 0 {
            let claimed = dispatcher.claim(free).await;
            busy = claimed.len() == free;
            for (event, token) in claimed {
                let dispatcher = dispatcher.clone();
                deliveries.spawn(async move { dispatcher.deliver(event, &token).await });
            }
        }
        tokio::select! {
            () = dispatcher.wake.notified() => {}
            () = tokio::time::sleep(dispatcher.policy.poll) => {}
            Some(_) = deliveries.join_next(), if busy => {}
        }
    }
}

impl Dispatcher {
    /// Claims up to `limit` due events under a new token.
    async fn claim(&self, limit: usize) -> Vec<(OutboxEvent, Arc<str>)> {
        let token: Arc<str> = match crate::random::random_id() {
            Ok(token) => token.into(),
            Err(e) => {
                tracing::error!(error = %e, "webhook claim token");
                return Vec::new();
            }
        };
        let now = millis(self.clock.now());
        let claim = Claim {
            token: &token,
            now,
            until: now.saturating_add(duration_ms(self.policy.lease())),
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        match self.store.claim_events(claim, limit).await {
            Ok(events) => events
                .into_iter()
                .map(|event| (event, token.clone()))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "webhook outbox unreadable");
                Vec::new()
            }
        }
    }

    /// One attempt at a claimed event, and what becomes of it.
    async fn deliver(&self, event: OutboxEvent, token: &str) {
        let settle = self.attempt(&event).await;
        self.settle(&event, token, settle).await;
    }

    async fn attempt(&self, event: &OutboxEvent) -> Option<Settle> {
        let kind = event.event_type.as_str();
        let tenant = event.tenant_id.as_str();
        let hook = match self.settings.settings(tenant).await {
            Ok(settings) => settings.webhook,
            Err(e) => {
                // Left claimed: tried again when the lease ends.
                tracing::warn!(error = %e, event = kind, "webhook settings unreadable");
                return None;
            }
        };
        let Some(hook) = hook else {
            return Some(Settle::Drop);
        };
        if check_url(&hook.url, &self.destinations).is_err() {
            tracing::warn!(%tenant, event = kind, "webhook URL refused: event given up");
            return Some(Settle::GiveUp);
        }
        let Some(parsed) = WebhookEvent::from_stored(kind, &event.subject) else {
            tracing::warn!(%tenant, event = kind, "unknown webhook event type: given up");
            return Some(Settle::GiveUp);
        };
        let created_at = u64::try_from(event.created_at).unwrap_or(0);
        let body = payload(&event.event_id, &parsed, created_at);
        let headers = [
            (ID_HEADER, event.event_id.clone()),
            (
                SIGNATURE_HEADER,
                sign(&hook.secret, self.clock.now(), &body),
            ),
        ];
        self.stats.attempts.fetch_add(1, Ordering::Relaxed);
        let sent = tokio::time::timeout(
            self.policy.timeout,
            self.transport.post(&hook.url, &headers, body),
        )
        .await;
        let result = sent.unwrap_or_else(|_| Err("timeout".into()));
        let attempt = event.attempts.saturating_add(1);
        if matches!(result, Ok(status) if (200..300).contains(&status)) {
            tracing::debug!(%tenant, event = kind, attempt, "webhook delivered");
            return Some(Settle::Delivered);
        }
        if !RetryPolicy::retries(&result) || attempt >= self.policy.max_attempts {
            tracing::warn!(%tenant, event = kind, attempt, outcome = ?result, "webhook delivery given up");
            return Some(Settle::GiveUp);
        }
        let wait = match self.rng.lock() {
            Ok(mut rng) => self.policy.backoff(attempt, rng.as_mut()),
            Err(_) => self.policy.base,
        };
        tracing::debug!(%tenant, event = kind, attempt, outcome = ?result, ?wait, "webhook retry");
        let at = millis(self.clock.now()).saturating_add(duration_ms(wait));
        Some(Settle::Retry(at))
    }

    /// Records what became of the event in the outbox (if this claim still
    /// holds it) and counts it. Should the store fail, the lease runs out and
    /// the event is claimed again: at least once.
    async fn settle(&self, event: &OutboxEvent, token: &str, settle: Option<Settle>) {
        let Some(settle) = settle else {
            return;
        };
        let id = event.event_id.as_str();
        let done = match settle {
            Settle::Delivered => {
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                self.store.complete_event(id, token).await
            }
            Settle::Retry(at) => self.store.reschedule_event(id, token, at).await,
            Settle::GiveUp | Settle::Drop => self.store.give_up_event(id, token).await,
        };
        match done {
            Ok(true) => match settle {
                Settle::GiveUp => {
                    self.stats.failed.fetch_add(1, Ordering::Relaxed);
                }
                Settle::Drop => {
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Settle::Delivered | Settle::Retry(_) => {}
            },
            Ok(false) => tracing::warn!(
                event = event.event_type.as_str(),
                outcome = ?settle,
                "webhook claim lost to another after its lease ended"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                event = event.event_type.as_str(),
                outcome = ?settle,
                "webhook outbox not updated: the event is tried again after its lease"
            ),
        }
    }
}
