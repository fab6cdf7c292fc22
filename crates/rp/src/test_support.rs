//! Shared helpers for the unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::error::Result;
use crate::secret_hash::{Argon2idHasher, SecretHasher, SALT_LEN};
use crate::{ManualClock, MemoryStore, Rp, RpStore, SqliteStore};

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

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub(crate) fn memory() -> Arc<dyn RpStore> {
    Arc::new(MemoryStore::new())
}

pub(crate) fn sqlite() -> Arc<dyn RpStore> {
    Arc::new(SqliteStore::open_in_memory().unwrap())
}

/// Runs each named `fn(Arc<dyn RpStore>)` against both stores.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory_store {
            $( #[test] fn $name() { super::$name($crate::test_support::memory()) } )*
        }
        mod sqlite_store {
            $( #[test] fn $name() { super::$name($crate::test_support::sqlite()) } )*
        }
    };
}
pub(crate) use on_both_stores;
