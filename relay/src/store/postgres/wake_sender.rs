//! Sending wake-ups to the other instances, in batches.
//!
//! A `NOTIFY` inside a data transaction serialises every notifying commit on
//! the database's one notification-queue lock and signals every listener once
//! per commit: with two wake-ups per approval that cost about a fifth of the
//! throughput (BENCHMARKS.md). So the store's writes commit without one, and
//! hand their keys to this sender after the commit; one task per instance
//! sends whatever has gathered in one statement (`pg_notify` over an array),
//! while the previous batch is in flight the next one gathers. Under light
//! load a batch is one key and goes at once; under heavy load one
//! transaction carries hundreds.
//!
//! Local waiters never wait for this: the exchange wakes them itself, and the
//! listener skips the notifications its own instance sent. A batch that cannot
//! be sent (the database went away) turns into a wake-*all* for the next one;
//! and every listener that lost its connection wakes all its waiters on
//! reconnect (`wake.rs`). A wake-up is lost only if an instance dies between a
//! commit and the batch that follows it (milliseconds); the waiters concerned
//! then see the change when their long-poll times out and the client asks
//! again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPool;
use tokio::sync::mpsc;

use super::wake::{WAKE_ALL, WAKE_CHANNEL};

/// Keys sent in one statement at most; also the queue's length, beyond which
/// the keys are replaced by one wake-all.
const MAX_BATCH: usize = 1024;

/// Attempts to send one batch before it becomes a wake-all for the next.
const ATTEMPTS: u32 = 3;

/// How long an owed wake-all waits for other keys to go with.
const RETRY_ALL_AFTER: Duration = Duration::from_secs(1);

/// The store's handle: queues keys for the sending task, never waits.
#[derive(Debug, Clone)]
pub(super) struct WakeSender {
    queue: mpsc::Sender<String>,
    overflow: Arc<AtomicBool>,
}

impl WakeSender {
    /// Starts the sending task for the instance `instance`; it ends when the
    /// last handle is dropped.
    pub(super) fn spawn(pool: PgPool, instance: String) -> Self {
        let (queue, keys) = mpsc::channel(MAX_BATCH);
        let overflow = Arc::new(AtomicBool::new(false));
        tokio::spawn(send_batches(pool, instance, keys, overflow.clone()));
        Self { queue, overflow }
    }

    /// Wakes `key`'s waiters on the other instances (soon after; call after
    /// the change committed).
    pub(super) fn wake(&self, key: String) {
        if self.queue.try_send(key).is_err() {
            // Full: the next batch wakes everyone instead.
            self.overflow.store(true, Ordering::Release);
        }
    }
}

async fn send_batches(
    pool: PgPool,
    instance: String,
    mut queue: mpsc::Receiver<String>,
    overflow: Arc<AtomicBool>,
) {
    let mut keys = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = if overflow.load(Ordering::Acquire) {
            // A wake-all is owed: it goes with the next keys, or after a
            // pause if none come.
            tokio::time::timeout(RETRY_ALL_AFTER, queue.recv_many(&mut keys, MAX_BATCH))
                .await
                .unwrap_or(1)
        } else {
            queue.recv_many(&mut keys, MAX_BATCH).await
        };
        if received == 0 {
            // Every handle is gone: the store was dropped.
            return;
        }
        if overflow.swap(false, Ordering::AcqRel) {
            keys.clear();
            keys.push(WAKE_ALL.to_owned());
        }
        keys.sort_unstable();
        keys.dedup();
        if let Err(err) = send(&pool, &instance, &keys).await {
            tracing::warn!(error = %err, keys = keys.len(), "wake-ups not sent; the next batch wakes every waiter");
            overflow.store(true, Ordering::Release);
        }
        keys.clear();
    }
}

/// One batch, retried a few times with a short pause.
async fn send(pool: &PgPool, instance: &str, keys: &[String]) -> Result<(), sqlx::Error> {
    let sql = format!(
        "SELECT pg_notify('{WAKE_CHANNEL}', $1 || ' ' || {} || ' ' || key) \
         FROM unnest($2::text[]) AS key",
        super::wake::NOW_MS
    );
    let mut pause = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match sqlx::query(&sql)
            .bind(instance)
            .bind(keys)
            .execute(pool)
            .await
        {
            Ok(_) => return Ok(()),
            Err(err) if attempt >= ATTEMPTS => return Err(err),
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause *= 4;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::postgres::{PgListener, PgPoolOptions};

    use super::*;

    async fn database() -> String {
        assent_pg_testkit::Server::shared()
            .unwrap()
            .database()
            .await
            .unwrap()
    }

    /// The keys of the next notifications on the wake channel, until `until` is among
    /// them (each payload is "<instance> <millis> <key>").
    async fn keys_until(listener: &mut PgListener, until: &str) -> Vec<String> {
        let mut keys = Vec::new();
        while !keys.iter().any(|k| k == until) {
            let n = tokio::time::timeout(Duration::from_secs(10), listener.recv())
                .await
                .expect("a notification within 10 s")
                .unwrap();
            let mut parts = n.payload().splitn(3, ' ');
            assert_eq!(parts.next(), Some("me"), "{}", n.payload());
            parts.next().unwrap().parse::<i64>().unwrap();
            keys.push(parts.next().unwrap().to_owned());
        }
        keys
    }

    #[tokio::test]
    async fn queued_keys_reach_the_listeners() {
        let url = database().await;
        let mut listener = PgListener::connect(&url).await.unwrap();
        listener.listen(WAKE_CHANNEL).await.unwrap();
        let pool = PgPoolOptions::new().connect(&url).await.unwrap();
        let sender = WakeSender::spawn(pool, "me".into());
        sender.wake("challenge:a".into());
        sender.wake("challenge:b".into());
        let keys = keys_until(&mut listener, "challenge:b").await;
        assert!(keys.contains(&"challenge:a".to_owned()), "{keys:?}");
    }

    /// More keys than the queue holds, faster than the task can take them: the
    /// overflow becomes one wake-all rather than lost wake-ups.
    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_becomes_a_wake_all() {
        let url = database().await;
        let mut listener = PgListener::connect(&url).await.unwrap();
        listener.listen(WAKE_CHANNEL).await.unwrap();
        let pool = PgPoolOptions::new().connect(&url).await.unwrap();
        let sender = WakeSender::spawn(pool, "me".into());
        // No await in between: on this one-thread runtime the sending task cannot run,
        // so the queue fills up.
        for i in 0..(MAX_BATCH + 10) {
            sender.wake(format!("challenge:{i}"));
        }
        assert!(sender.overflow.load(Ordering::Acquire));
        let keys = keys_until(&mut listener, WAKE_ALL).await;
        assert_eq!(
            keys,
            [WAKE_ALL],
            "the queued keys are replaced by one wake-all"
        );
    }

    /// A batch that cannot be sent (here: the pool's one connection is held elsewhere)
    /// is not dropped silently: the next batch wakes every waiter.
    #[tokio::test]
    async fn a_batch_that_fails_becomes_a_wake_all_for_the_next() {
        let url = database().await;
        let mut listener = PgListener::connect(&url).await.unwrap();
        listener.listen(WAKE_CHANNEL).await.unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(100))
            .connect(&url)
            .await
            .unwrap();
        let held = pool.acquire().await.unwrap();
        let sender = WakeSender::spawn(pool.clone(), "me".into());
        sender.wake("challenge:lost".into());
        // Three attempts fail (100 ms each, pauses of 50 and 200 ms), then the sender
        // owes a wake-all.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !sender.overflow.load(Ordering::Acquire) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the failure was noticed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(held);
        sender.wake("challenge:next".into());
        let keys = keys_until(&mut listener, WAKE_ALL).await;
        assert_eq!(keys, [WAKE_ALL]);
    }
}
