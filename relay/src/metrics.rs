//! Prometheus metrics (the middleware that records every request is `routes/track.rs`).
//!
//! Routes are labelled by their template (`/v1/challenges/{id}`), never by
//! the concrete path, so ids never reach the metrics or the request log.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of the request counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// Labels of the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// How a challenge ended (or began).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum ChallengeOutcome {
    /// Created by a relying party.
    Created,
    /// Answered by the device.
    Answered,
    /// Expired unanswered.
    Expired,
}

impl ChallengeOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Answered => "answered",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OwnerLabels {
    owner: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The relay's metrics registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    challenges: Family<OutcomeLabels, Counter>,
    long_polls_refused: Family<OwnerLabels, Counter>,
    /// Push metrics per provider (`assent_relay_push_*`).
    pub push: std::sync::Arc<crate::notify::metrics::PushProm>,
    /// Database metrics (`assent_relay_db_*`).
    pub db: std::sync::Arc<crate::store::db_metrics::DbProm>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("assent_relay");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let challenges = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            latency.clone(),
        );
        registry.register(
            "challenges",
            "Challenges by outcome (created, answered, expired)",
            challenges.clone(),
        );
        let long_polls_refused = Family::<OwnerLabels, Counter>::default();
        registry.register(
            "long_polls_refused",
            "Long-polls refused because their tenant or device held its cap",
            long_polls_refused.clone(),
        );
        let push = std::sync::Arc::new(crate::notify::metrics::PushProm::register(&mut registry));
        let db = std::sync::Arc::new(crate::store::db_metrics::DbProm::register(&mut registry));
        Self {
            registry,
            push,
            db,
            requests,
            latency,
            challenges,
            long_polls_refused,
        }
    }

    /// Counts a long-poll refused at its owner's cap (`owner`: `tenant` or `device`).
    pub fn long_poll_refused(&self, owner: &'static str) {
        self.long_polls_refused
            .get_or_create(&OwnerLabels { owner })
            .inc();
    }

    /// Counts one challenge event.
    pub fn challenge(&self, outcome: ChallengeOutcome) {
        self.challenges
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// Counts `n` challenge events at once.
    pub fn challenges(&self, outcome: ChallengeOutcome, n: u64) {
        self.challenges
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc_by(n);
    }

    pub(crate) fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
