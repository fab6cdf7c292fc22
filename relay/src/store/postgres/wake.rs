//! Wake-ups across instances: the statements that make a change some
//! long-poll waits for (a challenge created or answered, a registration, an
//! enrollment answer) also `NOTIFY` channel [`WAKE_CHANNEL`] with the waiter's
//! key and the commit time; PostgreSQL delivers it at commit to every
//! instance's [`WakeListener`], which wakes its local waiters.
//!
//! A notification is lost if it arrives while a listener is not connected, so
//! after every (re)connect the listener wakes *all* its waiters: each re-reads
//! the database ([`crate::waiters::Waiters::wait`]) and goes on waiting if
//! nothing changed. A wake-up therefore never waits for a timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::store::db_metrics::DbProm;
use crate::waiters::Waiters;

/// The channel the wake-ups go on.
pub const WAKE_CHANNEL: &str = "assent_wake";

/// SQL for the commit time in Unix milliseconds (the database's clock), sent
/// after the key so the listener can measure the lag.
pub const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Longest pause between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Whether the listener is connected; shared with the store's readiness.
#[derive(Debug, Default)]
pub struct ListenerHealth {
    started: AtomicBool,
    up: AtomicBool,
}

impl ListenerHealth {
    /// `false` only when a listener was started and is not connected now.
    pub fn ready(&self) -> bool {
        !self.started.load(Ordering::Acquire) || self.up.load(Ordering::Acquire)
    }

    fn set(&self, up: bool, metrics: &DbProm) {
        self.up.store(up, Ordering::Release);
        metrics.listener(up);
    }
}

/// One instance's listener: one connection of its own (not from the pool).
#[derive(Debug)]
pub struct WakeListener {
    pool: PgPool,
    health: Arc<ListenerHealth>,
}

impl WakeListener {
    pub(super) fn new(pool: PgPool, health: Arc<ListenerHealth>) -> Self {
        Self { pool, health }
    }

    /// Listens until `stop` turns true, reconnecting with backoff.
    pub fn spawn(
        self,
        waiters: Arc<Waiters>,
        metrics: Arc<DbProm>,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        self.health.started.store(true, Ordering::Release);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            while !*stop.borrow() {
                match self.listen(&waiters, &metrics, &mut stop).await {
                    Ok(()) => return,
                    Err(err) => {
                        if self.health.up.load(Ordering::Acquire) {
                            // A connection that was listening broke.
                            metrics.listener_reconnect();
                            backoff = Duration::from_millis(100);
                        }
                        self.health.set(false, &metrics);
                        tracing::warn!(error = %err, "wake-up listener disconnected; reconnecting");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        })
    }

    /// One connection's life: `Ok` when stopped, `Err` when it broke.
    async fn listen(
        &self,
        waiters: &Waiters,
        metrics: &DbProm,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(WAKE_CHANNEL).await?;
        self.health.set(true, metrics);
        // Whatever was notified while we were not listening: re-read.
        waiters.wake_all();
        loop {
            tokio::select! {
                received = listener.try_recv() => match received? {
                    Some(notification) => {
                        let (key, sent_ms) = parse(notification.payload());
                        if let Some(sent_ms) = sent_ms {
                            metrics.wake_lag(now_ms().saturating_sub(sent_ms));
                        }
                        waiters.wake(key);
                    }
                    None => return Err(sqlx::Error::Protocol("connection lost".into())),
                },
                _ = stop.changed() => return Ok(()),
            }
        }
    }
}

/// `"<key> <millis>"` → the key and, if present, the commit time.
fn parse(payload: &str) -> (&str, Option<i64>) {
    match payload.rsplit_once(' ') {
        Some((key, millis)) => match millis.parse() {
            Ok(millis) => (key, Some(millis)),
            Err(_) => (payload, None),
        },
        None => (payload, None),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_with_or_without_a_time() {
        assert_eq!(
            parse("challenge:abc 1700000000123"),
            ("challenge:abc", Some(1_700_000_000_123))
        );
        assert_eq!(parse("device:d1"), ("device:d1", None));
        assert_eq!(parse("odd key x"), ("odd key x", None));
    }
}
