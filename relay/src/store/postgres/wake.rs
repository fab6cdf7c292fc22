//! Wake-ups across instances: after a change some long-poll waits for (a
//! challenge created or answered, a registration, an enrollment answer)
//! commits, the store hands the waiter's key to its [`WakeSender`], which
//! `NOTIFY`s channel [`WAKE_CHANNEL`] in batches (`wake_sender.rs` says why not
//! in the data's own transaction). PostgreSQL delivers each notification to
//! every instance's [`WakeListener`], which wakes its local waiters; it skips
//! its own instance's, whose waiters the exchange has woken already.
//!
//! A notification is lost if it arrives while a listener is not connected, so
//! after every (re)connect the listener wakes *all* its waiters: each re-reads
//! the database ([`crate::waiters::Waiters::wait`]) and goes on waiting if
//! nothing changed. A wake-up therefore never waits for a timeout.
//!
//! [`WakeSender`]: super::wake_sender::WakeSender

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

/// The key that wakes every waiter (a batch of wake-ups was lost).
pub const WAKE_ALL: &str = "*";

/// SQL for the send time in Unix milliseconds (the database's clock), sent
/// before the key so the listener can measure the lag.
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
    /// This instance's name in the payloads.
    instance: String,
}

impl WakeListener {
    pub(super) fn new(pool: PgPool, health: Arc<ListenerHealth>, instance: String) -> Self {
        Self {
            pool,
            health,
            instance,
        }
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
        // Whatever was notified while we were not listening: re-read. Ready only after that, so
        // a waiter parked once the listener reports ready is woken by notifications alone.
        waiters.wake_all();
        self.health.set(true, metrics);
        loop {
            tokio::select! {
                received = listener.try_recv() => match received? {
                    Some(notification) => match parse(notification.payload()) {
                        Some(wake) if wake.instance == self.instance => {}
                        Some(wake) => {
                            metrics.wake_lag(now_ms().saturating_sub(wake.sent_ms));
                            if wake.key == WAKE_ALL {
                                waiters.wake_all();
                            } else {
                                waiters.wake(wake.key);
                            }
                        }
                        None => {
                            tracing::warn!("unreadable wake-up notification; waking every waiter");
                            waiters.wake_all();
                        }
                    },
                    None => return Err(sqlx::Error::Protocol("connection lost".into())),
                },
                _ = stop.changed() => return Ok(()),
            }
        }
    }
}

/// One notification's payload.
#[derive(Debug, PartialEq, Eq)]
struct Wake<'a> {
    instance: &'a str,
    sent_ms: i64,
    key: &'a str,
}

/// `"<instance> <millis> <key>"` (the key last: it may hold spaces).
fn parse(payload: &str) -> Option<Wake<'_>> {
    let (instance, rest) = payload.split_once(' ')?;
    let (millis, key) = rest.split_once(' ')?;
    Some(Wake {
        instance,
        sent_ms: millis.parse().ok()?,
        key,
    })
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
    fn payloads_name_the_instance_the_time_and_the_key() {
        assert_eq!(
            parse("i1 1700000000123 challenge:abc"),
            Some(Wake {
                instance: "i1",
                sent_ms: 1_700_000_000_123,
                key: "challenge:abc"
            })
        );
        assert_eq!(parse("i1 5 odd key").map(|w| w.key), Some("odd key"));
        assert_eq!(parse("i1 5 *").map(|w| w.key), Some(WAKE_ALL));
        for bad in ["", "i1", "i1 5", "i1 notatime key"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
