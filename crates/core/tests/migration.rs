//! Old vault formats open, migrate to the current one, and keep a backup.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use assent_core::storage::{FORMAT_VERSION, MAGIC};
use assent_core::{
    AccountId, CodeTiming, ManualClock, MemoryStorage, SecureStorage, StaticKey, Vault, VaultEnv,
    VaultKey,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const V0: &[u8] = include_bytes!("fixtures/vault_v0.bin");
const V1: &[u8] = include_bytes!("fixtures/vault_v1.bin");

fn env(storage: Arc<MemoryStorage>) -> VaultEnv {
    VaultEnv::new(
        storage,
        Arc::new(StaticKey(VaultKey::from_bytes([0x42; 32]))),
    )
    .with_clock(Arc::new(ManualClock::new(59)))
    .with_rng(ChaCha20Rng::seed_from_u64(11))
}

fn stored_version(storage: &MemoryStorage) -> u16 {
    let blob = storage.get("vault").unwrap().unwrap();
    assert_eq!(blob[..8], MAGIC);
    u16::from_be_bytes([blob[8], blob[9]])
}

#[test]
fn v0_fixture_migrates_to_current() {
    let storage = Arc::new(MemoryStorage::new());
    storage.put("vault", V0).unwrap();
    let vault = Vault::open(env(storage.clone())).unwrap();

    let accounts = vault.accounts();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].name(), "RFC: alice");
    assert_eq!(accounts[1].name(), "Example: bob");
    assert_eq!(accounts[0].id().as_str().len(), 32);
    let codes = vault.codes().unwrap();
    assert_eq!(codes[0].code.to_string(), "94287082");
    // RFC 4226 appendix D, counter 1 → 287082.
    assert_eq!(codes[1].code.to_string(), "287082");
    assert_eq!(codes[1].timing, CodeTiming::Hotp { counter: 1 });

    assert_eq!(stored_version(&storage), FORMAT_VERSION);
    assert_eq!(storage.get("vault.v0.bak").unwrap().as_deref(), Some(V0));
    // Reopening the migrated vault gives the same accounts and ids.
    let again = Vault::open(env(storage)).unwrap();
    assert_eq!(again.accounts(), vault.accounts());
}

#[test]
fn v1_fixture_migrates_to_current() {
    let storage = Arc::new(MemoryStorage::new());
    storage.put("vault", V1).unwrap();
    let vault = Vault::open(env(storage.clone())).unwrap();

    let carol = vault
        .account(&AccountId::new("0123456789abcdef0123456789abcdef"))
        .unwrap();
    assert_eq!(carol.name(), "Carol at RFC");
    assert_eq!(carol.issuer(), Some("RFC"));
    // RFC 6238 appendix B, SHA-256, t=59.
    let view = vault.code(carol.id()).unwrap();
    assert_eq!(view.code.to_string(), "46119246");
    let bob = vault
        .account(&AccountId::new("fedcba9876543210fedcba9876543210"))
        .unwrap();
    assert_eq!(bob.counter(), Some(7));
    assert_eq!(vault.totp_offset(), 0);
    assert_eq!(stored_version(&storage), FORMAT_VERSION);
    assert_eq!(storage.get("vault.v1.bak").unwrap().as_deref(), Some(V1));
}

#[test]
fn fixture_with_wrong_key_is_refused_and_kept() {
    let storage = Arc::new(MemoryStorage::new());
    storage.put("vault", V1).unwrap();
    let env = VaultEnv::new(
        storage.clone(),
        Arc::new(StaticKey(VaultKey::from_bytes([0x43; 32]))),
    );
    assert!(matches!(
        Vault::open_or_create(env),
        Err(assent_core::Error::WrongKey)
    ));
    assert_eq!(storage.get("vault").unwrap().as_deref(), Some(V1));
    assert_eq!(storage.get("vault.v1.bak").unwrap(), None);
}
