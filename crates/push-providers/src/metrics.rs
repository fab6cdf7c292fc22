//! Metrics hooks, per provider. The relay implements [`PushMetrics`] on its
//! Prometheus registry, or reads a [`PushCounters`] snapshot.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::outcome::{Failure, Outcome, ProviderKind};

/// Called by the clients and the dispatcher as pushes go out.
pub trait PushMetrics: Send + Sync + 'static {
    /// A push was accepted by the provider, `latency` after the send started.
    fn sent(&self, provider: ProviderKind, latency: Duration);
    /// A push failed for `reason`, `latency` after the send started.
    fn failed(&self, provider: ProviderKind, reason: Failure, latency: Duration);
    /// A token was found dead.
    fn dead_token(&self, provider: ProviderKind);
    /// A request is being retried.
    fn retried(&self, provider: ProviderKind);
}

/// No metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl PushMetrics for NoMetrics {
    fn sent(&self, _: ProviderKind, _: Duration) {}
    fn failed(&self, _: ProviderKind, _: Failure, _: Duration) {}
    fn dead_token(&self, _: ProviderKind) {}
    fn retried(&self, _: ProviderKind) {}
}

/// Counters for one provider.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProviderCounters {
    /// Pushes accepted.
    pub sent: u64,
    /// Pushes failed, by reason.
    pub failed: BTreeMap<Failure, u64>,
    /// Dead tokens found.
    pub dead_tokens: u64,
    /// Retries made.
    pub retries: u64,
    /// Number of finished sends (sent, failed or dead) with a latency.
    pub latency_count: u64,
    /// Sum of their latencies.
    pub latency_sum: Duration,
    /// The largest latency seen.
    pub latency_max: Duration,
}

impl ProviderCounters {
    fn observe(&mut self, latency: Duration) {
        self.latency_count += 1;
        self.latency_sum += latency;
        self.latency_max = self.latency_max.max(latency);
    }
}

/// In-memory [`PushMetrics`]: counters per provider, read with [`PushCounters::snapshot`].
#[derive(Debug, Default)]
pub struct PushCounters {
    inner: Mutex<BTreeMap<ProviderKind, ProviderCounters>>,
}

impl PushCounters {
    /// Empty counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the counters of `provider`.
    pub fn snapshot(&self, provider: ProviderKind) -> ProviderCounters {
        self.inner
            .lock()
            .ok()
            .and_then(|m| m.get(&provider).cloned())
            .unwrap_or_default()
    }

    fn with(&self, provider: ProviderKind, f: impl FnOnce(&mut ProviderCounters)) {
        if let Ok(mut m) = self.inner.lock() {
            f(m.entry(provider).or_default());
        }
    }
}

impl PushMetrics for PushCounters {
    fn sent(&self, provider: ProviderKind, latency: Duration) {
        self.with(provider, |c| {
            c.sent += 1;
            c.observe(latency);
        });
    }

    fn failed(&self, provider: ProviderKind, reason: Failure, latency: Duration) {
        self.with(provider, |c| {
            *c.failed.entry(reason).or_default() += 1;
            c.observe(latency);
        });
    }

    fn dead_token(&self, provider: ProviderKind) {
        self.with(provider, |c| c.dead_tokens += 1);
    }

    fn retried(&self, provider: ProviderKind) {
        self.with(provider, |c| c.retries += 1);
    }
}

/// Records a final outcome in `metrics`.
pub(crate) fn record(
    metrics: &dyn PushMetrics,
    kind: ProviderKind,
    outcome: Outcome,
    latency: Duration,
) {
    match outcome {
        Outcome::Sent => metrics.sent(kind, latency),
        Outcome::DeadToken => metrics.dead_token(kind),
        Outcome::Failed(f) => metrics.failed(kind, f, latency),
        Outcome::PollOnly => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_provider() {
        let m = PushCounters::new();
        m.sent(ProviderKind::Apns, Duration::from_millis(5));
        m.failed(
            ProviderKind::Apns,
            Failure::Config,
            Duration::from_millis(7),
        );
        m.retried(ProviderKind::Fcm);
        m.dead_token(ProviderKind::Fcm);
        let a = m.snapshot(ProviderKind::Apns);
        assert_eq!(a.sent, 1);
        assert_eq!(a.failed.get(&Failure::Config), Some(&1));
        assert_eq!(a.latency_count, 2);
        assert_eq!(a.latency_max, Duration::from_millis(7));
        let f = m.snapshot(ProviderKind::Fcm);
        assert_eq!((f.retries, f.dead_tokens, f.sent), (1, 1, 0));
    }
}
