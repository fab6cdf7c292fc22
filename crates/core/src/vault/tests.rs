//! Tests of the [`Vault`](super::Vault): opening and creating, the account
//! list, codes and the TOTP offset, and that a failed save changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use assent_otp::{Algorithm, Secret};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use std::sync::Arc;

use assent_otp::OtpKind;

use super::{AccountFields, Vault, VaultEnv, DEFAULT_VAULT_NAME};
use crate::clock::ManualClock;
use crate::error::Error;
use crate::storage::SecureStorage;
use crate::storage::{MemoryStorage, StaticKey, StorageError, VaultKey};
use crate::vault::{AccountKind, CodeTiming};

const RFC_SHA1: &str =
    "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC";
const HOTP: &str = "otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0";

/// Storage whose writes can be made to fail.
#[derive(Default)]
struct Flaky {
    inner: MemoryStorage,
    fail: AtomicBool,
}

impl SecureStorage for Flaky {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(name)
    }
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StorageError::Host("disk full".into()));
        }
        self.inner.put(name, bytes)
    }
    fn delete(&self, name: &str) -> Result<(), StorageError> {
        self.inner.delete(name)
    }
}

struct Fixture {
    storage: Arc<Flaky>,
    clock: Arc<ManualClock>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            storage: Arc::new(Flaky::default()),
            clock: Arc::new(ManualClock::new(59)),
        }
    }
    fn env(&self, seed: u64) -> VaultEnv {
        VaultEnv::new(
            self.storage.clone(),
            Arc::new(StaticKey(VaultKey::from_bytes([5; 32]))),
        )
        .with_clock(self.clock.clone())
        .with_rng(ChaCha20Rng::seed_from_u64(seed))
    }
    fn vault(&self) -> Vault {
        Vault::open_or_create(self.env(1)).unwrap()
    }
    fn reopen(&self) -> Vault {
        Vault::open(self.env(2)).unwrap()
    }
}

#[test]
fn create_open_and_their_errors() {
    let f = Fixture::new();
    assert!(matches!(Vault::open(f.env(1)), Err(Error::NoVault)));
    Vault::create(f.env(1)).unwrap();
    assert!(matches!(Vault::create(f.env(1)), Err(Error::VaultExists)));
    assert!(f.reopen().accounts().is_empty());
}

#[test]
fn totp_codes_at_rfc_times() {
    let f = Fixture::new();
    let mut v = f.vault();
    let id = v.add_uri(RFC_SHA1).unwrap();
    let view = v.code(&id).unwrap();
    assert_eq!(view.code.to_string(), "94287082");
    assert_eq!(view.seconds_left(), Some(1));
    assert_eq!(view.name, "RFC: sha1");
    // The next period starts at 60: its code is t=60's code.
    let totp = v.account(&id).unwrap().otp().totp().unwrap();
    assert_eq!(
        view.next_code().unwrap().to_string(),
        totp.code_at(60).to_string()
    );
    f.clock.set(1_111_111_109);
    assert_eq!(v.codes().unwrap()[0].code.to_string(), "07081804");
}

#[test]
fn add_from_fields_and_bad_input() {
    let f = Fixture::new();
    let mut v = f.vault();
    let fields = AccountFields {
        issuer: Some("Shop".into()),
        account: "me".into(),
        secret: Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        algorithm: Algorithm::Sha256,
        digits: 6,
        kind: OtpKind::Totp { period: 60 },
    };
    let id = v.add_fields(fields.clone()).unwrap();
    let view = v.code(&id).unwrap();
    assert!(matches!(
        view.timing,
        CodeTiming::Totp {
            period: 60,
            seconds_left: 1,
            ..
        }
    ));
    let bad = AccountFields {
        digits: 9,
        ..fields
    };
    assert!(matches!(v.add_fields(bad), Err(Error::Otp(_))));
    assert!(matches!(
        v.add_uri("otpauth://totp/x?secret=!!"),
        Err(Error::Uri(_))
    ));
    assert!(matches!(v.add_uri(""), Err(Error::Uri(_))));
    assert_eq!(v.accounts().len(), 1);
    assert_eq!(f.reopen().accounts().len(), 1);
}

#[test]
fn rename_reorder_move_remove_persist() {
    let f = Fixture::new();
    let mut v = f.vault();
    let a = v.add_uri(RFC_SHA1).unwrap();
    let b = v.add_uri(HOTP).unwrap();
    let c = v.add_uri(RFC_SHA1).unwrap();
    assert_ne!(a, c);
    v.rename(&a, "  Work  ").unwrap();
    assert!(matches!(v.rename(&a, ""), Err(Error::InvalidName { .. })));
    v.reorder(&[c.clone(), a.clone(), b.clone()]).unwrap();
    assert!(matches!(
        v.reorder(&[a.clone(), a.clone(), b.clone()]),
        Err(Error::InvalidOrder)
    ));
    assert!(matches!(
        v.reorder(std::slice::from_ref(&a)),
        Err(Error::InvalidOrder)
    ));
    let order = |v: &Vault| {
        v.accounts()
            .iter()
            .map(|x| x.id().clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&v), [c.clone(), a.clone(), b.clone()]);
    v.move_to(&b, 0).unwrap();
    assert_eq!(order(&v), [b.clone(), c.clone(), a.clone()]);
    let removed = v.remove(&c).unwrap();
    assert_eq!(removed.id(), &c);
    assert!(matches!(v.remove(&c), Err(Error::AccountNotFound(_))));

    let again = f.reopen();
    assert_eq!(order(&again), [b, a.clone()]);
    assert_eq!(again.account(&a).unwrap().name(), "Work");
    assert_eq!(again.account(&a).unwrap().kind(), &AccountKind::Otp);
}

#[test]
fn hotp_advances_only_on_request_and_persists() {
    let f = Fixture::new();
    let mut v = f.vault();
    let id = v.add_uri(HOTP).unwrap();
    // RFC 4226 appendix D, 6 digits: counter 0 → 755224, 1 → 287082.
    assert_eq!(v.code(&id).unwrap().code.to_string(), "755224");
    f.clock.advance(3600);
    assert_eq!(v.code(&id).unwrap().code.to_string(), "755224");
    let next = v.next_hotp_code(&id).unwrap();
    assert_eq!(next.code.to_string(), "287082");
    assert_eq!(next.timing, CodeTiming::Hotp { counter: 1 });
    assert_eq!(next.seconds_left(), None);
    let again = f.reopen();
    assert_eq!(again.account(&id).unwrap().counter(), Some(1));
    let totp = v.add_uri(RFC_SHA1).unwrap();
    assert!(matches!(v.next_hotp_code(&totp), Err(Error::NotHotp(_))));
}

#[test]
fn totp_offset_is_capped_applied_and_persisted() {
    let f = Fixture::new();
    let mut v = f.vault();
    let id = v.add_uri(RFC_SHA1).unwrap();
    f.clock.set(1_111_111_109 - 20);
    assert_eq!(v.set_totp_offset(20, 30).unwrap(), 20);
    assert_eq!(v.now(), 1_111_111_109);
    assert_eq!(v.code(&id).unwrap().code.to_string(), "07081804");
    assert_eq!(v.set_totp_offset(-500, 30).unwrap(), -30);
    assert_eq!(v.set_totp_offset(i64::MIN, u64::MAX).unwrap(), i64::MIN + 1);
    v.set_totp_offset(-12, 30).unwrap();
    assert_eq!(f.reopen().totp_offset(), -12);
}

#[test]
fn failed_save_changes_nothing() {
    let f = Fixture::new();
    let mut v = f.vault();
    let id = v.add_uri(HOTP).unwrap();
    let before = f.storage.get(DEFAULT_VAULT_NAME).unwrap();
    f.storage.fail.store(true, Ordering::SeqCst);
    assert!(matches!(v.add_uri(RFC_SHA1), Err(Error::Storage(_))));
    assert!(v.rename(&id, "x").is_err());
    assert!(v.next_hotp_code(&id).is_err());
    assert!(v.remove(&id).is_err());
    assert_eq!(v.accounts().len(), 1);
    assert_eq!(v.accounts()[0].name(), "Ex: h");
    assert_eq!(v.accounts()[0].counter(), Some(0));
    assert_eq!(f.storage.get(DEFAULT_VAULT_NAME).unwrap(), before);
    f.storage.fail.store(false, Ordering::SeqCst);
    v.rename(&id, "x").unwrap();
}

#[test]
fn debug_never_shows_secrets() {
    let f = Fixture::new();
    let mut v = f.vault();
    v.add_uri(RFC_SHA1).unwrap();
    let dbg = format!("{v:?} {:?}", v.codes().unwrap());
    assert!(dbg.contains("RFC: sha1"));
    for needle in [
        "GEZDGNBVGY3TQOJQ",
        "12345678901234567890",
        "49, 50, 51",
        "94287082",
    ] {
        assert!(!dbg.contains(needle), "{needle} in {dbg}");
    }
}
