//! Wake-ups for long-polls: a request waiting for a challenge's answer parks
//! on a [`tokio::sync::Notify`] keyed by the challenge, and the answer handler
//! wakes it the instant the answer is stored. Shutdown wakes everyone so
//! in-flight long-polls return promptly and graceful shutdown is quick.
//!
//! Each parked long-poll holds a slot of its owner (a tenant or a device), so
//! that one relying party or one device cannot hold the relay's connections
//! ([`Waiters::hold`], issue 13 finding 6).
//!
//! This registry is per process. With several instances on PostgreSQL, the
//! store sends each wake-up to every instance too (`NOTIFY` in the statement
//! that makes the change), and each instance's listener hands them to
//! [`Waiters::wake`] here (`store/postgres/wake.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{watch, Notify};

/// The keys long-polls wait on.
pub mod keys {
    /// A challenge's answer (the RP waits).
    pub fn challenge(challenge_id: &str) -> String {
        format!("challenge:{challenge_id}")
    }
    /// New challenges for a device (the phone polls).
    pub fn device(device_id: &str) -> String {
        format!("device:{device_id}")
    }
    /// A registration for an eid (the RP waits).
    pub fn registration(eid: &str) -> String {
        format!("registration:{eid}")
    }
    /// Any registration for a tenant (the RP waits).
    pub fn tenant_registrations(tenant_id: &str) -> String {
        format!("registrations:{tenant_id}")
    }
    /// The enrollment answer for an eid (the phone waits).
    pub fn enrollment_answer(eid: &str) -> String {
        format!("enrolled:{eid}")
    }
}

/// Registry of parked long-polls.
#[derive(Debug)]
pub struct Waiters {
    map: Mutex<HashMap<String, Weak<Notify>>>,
    held: Mutex<HashMap<String, u32>>,
    shutdown: watch::Sender<bool>,
}

/// Who holds a long-poll, for its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A relying party, by tenant id.
    Tenant(&'a str),
    /// A device, by device id.
    Device(&'a str),
}

impl Owner<'_> {
    fn key(self) -> String {
        match self {
            Owner::Tenant(id) => format!("tenant:{id}"),
            Owner::Device(id) => format!("device:{id}"),
        }
    }
}

/// A long-poll slot, given back when dropped.
#[derive(Debug)]
pub struct Held<'a> {
    waiters: &'a Waiters,
    key: String,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut held = lock(&self.waiters.held);
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Default for Waiters {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// Woken by [`Waiters::wake`].
    Woken,
    /// The time ran out.
    TimedOut,
    /// The relay is shutting down.
    ShuttingDown,
}

impl Waiters {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            held: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
        }
    }

    /// One of `owner`'s long-poll slots, if it holds fewer than `limit` (0: no cap);
    /// `None` when it already holds them all.
    pub fn hold(&self, owner: Owner<'_>, limit: u32) -> Option<Held<'_>> {
        let key = owner.key();
        let mut held = lock(&self.held);
        let count = held.entry(key.clone()).or_insert(0);
        if limit != 0 && *count >= limit {
            return None;
        }
        *count += 1;
        Some(Held { waiters: self, key })
    }

    /// The notifier for `key`, shared by every waiter on it.
    pub fn subscribe(&self, key: &str) -> Arc<Notify> {
        let mut map = match self.map.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        if map.len() >= 1024 {
            map.retain(|_, weak| weak.strong_count() > 0);
        }
        let notify = Arc::new(Notify::new());
        map.insert(key.to_owned(), Arc::downgrade(&notify));
        notify
    }

    /// Wakes every waiter on `key` (no-op when none).
    pub fn wake(&self, key: &str) {
        let mut map = match self.map.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(weak) = map.remove(key) {
            if let Some(notify) = weak.upgrade() {
                notify.notify_waiters();
            }
        }
    }

    /// Number of keys with live waiters (for tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        let map = match self.map.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.values().filter(|w| w.strong_count() > 0).count()
    }

    /// How many long-poll slots `owner` holds (for tests).
    #[cfg(test)]
    pub fn holding(&self, owner: Owner<'_>) -> u32 {
        lock(&self.held).get(&owner.key()).copied().unwrap_or(0)
    }

    /// Whether no one waits.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wakes every current and future waiter: the relay is stopping.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Wakes every waiter on every key: each re-reads the database and goes
    /// on waiting if nothing changed. For when wake-ups may have been missed
    /// (the PostgreSQL listener reconnected).
    pub fn wake_all(&self) {
        let woken: Vec<Arc<Notify>> = lock(&self.map)
            .drain()
            .filter_map(|(_, weak)| weak.upgrade())
            .collect();
        for notify in woken {
            notify.notify_waiters();
        }
    }

    /// Waits on `key` for at most `timeout` until `ready` says the state it
    /// waits for is there. `ready` reads the current state: first after
    /// subscribing (so a change stored in between is never missed), then after
    /// every wake-up, so a wake-up that changed nothing for this waiter (one
    /// sent to every key, or a repeat from another instance) only costs a
    /// read, and the wait goes on.
    pub async fn wait<F, Fut, E>(
        &self,
        key: &str,
        timeout: Duration,
        ready: F,
    ) -> Result<WaitEnd, E>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, E>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut shutdown = self.shutdown.subscribe();
        loop {
            let notify = self.subscribe(key);
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if *shutdown.borrow_and_update() {
                return Ok(WaitEnd::ShuttingDown);
            }
            if ready().await? {
                return Ok(WaitEnd::Woken);
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(deadline) => return Ok(WaitEnd::TimedOut),
                _ = shutdown.changed() => return Ok(WaitEnd::ShuttingDown),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Instant;

    /// A waiter on `key` whose state turns ready when `flag` is set; returns
    /// how its wait ended and how many times it read the state.
    fn spawn_waiter(
        waiters: &Arc<Waiters>,
        key: &'static str,
        flag: &Arc<AtomicBool>,
    ) -> tokio::task::JoinHandle<(WaitEnd, usize)> {
        let (w, flag) = (waiters.clone(), flag.clone());
        tokio::spawn(async move {
            let reads = Arc::new(AtomicUsize::new(0));
            let end = w
                .wait(key, Duration::from_secs(30), || {
                    let (flag, reads) = (flag.clone(), reads.clone());
                    async move {
                        reads.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, Infallible>(flag.load(Ordering::SeqCst))
                    }
                })
                .await
                .unwrap();
            (end, reads.load(Ordering::SeqCst))
        })
    }

    async fn parked(waiters: &Waiters, n: usize) {
        while waiters.len() < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn wake_ends_a_wait_at_once() {
        let waiters = Arc::new(Waiters::new());
        let flag = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let task = spawn_waiter(&waiters, "c1", &flag);
        parked(&waiters, 1).await;
        flag.store(true, Ordering::SeqCst);
        waiters.wake("c1");
        let (end, reads) = task.await.unwrap();
        assert_eq!((end, reads), (WaitEnd::Woken, 2));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(waiters.is_empty());
    }

    #[tokio::test]
    async fn a_wake_that_changed_nothing_rereads_and_goes_on_waiting() {
        let waiters = Arc::new(Waiters::new());
        let (c1, c2) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let first = spawn_waiter(&waiters, "c1", &c1);
        let second = spawn_waiter(&waiters, "c2", &c2);
        parked(&waiters, 2).await;
        // What a listener reconnect does: every waiter re-reads.
        waiters.wake_all();
        parked(&waiters, 2).await;
        assert!(!first.is_finished() && !second.is_finished());
        c2.store(true, Ordering::SeqCst);
        waiters.wake_all();
        assert_eq!(second.await.unwrap(), (WaitEnd::Woken, 3));
        c1.store(true, Ordering::SeqCst);
        waiters.wake("c1");
        assert_eq!(first.await.unwrap(), (WaitEnd::Woken, 4));
    }

    #[tokio::test]
    async fn ready_state_skips_the_wait_and_timeouts_end_it() {
        let waiters = Waiters::new();
        let end = waiters
            .wait("c", Duration::from_secs(30), || async {
                Ok::<_, Infallible>(true)
            })
            .await
            .unwrap();
        assert_eq!(end, WaitEnd::Woken);
        let end = waiters
            .wait("c", Duration::from_millis(10), || async {
                Ok::<_, Infallible>(false)
            })
            .await
            .unwrap();
        assert_eq!(end, WaitEnd::TimedOut);
    }

    #[test]
    fn slots_are_capped_per_owner_and_given_back() {
        let waiters = Waiters::new();
        let a = waiters.hold(Owner::Device("d1"), 2).unwrap();
        let _b = waiters.hold(Owner::Device("d1"), 2).unwrap();
        assert!(waiters.hold(Owner::Device("d1"), 2).is_none());
        // Another owner, and a tenant of the same id, have slots of their own.
        assert!(waiters.hold(Owner::Device("d2"), 2).is_some());
        assert!(waiters.hold(Owner::Tenant("d1"), 2).is_some());
        drop(a);
        assert!(waiters.hold(Owner::Device("d1"), 2).is_some());
        // 0: no cap.
        let many: Vec<_> = (0..100)
            .map(|_| waiters.hold(Owner::Tenant("t"), 0).unwrap())
            .collect();
        drop(many);
        assert!(lock(&waiters.held).keys().all(|k| k == "device:d1"));
    }

    #[tokio::test]
    async fn shutdown_releases_waiters() {
        let waiters = Arc::new(Waiters::new());
        let w = waiters.clone();
        let task = tokio::spawn(async move {
            w.wait("c", Duration::from_secs(30), || async {
                Ok::<_, Infallible>(false)
            })
            .await
            .unwrap()
        });
        while waiters.is_empty() {
            tokio::task::yield_now().await;
        }
        waiters.shut_down();
        assert_eq!(task.await.unwrap(), WaitEnd::ShuttingDown);
        let after = waiters
            .wait("d", Duration::from_secs(30), || async {
                Ok::<_, Infallible>(false)
            })
            .await
            .unwrap();
        assert_eq!(after, WaitEnd::ShuttingDown);
    }
}
