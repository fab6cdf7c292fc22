//! The test vector of docs/backup.md: a backup made with fixed randomness
//! (account ids, salt, nonce from a scripted RNG) and the default argon2id
//! parameters must equal tests/data/backup/vector-v1.json byte for byte, and
//! restore. `ASSENT_WRITE_VECTORS=1` rewrites the file (then check the diff).
//! bindings/python/tests/test_backup.py decrypts the same file with
//! argon2-cffi and cryptography, an independent implementation.

// Helpers outside #[test] fns unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use assent_core::{KdfParams, MemoryStorage, RestoreOutcome, StaticKey, Vault, VaultEnv, VaultKey};
use rand_core::{TryCryptoRng, TryRngCore};

/// Hands out the bytes scripted in the shared queue (the salt and nonce,
/// pushed just before the backup), and a running byte counter when it is empty (account
/// ids, the vault file's own nonces).
struct Scripted(Arc<Mutex<Vec<u8>>>, u8);

impl TryRngCore for Scripted {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let mut queue = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        if queue.is_empty() {
            for b in dst.iter_mut() {
                self.1 = self.1.wrapping_add(1);
                *b = self.1;
            }
        } else if queue.len() < dst.len() {
            return Err(std::io::Error::other("script too short"));
        } else {
            let rest = queue.split_off(dst.len());
            dst.copy_from_slice(&queue);
            *queue = rest;
        }
        Ok(())
    }
}
impl TryCryptoRng for Scripted {}

const PASSWORD: &str = "correct horse battery staple";
const SALT: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
];
const NONCE: [u8; 12] = [
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
];

fn vector_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/backup/vector-v1.json")
}

fn vault(script: Arc<Mutex<Vec<u8>>>) -> Vault {
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([9; 32]))),
    )
    .with_rng(Scripted(script, 0));
    Vault::open_or_create(env).unwrap()
}

fn make_vector() -> (Vec<u8>, Vec<u8>) {
    let script = Arc::new(Mutex::new(Vec::new()));
    let mut v = vault(script.clone());
    v.add_uri("otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
        .unwrap();
    let h = v
        .add_uri("otpauth://hotp/Acme:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3&digits=8&algorithm=SHA256&issuer=Acme")
        .unwrap();
    v.rename(&h, "Acme VPN").unwrap();
    script.lock().unwrap().extend(SALT.iter().chain(&NONCE));
    let file = v.backup(PASSWORD).unwrap();
    assert!(script.lock().unwrap().is_empty());
    (file, payload_of(&v))
}

/// The expected payload JSON of the vector vault.
fn payload_of(_v: &Vault) -> Vec<u8> {
    br#"{"version":1,"accounts":[{"kind":"otp","name":"Example: alice@example.com","issuer":"Example","account":"alice@example.com","secret":"JBSWY3DPEHPK3PXP","algorithm":"SHA1","digits":6,"otp":{"type":"totp","period":30}},{"kind":"otp","name":"Acme VPN","issuer":"Acme","account":"bob","secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","algorithm":"SHA256","digits":8,"otp":{"type":"hotp","counter":3}}]}"#.to_vec()
}

#[test]
fn vector_matches_and_restores() {
    let (file, payload) = make_vector();
    let d = KdfParams::DEFAULT;
    let json = serde_json::json!({
        "password": PASSWORD,
        "kdf": {"algorithm": "argon2id", "version": 19, "memory_kib": d.memory_kib,
                "iterations": d.iterations, "parallelism": d.parallelism},
        "salt_hex": hex::encode(SALT),
        "nonce_hex": hex::encode(NONCE),
        "payload": String::from_utf8(payload).unwrap(),
        "file_hex": hex::encode(&file),
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    if std::env::var_os("ASSENT_WRITE_VECTORS").is_some() {
        std::fs::write(vector_path(), &text).unwrap();
    }
    let stored = std::fs::read_to_string(vector_path()).unwrap();
    assert_eq!(stored, text, "vector file differs from what the code makes");

    let mut v = vault(Arc::default());
    let report = v.restore(&file, PASSWORD).unwrap();
    assert_eq!(report.restored(), 2);
    assert!(matches!(
        report.entries[1].outcome,
        RestoreOutcome::Restored(_)
    ));
    assert_eq!(v.accounts()[0].name(), "Example: alice@example.com");
    assert_eq!(v.accounts()[1].name(), "Acme VPN");
    assert_eq!(v.accounts()[1].counter(), Some(3));
    assert!(v.restore(&file, "Correct horse battery staple").is_err());
}
