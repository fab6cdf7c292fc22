//! Shared helpers for the unit tests.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::error::Result;
use crate::secret_hash::{Argon2idHasher, SecretHasher, SALT_LEN};
use crate::{ManualClock, MemoryStore, Rp, RpStore, SqliteStore, Verification};

/// Argon2id with cheap parameters that counts its invocations.
#[derive(Debug)]
pub(crate) struct CountingHasher {
    inner: Argon2idHasher,
    hashes: AtomicUsize,
    verifies: AtomicUsize,
}

impl CountingHasher {
    pub(crate) fn new() -> Self {
        Self {
            inner: Argon2idHasher::fast_for_tests(),
            hashes: AtomicUsize::new(0),
            verifies: AtomicUsize::new(0),
        }
    }
    /// Hashes computed by `hash` plus `verify` so far.
    pub(crate) fn total(&self) -> usize {
        self.hashes.load(Ordering::SeqCst) + self.verifies.load(Ordering::SeqCst)
    }
}

impl SecretHasher for CountingHasher {
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> Result<String> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(secret, salt)
    }
    fn verify(&self, secret: &[u8], encoded: &str) -> Result<bool> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(secret, encoded)
    }
}

/// An RP over `store` with a manual clock at `now` and a counting hasher.
pub(crate) struct Fixture {
    pub rp: Rp,
    pub clock: Arc<ManualClock>,
    pub hasher: Arc<CountingHasher>,
}

pub(crate) fn fixture(store: Arc<dyn RpStore>, now: u64) -> Fixture {
    let clock = Arc::new(ManualClock::new(now));
    let hasher = Arc::new(CountingHasher::new());
    let rp = Rp::from_arc(store)
        .with_clock(clock.clone())
        .with_hasher(hasher.clone());
    Fixture { rp, clock, hasher }
}

/// Runs `attempt` on each RP in its own task, released together (two server processes
/// checking the same login at once); returns how many were accepted.
pub(crate) async fn accepted_at_once<F, Fut>(rps: [&Rp; 2], attempt: F) -> usize
where
    F: Fn(Rp) -> Fut,
    Fut: Future<Output = Result<Verification>> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(rps.len()));
    let tasks = rps.map(|rp| {
        let (barrier, attempt) = (barrier.clone(), attempt(rp.clone()));
        tokio::spawn(async move {
            barrier.wait().await;
            attempt.await.unwrap()
        })
    });
    let mut accepted = 0;
    for task in tasks {
        accepted += usize::from(task.await.unwrap().is_accepted());
    }
    accepted
}

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub(crate) fn memory() -> Arc<dyn RpStore> {
    Arc::new(MemoryStore::new())
}

pub(crate) async fn sqlite() -> Arc<dyn RpStore> {
    Arc::new(SqliteStore::open_in_memory().await.unwrap())
}

/// A store in a new database file in `dir` (which must outlive it).
pub(crate) async fn sqlite_file(dir: &tempfile::TempDir) -> Arc<dyn RpStore> {
    Arc::new(
        SqliteStore::open(dir.path().join("rp.sqlite"))
            .await
            .unwrap(),
    )
}

/// The URL of a new, empty database on this test process's throwaway PostgreSQL server
/// (started on first use; a machine without PostgreSQL fails the test, never skips it).
#[cfg(feature = "postgres")]
pub(crate) async fn postgres_url() -> String {
    assent_pg_testkit::Server::shared()
        .unwrap()
        .database()
        .await
        .unwrap()
}

/// A store in a new PostgreSQL database.
#[cfg(feature = "postgres")]
pub(crate) async fn postgres() -> Arc<dyn RpStore> {
    Arc::new(
        crate::PgStore::connect(&postgres_url().await, 4)
            .await
            .unwrap(),
    )
}

/// Runs each named `async fn(Arc<dyn RpStore>)` against the memory store and an
/// in-memory SQLite store.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory_store {
            $( #[tokio::test] async fn $name() { super::$name($crate::test_support::memory()).await } )*
        }
        mod sqlite_store {
            $( #[tokio::test] async fn $name() { super::$name($crate::test_support::sqlite().await).await } )*
        }
    };
}
pub(crate) use on_both_stores;

/// Runs each named `async fn(Arc<dyn RpStore>)` against every backend: the memory
/// store, an in-memory SQLite store, an SQLite file and, with the `postgres` feature, a
/// new PostgreSQL database.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        $crate::test_support::on_both_stores!($($name),*);
        mod sqlite_file_store {
            $( #[tokio::test] async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                super::$name($crate::test_support::sqlite_file(&dir).await).await
            } )*
        }
        #[cfg(feature = "postgres")]
        mod postgres_store {
            $( #[tokio::test] async fn $name() {
                super::$name($crate::test_support::postgres().await).await
            } )*
        }
    };
}
pub(crate) use on_every_store;
