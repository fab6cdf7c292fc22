//! Small test doubles: an event sink that records, a password hasher that counts (over
//! real argon2id or a cheap stand-in), the high-S twin of a signature, a login context.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use assent_protocol::LoginContext;
use assent_rp::{Event, EventSink, SecretHasher, SALT_LEN};
use p256::ecdsa::Signature;

/// Records every event the RP delivers.
#[derive(Debug, Default)]
pub struct RecordingEvents(Mutex<Vec<Event>>);

impl RecordingEvents {
    /// Every event so far, in order.
    pub fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl EventSink for RecordingEvents {
    fn deliver(&self, event: &Event) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
    }
}

pub use assent_rp::testing::FastHasher;

/// Counts the hashes computed (by `hash` and by `verify`) through an inner hasher.
#[derive(Debug)]
pub struct CountingHasher {
    inner: Box<dyn SecretHasherDebug>,
    count: AtomicUsize,
}

/// A [`SecretHasher`] that is also `Debug`.
pub trait SecretHasherDebug: SecretHasher + std::fmt::Debug {}
impl<T: SecretHasher + std::fmt::Debug> SecretHasherDebug for T {}

impl CountingHasher {
    /// Counts through `inner`.
    pub fn new(inner: impl SecretHasher + std::fmt::Debug + 'static) -> Self {
        Self {
            inner: Box::new(inner),
            count: AtomicUsize::new(0),
        }
    }

    /// Hashes computed so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl SecretHasher for CountingHasher {
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> assent_rp::Result<String> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(secret, salt)
    }

    fn verify(&self, secret: &[u8], encoded: &str) -> assent_rp::Result<bool> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(secret, encoded)
    }
}

/// The other valid ECDSA signature of the same message: `(r, n − s)` (high-S ↔ low-S).
pub fn high_s_twin(der: &[u8]) -> Vec<u8> {
    let sig = Signature::from_der(der).expect("a DER P-256 signature");
    let (r, s) = sig.split_scalars();
    let neg_s = -*s;
    let twin = Signature::from_scalars(r.to_bytes(), neg_s.to_bytes()).expect("valid scalars");
    let twin = twin.to_der().as_bytes().to_vec();
    assert_ne!(twin, der, "the twin differs in its bytes");
    twin
}

/// The login context of the tests' browser.
pub fn context(time: u64) -> LoginContext {
    LoginContext::new(
        "Firefox 126 on Windows",
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        "Bern, CH",
        time,
    )
}
