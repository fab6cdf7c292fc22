//! A read-through cache for the two lookups on the path of nearly every
//! request: the API key of an RP request and the device of a signed phone
//! request.
//!
//! Without it, one complete approval costs five of these lookups (two API
//! keys, three devices) on top of the four queries that do the work, and on
//! SQLite each query is a round trip to a connection's worker thread.
//!
//! What keeps it correct:
//!
//! - The store that owns a cache drops the entry in every write that changes
//!   the record (revoking a key, removing a device, a new push token, an
//!   unenroll request), so within the process a change is seen at once.
//! - A lookup that started before such a write never puts its (older) record
//!   into the cache: every removal moves a generation counter, and an insert
//!   carries the generation read before its database query
//!   ([`LookupCache::ticket`]).
//! - Entries live at most `ttl`. That bounds what a writer *outside* the
//!   process can leave stale: `assent-relay admin keys revoke` run beside a
//!   live relay takes effect within `ttl` (one second by default).
//! - Only found records are cached, never "no such key": an unknown key or
//!   device is asked of the database every time, as before.
//! - The number of entries is capped; when full, expired entries go first,
//!   then everything (an unbounded cache would be a memory lever).
//!
//! Both backends keep their caches in a [`StoreCaches`]. On SQLite one relay
//! process owns the file, so challenges are cached as this process wrote them
//! ([`ChallengeCaching::AsWritten`]). On PostgreSQL other instances write the
//! same rows: API keys and devices changed by another instance are seen within
//! `ttl` (the documented bound, one second by default), and only *answered*
//! challenges are cached ([`ChallengeCaching::AnsweredOnly`]), since an answer
//! is final: a pending challenge is always read from the database, so one
//! answered through another instance is never served as pending.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{ApiKeyRecord, ChallengeRecord, ChallengeState, DeviceRecord};

/// Default cap on the entries of one cache.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// A cached record and when it was read from the database.
struct Entry<V> {
    value: V,
    read_at: Instant,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    generation: u64,
    /// When expired entries were last dropped.
    swept_at: Instant,
}

/// The generation seen before a database read; see [`LookupCache::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// Records by id, each kept at most `ttl`.
pub struct LookupCache<V> {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner<V>>,
}

impl<V> std::fmt::Debug for LookupCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the records: an API key's hash, a push token.
        f.debug_struct("LookupCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<V: Clone> LookupCache<V> {
    /// A cache keeping each record at most `ttl` (zero: caches nothing).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
                swept_at: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        // A panic while holding this lock cannot leave the map half-changed
        // in a way that matters (entries are whole records), so a poisoned
        // lock is used as is.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The record cached for `key`, if read less than `ttl` ago.
    pub fn get(&self, key: &str) -> Option<V> {
        let inner = self.lock();
        let entry = inner.entries.get(key)?;
        (entry.read_at.elapsed() < self.ttl).then(|| entry.value.clone())
    }

    /// Take before reading the database; hand to [`LookupCache::insert`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Caches `value`, read from the database after `ticket` was taken,
    /// unless a record was invalidated since (the value may predate that
    /// write).
    pub fn insert(&self, ticket: Ticket, key: &str, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.generation == ticket.0 {
            self.put(&mut inner, key, value);
        }
    }

    /// Stores under the lock. Expired entries are dropped once per `ttl`
    /// (so the cache holds about what was put in the last two `ttl`s) and
    /// when it is full; if it is still more than half full then, it is
    /// emptied.
    fn put(&self, inner: &mut Inner<V>, key: &str, value: V) {
        let now = Instant::now();
        let ttl = self.ttl;
        let full = inner.entries.len() >= self.capacity && !inner.entries.contains_key(key);
        if full || now.saturating_duration_since(inner.swept_at) >= ttl {
            inner
                .entries
                .retain(|_, e| now.saturating_duration_since(e.read_at) < ttl);
            inner.swept_at = now;
            if full && inner.entries.len() > self.capacity / 2 {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            key.to_owned(),
            Entry {
                value,
                read_at: now,
            },
        );
    }

    /// The record for `key`: cached, else `load`ed (and cached when found,
    /// unless a write to the cache happened meanwhile; see [`Ticket`]).
    pub async fn read_through<E, F>(&self, key: &str, load: F) -> Result<Option<V>, E>
    where
        F: std::future::Future<Output = Result<Option<V>, E>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(Some(hit));
        }
        let ticket = self.ticket();
        let record = load.await?;
        if let Some(record) = &record {
            self.insert(ticket, key, record.clone());
        }
        Ok(record)
    }

    /// Forgets `key`; call in every write that changes its record, after the
    /// write committed.
    pub fn invalidate(&self, key: &str) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.entries.remove(key);
    }

    /// Puts a record this process just wrote, replacing any older copy; a
    /// lookup that started before is refused its insert, as after
    /// [`LookupCache::invalidate`].
    pub fn replace(&self, key: &str, value: V) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        if self.ttl.is_zero() {
            inner.entries.remove(key);
        } else {
            self.put(&mut inner, key, value);
        }
    }

    /// Forgets everything (a write that changes many records).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.entries.clear();
    }

    /// Number of entries (fresh or not).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entry is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which challenges a store may serve from its cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeCaching {
    /// Every challenge as this process last wrote it (one process owns the
    /// database).
    AsWritten,
    /// Answered challenges only (the database is shared; an answer is final).
    AnsweredOnly,
}

/// Challenges are larger records (about 1 KiB): fewer of them.
const CHALLENGE_CAPACITY: usize = 16_384;

/// The caches of the reads on every approval's path: API keys and devices
/// (read through), and challenges as the store wrote them (put by the writes
/// that create and answer them), by id and by push id.
#[derive(Debug)]
pub struct StoreCaches {
    /// API keys by id.
    pub api_keys: LookupCache<ApiKeyRecord>,
    /// Devices by id.
    pub devices: LookupCache<DeviceRecord>,
    challenges: LookupCache<Arc<ChallengeRecord>>,
    pushes: LookupCache<Arc<ChallengeRecord>>,
    caching: ChallengeCaching,
}

impl StoreCaches {
    /// Caches keeping records at most `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration, caching: ChallengeCaching) -> Arc<Self> {
        Arc::new(Self {
            api_keys: LookupCache::new(ttl, DEFAULT_CAPACITY),
            devices: LookupCache::new(ttl, DEFAULT_CAPACITY),
            challenges: LookupCache::new(ttl, CHALLENGE_CAPACITY),
            pushes: LookupCache::new(ttl, CHALLENGE_CAPACITY),
            caching,
        })
    }

    /// A challenge as just written (created or answered).
    pub fn put_challenge(&self, record: ChallengeRecord) {
        if self.caching == ChallengeCaching::AnsweredOnly
            && record.state != ChallengeState::Answered
        {
            return;
        }
        let record = Arc::new(record);
        self.pushes.replace(&record.push_id, record.clone());
        self.challenges
            .replace(&record.challenge_id.clone(), record);
    }

    /// The cached challenge with this id.
    pub fn challenge(&self, challenge_id: &str) -> Option<ChallengeRecord> {
        self.challenges
            .get(challenge_id)
            .map(|hit| ChallengeRecord::clone(&hit))
    }

    /// The cached challenge with this push id.
    pub fn challenge_by_push_id(&self, push_id: &str) -> Option<ChallengeRecord> {
        self.pushes
            .get(push_id)
            .map(|hit| ChallengeRecord::clone(&hit))
    }

    /// Drops every cached challenge (some were deleted).
    pub fn forget_challenges(&self) {
        self.challenges.clear();
        self.pushes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> LookupCache<u32> {
        LookupCache::new(Duration::from_secs(1), 4)
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_ttl() {
        let c = cache();
        let t = c.ticket();
        c.insert(t, "a", 1);
        assert_eq!(c.get("a"), Some(1));
        tokio::time::advance(Duration::from_millis(999)).await;
        assert_eq!(c.get("a"), Some(1));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(c.get("a"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_forgets_at_once() {
        let c = cache();
        c.insert(c.ticket(), "a", 1);
        c.invalidate("a");
        assert_eq!(c.get("a"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_older_than_an_invalidation_is_not_cached() {
        let c = cache();
        // A lookup starts (ticket), a write commits and invalidates, then
        // the lookup's older record arrives.
        let before = c.ticket();
        c.invalidate("a");
        c.insert(before, "a", 1);
        assert_eq!(c.get("a"), None);
        // Even for another key: the generation is global, conservatively.
        c.insert(before, "b", 2);
        assert_eq!(c.get("b"), None);
        // A lookup that started after the write is cached.
        c.insert(c.ticket(), "a", 3);
        assert_eq!(c.get("a"), Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn replace_wins_over_a_lookup_that_started_before() {
        let c = cache();
        let before = c.ticket();
        // The write commits and puts its record ...
        c.replace("a", 2);
        // ... and the older lookup's record arrives late.
        c.insert(before, "a", 1);
        assert_eq!(c.get("a"), Some(2));
        // Two writers in a row: the last one's record is kept (a replace is
        // never refused, unlike an insert with an old ticket).
        c.replace("a", 3);
        c.replace("a", 4);
        assert_eq!(c.get("a"), Some(4));
        c.clear();
        assert!(c.is_empty());
        c.insert(before, "a", 1);
        assert_eq!(c.get("a"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_ttl_caches_nothing() {
        let c = LookupCache::new(Duration::ZERO, 4);
        c.insert(c.ticket(), "a", 1);
        c.replace("b", 2);
        assert_eq!(c.get("a"), None);
        assert!(c.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn capacity_is_a_hard_bound() {
        let c = cache();
        for i in 0..100u32 {
            c.insert(c.ticket(), &format!("k{i}"), i);
            assert!(c.len() <= 4, "len {} after {i}", c.len());
        }
        // The newest entry is always kept.
        assert_eq!(c.get("k99"), Some(99));
        // Expired entries are dropped first when full.
        let c = cache();
        for key in ["a", "b", "c"] {
            c.insert(c.ticket(), key, 0);
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        c.insert(c.ticket(), "d", 4);
        c.insert(c.ticket(), "e", 5);
        assert_eq!(c.len(), 2);
        assert_eq!((c.get("d"), c.get("e")), (Some(4), Some(5)));
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_swept_without_filling_up() {
        let c = LookupCache::new(Duration::from_secs(1), 1000);
        for i in 0..10u32 {
            c.insert(c.ticket(), &format!("old{i}"), i);
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        c.insert(c.ticket(), "new", 0);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn debug_shows_no_records() {
        let c = LookupCache::new(Duration::from_secs(1), 4);
        c.insert(c.ticket(), "a", "secret-token".to_owned());
        assert!(!format!("{c:?}").contains("secret-token"));
    }
}
