//! Webhook dispatchers over the outbox, with a recording transport: two
//! instances on one PostgreSQL database deliver every event once, events
//! outlive a restart (SQLite file and PostgreSQL), a local emit wakes its
//! dispatcher at once and the poll finds the rest.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroizing;

use super::store::Db;
use crate::clock::ManualClock;
use crate::settings::WebhookConfig;
use crate::store::{OutboxEvent, Store};
use crate::webhook::sign::verify;
use crate::webhook::{Destinations, RetryPolicy, WebhookEvent, WebhookTransport, Webhooks};

const T0: u64 = 1_700_000_000;
const SECRET: &str = "whsec_outbox-test";
const URL: &str = "https://hooks.example.com/assent";

/// One POST as the receiver saw it.
#[derive(Debug, Clone)]
struct Post {
    id: String,
    signature: String,
    body: Vec<u8>,
}

/// A receiver in process: records every POST and answers 200, or fails to
/// connect while it is down. It also notes an event id arriving while an
/// earlier POST of it is still in flight.
#[derive(Default)]
struct Recorder {
    posts: Mutex<Vec<Post>>,
    in_flight: Mutex<HashMap<String, usize>>,
    overlapped: Mutex<Vec<String>>,
    down: AtomicBool,
    delay: Duration,
}

impl Recorder {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            ..Self::default()
        })
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// POSTs per event id.
    fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for post in self.posts() {
            *counts.entry(post.id).or_default() += 1;
        }
        counts
    }
}

#[async_trait]
impl WebhookTransport for Recorder {
    async fn post(
        &self,
        _url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let id = header("assent-webhook-id");
        self.posts.lock().unwrap().push(Post {
            id: id.clone(),
            signature: header("assent-webhook-signature"),
            body,
        });
        if self.down.load(Ordering::SeqCst) {
            return Err("connection failed".into());
        }
        {
            let mut flying = self.in_flight.lock().unwrap();
            let n = flying.entry(id.clone()).or_default();
            if *n > 0 {
                self.overlapped.lock().unwrap().push(id.clone());
            }
            *n += 1;
        }
        tokio::time::sleep(self.delay).await;
        if let Some(n) = self.in_flight.lock().unwrap().get_mut(&id) {
            *n -= 1;
        }
        Ok(200)
    }
}

fn policy(poll: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        poll,
    }
}

/// One relay instance's webhooks on `db`: a store of its own, the settings
/// beside it, `recorder` as the receiver.
async fn instance(
    db: &Db,
    recorder: &Arc<Recorder>,
    clock: &Arc<ManualClock>,
    poll: Duration,
    seed: u64,
) -> (Arc<dyn Store>, Webhooks) {
    let store = db.open(0).await;
    let settings = crate::settings::open(db.url()).await.unwrap();
    let webhooks = Webhooks::spawn(
        store.clone(),
        settings,
        recorder.clone(),
        clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        policy(poll),
        Destinations::default(),
    );
    (store, webhooks)
}

/// A database with tenants `t1` (webhook at [`URL`]) and `t2` (none).
async fn database(db: &Db) {
    db.store().await;
    let settings = crate::settings::open(db.url()).await.unwrap();
    let hook = WebhookConfig {
        url: URL.into(),
        secret: Zeroizing::new(SECRET.into()),
    };
    settings.set_webhook("t1", Some(&hook), 0).await.unwrap();
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn until_rows(db: &Db, query: &str, n: i64) {
    let start = Instant::now();
    loop {
        let rows = db.scalar(query).await;
        if rows == n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {query} is {rows}, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn answer(i: usize) -> WebhookEvent {
    WebhookEvent::AnswerReceived {
        challenge_id: format!("c{i}"),
    }
}

/// A waiting event of `t1` named `id`, due at `due_secs` on the relay's clock.
fn waiting(id: &str, due_secs: u64) -> OutboxEvent {
    OutboxEvent {
        event_id: id.into(),
        tenant_id: "t1".into(),
        event_type: "answer.received".into(),
        subject: format!("challenge-{id}"),
        created_at: i64::try_from(T0).unwrap(),
        attempts: 0,
        next_attempt_at: i64::try_from(due_secs * 1000).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_every_event_once() {
    let db = Db::postgres().await;
    database(&db).await;
    let recorder = Recorder::new(Duration::from_millis(3));
    let clock = Arc::new(ManualClock::new(T0));
    let poll = Duration::from_millis(5);
    let (store, a) = instance(&db, &recorder, &clock, poll, 1).await;
    let (_b_store, b) = instance(&db, &recorder, &clock, poll, 2).await;
    // Events waiting for a time to come (as retries do), so that both
    // dispatchers, polling, find the same rows due at once.
    let n = 400;
    for i in 0..n {
        store
            .enqueue_event(&waiting(&format!("evt{i:04}"), T0 + 5))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(recorder.posts().is_empty(), "nothing due yet");
    clock.advance(5);
    // And more emitted through both while they deliver.
    for i in 0..100 {
        let through = if i % 2 == 0 { &a } else { &b };
        through.emit("t1", answer(i)).await;
    }
    let total = n + 100;
    until("every event delivered", || recorder.counts().len() == total).await;
    until_rows(&db, "SELECT COUNT(*) FROM webhook_outbox", 0).await;
    // Nothing more arrives once the outbox is empty.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let counts = recorder.counts();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(counts.len(), total);
    assert!(
        recorder.overlapped.lock().unwrap().is_empty(),
        "one event in flight on both instances"
    );
    let by = |w: &Webhooks| w.stats().delivered.load(Ordering::SeqCst);
    let (by_a, by_b) = (by(&a), by(&b));
    assert_eq!(usize::try_from(by_a + by_b).unwrap(), total);
    assert!(by_a > 0 && by_b > 0, "both delivered: {by_a} + {by_b}");
}

/// Events emitted while the receiver is down, then the instance stops (its
/// store and webhooks dropped); a new one on the same database delivers
/// them, with the same ids and bodies, signed afresh.
async fn events_outlive_a_restart(db: Db) {
    database(&db).await;
    let recorder = Recorder::new(Duration::ZERO);
    recorder.down.store(true, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(T0));
    let (store, webhooks) = instance(&db, &recorder, &clock, Duration::from_millis(10), 1).await;
    for i in 0..3 {
        webhooks.emit("t1", answer(i)).await;
    }
    // A tenant without a webhook stores nothing.
    webhooks.emit("t2", answer(9)).await;
    // Stored before emit returned (the dispatcher may have claimed them).
    assert_eq!(db.scalar("SELECT COUNT(*) FROM webhook_outbox").await, 3);
    // Each tried once, failed and rescheduled (the clock stands still, so
    // no retry comes due).
    until_rows(
        &db,
        "SELECT COUNT(*) FROM webhook_outbox WHERE attempts = 1 AND claimed_until IS NULL",
        3,
    )
    .await;
    let failed = recorder.posts();
    assert_eq!(failed.len(), 3);
    drop(webhooks);
    drop(store);

    // The restart: a new instance, later, and the receiver is back.
    let recorder = Recorder::new(Duration::ZERO);
    let clock = Arc::new(ManualClock::new(T0 + 10));
    let (_store, webhooks) = instance(&db, &recorder, &clock, Duration::from_millis(10), 2).await;
    until("delivered after the restart", || {
        recorder.posts().len() == 3
    })
    .await;
    until_rows(&db, "SELECT COUNT(*) FROM webhook_outbox", 0).await;
    let mut before: Vec<_> = failed.iter().map(|p| (&p.id, &p.body)).collect();
    let delivered = recorder.posts();
    let mut after: Vec<_> = delivered.iter().map(|p| (&p.id, &p.body)).collect();
    before.sort();
    after.sort();
    assert_eq!(before, after, "the same events, ids and bodies");
    for post in &delivered {
        // Signed at the new instance's time; the body keeps the event's.
        assert!(verify(SECRET, &post.signature, &post.body, T0 + 10, 0));
        let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
        assert_eq!(body["created_at"], T0);
        assert_eq!(body["id"], post.id.as_str());
    }
    assert_eq!(webhooks.stats().delivered.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_outlive_a_restart_on_sqlite() {
    events_outlive_a_restart(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_outlive_a_restart_on_postgres() {
    events_outlive_a_restart(Db::postgres().await).await;
}

/// With a poll of a minute, an event another instance left waits; a local
/// emit wakes the dispatcher, which then takes both.
async fn a_local_emit_wakes_the_dispatcher_at_once(db: Db) {
    database(&db).await;
    let recorder = Recorder::new(Duration::ZERO);
    let clock = Arc::new(ManualClock::new(T0));
    let (store, webhooks) = instance(&db, &recorder, &clock, Duration::from_secs(60), 1).await;
    // The dispatcher's first read found nothing; now it sleeps.
    tokio::time::sleep(Duration::from_millis(200)).await;
    store
        .enqueue_event(&waiting("from-elsewhere", T0))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recorder.posts().is_empty(), "not read before the poll");
    let start = Instant::now();
    webhooks.emit("t1", answer(1)).await;
    until("both delivered", || recorder.posts().len() == 2).await;
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(recorder.counts().get("from-elsewhere"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_emit_wakes_the_dispatcher_at_once_on_sqlite() {
    a_local_emit_wakes_the_dispatcher_at_once(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_emit_wakes_the_dispatcher_at_once_on_postgres() {
    a_local_emit_wakes_the_dispatcher_at_once(Db::postgres().await).await;
}

/// An event another instance stored is found by the poll, without any
/// local emit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_poll_finds_events_of_other_instances() {
    let db = Db::postgres().await;
    database(&db).await;
    let recorder = Recorder::new(Duration::ZERO);
    let clock = Arc::new(ManualClock::new(T0));
    let (_store, _webhooks) = instance(&db, &recorder, &clock, Duration::from_millis(50), 1).await;
    let other = db.open(0).await;
    let mut event = waiting("from-b", T0);
    event.event_type = "unenroll.requested".into();
    event.subject = "d1".into();
    other.enqueue_event(&event).await.unwrap();
    until("delivered by the poll", || recorder.posts().len() == 1).await;
    let body: serde_json::Value = serde_json::from_slice(&recorder.posts()[0].body).unwrap();
    assert_eq!(body["data"], serde_json::json!({ "device_id": "d1" }));
    assert_eq!(body["type"], "unenroll.requested");
}
