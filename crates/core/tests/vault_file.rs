//! The vault on disk: persistence, crash safety, and refusals that leave
//! the file byte-for-byte untouched.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::sync::Arc;

use assent_core::{Error, FileStorage, ManualClock, StaticKey, Vault, VaultEnv, VaultKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A damaged file and the error it must give.
type Case = (Vec<u8>, fn(&Error) -> bool);

const URI: &str =
    "otpauth://totp/RFC:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC";

fn env(dir: &Path, key: u8) -> VaultEnv {
    VaultEnv::new(
        Arc::new(FileStorage::new(dir).unwrap()),
        Arc::new(StaticKey(VaultKey::from_bytes([key; 32]))),
    )
    .with_clock(Arc::new(ManualClock::new(59)))
    .with_rng(ChaCha20Rng::seed_from_u64(u64::from(key)))
}

/// A vault with one account in `dir`; returns the file's bytes.
fn make_vault(dir: &Path) -> Vec<u8> {
    let mut vault = Vault::create(env(dir, 1)).unwrap();
    vault.add_uri(URI).unwrap();
    fs::read(dir.join("vault")).unwrap()
}

fn assert_readable(dir: &Path) {
    let vault = Vault::open(env(dir, 1)).unwrap();
    assert_eq!(vault.codes().unwrap()[0].code.to_string(), "94287082");
}

#[test]
fn persists_across_reopen_and_is_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = make_vault(dir.path());
    assert!(!String::from_utf8_lossy(&bytes).contains("GEZDGNBV"));
    assert!(!String::from_utf8_lossy(&bytes).contains("RFC"));
    assert_readable(dir.path());
}

#[test]
fn wrong_key_is_typed_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let before = make_vault(dir.path());
    assert!(matches!(
        Vault::open(env(dir.path(), 2)),
        Err(Error::WrongKey)
    ));
    assert!(matches!(
        Vault::open_or_create(env(dir.path(), 2)),
        Err(Error::WrongKey)
    ));
    assert!(matches!(
        Vault::create(env(dir.path(), 2)),
        Err(Error::VaultExists)
    ));
    assert_eq!(fs::read(dir.path().join("vault")).unwrap(), before);
    assert_readable(dir.path());
}

#[test]
fn truncated_and_corrupted_files_are_typed_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = make_vault(dir.path());
    let path = dir.path().join("vault");
    let cases: Vec<Case> = vec![
        (good[..good.len() - 5].to_vec(), |e| {
            matches!(e, Error::Truncated)
        }),
        (good[..12].to_vec(), |e| matches!(e, Error::Truncated)),
        (Vec::new(), |e| matches!(e, Error::Truncated)),
        (
            {
                let mut b = good.clone();
                let mid = b.len() / 2 + 20;
                b[mid] ^= 0x80;
                b
            },
            |e| matches!(e, Error::Corrupted),
        ),
        (b"{\"accounts\":[]}".to_vec(), |e| {
            matches!(e, Error::NotAVault)
        }),
    ];
    for (bytes, expected) in cases {
        fs::write(&path, &bytes).unwrap();
        let err = Vault::open_or_create(env(dir.path(), 1)).unwrap_err();
        assert!(expected(&err), "unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
        assert_eq!(fs::read(&path).unwrap(), bytes, "file changed after {err}");
    }
}

#[test]
fn save_over_a_changed_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_vault(dir.path());
    let mut vault = Vault::open(env(dir.path(), 1)).unwrap();
    // Someone else damages (or replaces) the file while we hold it open.
    let path = dir.path().join("vault");
    let mut damaged = fs::read(&path).unwrap();
    damaged.truncate(40);
    fs::write(&path, &damaged).unwrap();
    assert!(matches!(vault.add_uri(URI), Err(Error::ChangedOnStorage)));
    assert!(matches!(
        vault.set_totp_offset(5, 30),
        Err(Error::ChangedOnStorage)
    ));
    assert_eq!(fs::read(&path).unwrap(), damaged);
    assert_eq!(vault.accounts().len(), 1);
}

#[test]
fn two_handles_cannot_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    make_vault(dir.path());
    let mut first = Vault::open(env(dir.path(), 1)).unwrap();
    let mut second = Vault::open(env(dir.path(), 1)).unwrap();
    first.add_uri(URI).unwrap();
    let after_first = fs::read(dir.path().join("vault")).unwrap();
    assert!(matches!(second.add_uri(URI), Err(Error::ChangedOnStorage)));
    assert_eq!(fs::read(dir.path().join("vault")).unwrap(), after_first);
    assert_eq!(Vault::open(env(dir.path(), 1)).unwrap().accounts().len(), 2);
}

#[test]
fn leftover_temp_files_leave_the_vault_readable() {
    let dir = tempfile::tempdir().unwrap();
    let before = make_vault(dir.path());
    // What a crash between "write temp" and "rename" leaves behind: a
    // partial temporary file next to the intact vault.
    fs::write(
        dir.path().join(".vault.4242.0.tmp"),
        &before[..before.len() / 2],
    )
    .unwrap();
    fs::write(dir.path().join(".vault.4242.1.tmp"), b"").unwrap();
    assert_readable(dir.path());
    let mut vault = Vault::open(env(dir.path(), 1)).unwrap();
    vault.add_uri(URI).unwrap();
    assert_eq!(Vault::open(env(dir.path(), 1)).unwrap().accounts().len(), 2);
}
