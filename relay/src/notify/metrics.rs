//! Push metrics per provider in the relay's Prometheus registry: pushes
//! sent, failed by reason, retries, dead tokens, and send latency.

use std::time::Duration;

use assent_push_providers::metrics::PushMetrics;
use assent_push_providers::{Failure, ProviderKind};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    provider: &'static str,
    reason: &'static str,
}

type LatencyFamily = Family<ProviderLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms .. ~33 s (retries with backoff included)
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The push metrics, registered in the relay's registry.
#[derive(Debug, Clone)]
pub struct PushProm {
    sent: Family<ProviderLabels, Counter>,
    failed: Family<FailureLabels, Counter>,
    retries: Family<ProviderLabels, Counter>,
    dead_tokens: Family<ProviderLabels, Counter>,
    latency: LatencyFamily,
}

impl PushProm {
    /// Registers the push metrics in `registry` (`assent_relay_push_*`).
    pub fn register(registry: &mut Registry) -> Self {
        let this = Self {
            sent: Family::default(),
            failed: Family::default(),
            retries: Family::default(),
            dead_tokens: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "push_sent",
            "Pushes accepted by the provider",
            this.sent.clone(),
        );
        registry.register(
            "push_failed",
            "Pushes that failed, by provider and reason (the phone can still poll)",
            this.failed.clone(),
        );
        registry.register(
            "push_retries",
            "Push requests retried after a transient provider error",
            this.retries.clone(),
        );
        registry.register(
            "push_dead_tokens",
            "Device tokens the provider reported dead (the device now polls)",
            this.dead_tokens.clone(),
        );
        registry.register(
            "push_duration_seconds",
            "Time from the start of a push to its final outcome, retries included",
            this.latency.clone(),
        );
        this
    }
}

fn provider(kind: ProviderKind) -> ProviderLabels {
    ProviderLabels {
        provider: kind.as_str(),
    }
}

impl PushMetrics for PushProm {
    fn sent(&self, kind: ProviderKind, latency: Duration) {
        self.sent.get_or_create(&provider(kind)).inc();
        self.latency
            .get_or_create(&provider(kind))
            .observe(latency.as_secs_f64());
    }

    fn failed(&self, kind: ProviderKind, reason: Failure, latency: Duration) {
        self.failed
            .get_or_create(&FailureLabels {
                provider: kind.as_str(),
                reason: reason.as_str(),
            })
            .inc();
        self.latency
            .get_or_create(&provider(kind))
            .observe(latency.as_secs_f64());
    }

    fn dead_token(&self, kind: ProviderKind) {
        self.dead_tokens.get_or_create(&provider(kind)).inc();
    }

    fn retried(&self, kind: ProviderKind) {
        self.retries.get_or_create(&provider(kind)).inc();
    }
}
