//! Database metrics in the relay's Prometheus registry: connections of the
//! pool in use and idle (read at each scrape), and, with PostgreSQL, the
//! wake-up listener's state, its reconnects and how late notifications
//! arrive.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// How many pooled connections are in use and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Checked out by a request now.
    pub in_use: u32,
    /// Open and waiting for one.
    pub idle: u32,
}

/// The database metrics (`assent_relay_db_*`).
#[derive(Debug, Clone)]
pub struct DbProm {
    connections: Family<StateLabels, Gauge>,
    listener_up: Gauge,
    listener_reconnects: Counter,
    wake_lag: Histogram,
}

impl DbProm {
    /// Registers the database metrics in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let this = Self {
            connections: Family::default(),
            listener_up: Gauge::default(),
            listener_reconnects: Counter::default(),
            // 0.1 ms .. ~3 s
            wake_lag: Histogram::new(exponential_buckets(0.0001, 2.0, 15)),
        };
        registry.register(
            "db_connections",
            "Pooled database connections by state (in_use, idle)",
            this.connections.clone(),
        );
        registry.register(
            "db_listener_up",
            "1 while the PostgreSQL wake-up listener is connected (always 0 on SQLite)",
            this.listener_up.clone(),
        );
        registry.register(
            "db_listener_reconnects",
            "Times the PostgreSQL wake-up listener lost its connection and listened again",
            this.listener_reconnects.clone(),
        );
        registry.register(
            "db_wake_lag_seconds",
            "From a change's commit (database clock) to its wake-up arriving here (local \
             clock; skew between the hosts adds in)",
            this.wake_lag.clone(),
        );
        this
    }

    /// Records the pool's state (at a scrape).
    pub fn pool(&self, usage: PoolUsage) {
        for (state, n) in [("in_use", usage.in_use), ("idle", usage.idle)] {
            self.connections
                .get_or_create(&StateLabels { state })
                .set(i64::from(n));
        }
    }

    /// The listener is connected (`true`) or not.
    pub fn listener(&self, up: bool) {
        self.listener_up.set(i64::from(up));
    }

    /// The listener lost its connection.
    pub fn listener_reconnect(&self) {
        self.listener_reconnects.inc();
    }

    /// A wake-up arrived `millis` after its change committed.
    pub fn wake_lag(&self, millis: i64) {
        // A clock behind the database's reads as no lag, not a negative one.
        self.wake_lag.observe(millis.max(0) as f64 / 1000.0);
    }
}
