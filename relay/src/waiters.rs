//! Wake-ups for long-polls: a request waiting for a challenge's answer parks
//! on a [`tokio::sync::Notify`] keyed by the challenge, and the answer handler
//! wakes it the instant the answer is stored. Shutdown wakes everyone so
//! in-flight long-polls return promptly and graceful shutdown is quick.
//!
//! Each parked long-poll holds a slot of its owner (a tenant or a device), so
//! that one relying party or one device cannot hold the relay's connections
//! ([`Waiters::hold`], issue 13 finding 6).
//!
//! This is per process; several relay instances on one database will need a
//! shared signal (e.g. PostgreSQL LISTEN/NOTIFY) behind the same calls.

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

    /// Waits on `key` for at most `timeout`, re-checking `ready` after
    /// subscribing so an answer stored in between is never missed.
    ///
    /// `ready` reads the current state; the wait is skipped when it returns
    /// `true`.
    pub async fn wait<F, Fut, E>(
        &self,
        key: &str,
        timeout: Duration,
        ready: F,
    ) -> Result<WaitEnd, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<bool, E>>,
    {
        let notify = self.subscribe(key);
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return Ok(WaitEnd::ShuttingDown);
        }
        if ready().await? {
            return Ok(WaitEnd::Woken);
        }
        tokio::select! {
            () = notified => Ok(WaitEnd::Woken),
            () = tokio::time::sleep(timeout) => Ok(WaitEnd::TimedOut),
            _ = shutdown.changed() => Ok(WaitEnd::ShuttingDown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::time::Instant;

    #[tokio::test]
    async fn wake_ends_a_wait_at_once() {
        let waiters = Arc::new(Waiters::new());
        let w = waiters.clone();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let end = w
                .wait("c1", Duration::from_secs(30), || async {
                    Ok::<_, Infallible>(false)
                })
                .await
                .unwrap();
            (end, start.elapsed())
        });
        while waiters.is_empty() {
            tokio::task::yield_now().await;
        }
        waiters.wake("c1");
        let (end, elapsed) = task.await.unwrap();
        assert_eq!(end, WaitEnd::Woken);
        assert!(elapsed < Duration::from_secs(5));
        assert!(waiters.is_empty());
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
