//! Backup files (`assent_core::backup`): the header parser a restore runs
//! before any hashing, and the payload parser behind the AEAD.
//!
//! The input is tried twice: as a whole file (`inspect` and `Vault::restore`
//! stop at the header, a wrong password check or the AEAD, never panic, and
//! leave the vault unchanged on error), and as a payload, sealed here with
//! the documented format (docs/backup.md) under the smallest KDF parameters
//! (m = 8 KiB, t = 1, so each run stays fast), so the JSON schema and the
//! restore logic behind the AEAD are reached. Checks: no panic; a refused
//! file changes nothing; a report counts every entry once.
#![no_main]

use std::sync::Arc;

use assent_core::backup::inspect;
use assent_core::{MemoryStorage, StaticKey, Vault, VaultEnv, VaultKey};
use libfuzzer_sys::fuzz_target;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

const PASSWORD: &str = "pw";

fn vault() -> Option<Vault> {
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
    );
    Vault::open_or_create(env).ok()
}

/// A version-1 file of `payload`, per docs/backup.md.
fn seal(payload: &[u8]) -> Option<Vec<u8>> {
    let (m, t, p) = (8u32, 1u32, 1u32);
    let (salt, nonce) = ([7u8; 16], [9u8; 12]);
    let params = argon2::Params::new(m, t, p, Some(48)).ok()?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut derived = [0u8; 48];
    argon.hash_password_into(PASSWORD.as_bytes(), &salt, &mut derived).ok()?;
    let mut header = Vec::with_capacity(71);
    header.extend_from_slice(b"ASSENTBK");
    header.extend_from_slice(&1u16.to_be_bytes());
    header.push(1);
    for x in [m, t, p] {
        header.extend_from_slice(&x.to_be_bytes());
    }
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    header.extend_from_slice(&derived[32..48]);
    header.extend_from_slice(&u32::try_from(payload.len()).ok()?.to_be_bytes());
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &derived[..32]).ok()?);
    let mut body = payload.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&header), &mut body)
        .ok()?;
    header.extend_from_slice(&body);
    Some(header)
}

fn try_restore(file: &[u8]) {
    let Some(mut v) = vault() else { return };
    v.add_uri("otpauth://totp/Pre:x?secret=JBSWY3DPEHPK3PXP").ok();
    let before = (v.accounts().to_vec(), v.reactivation_needed().to_vec());
    match v.restore(file, PASSWORD) {
        Err(_) => assert!(
            before.0 == v.accounts() && before.1 == v.reactivation_needed(),
            "a refused backup changed the vault"
        ),
        Ok(r) => {
            assert_eq!(
                r.restored() + r.already_present() + r.needs_reactivation(),
                r.entries.len()
            );
            assert_eq!(v.accounts().len(), before.0.len() + r.restored());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = inspect(data) {
        assert!(params.check().is_ok(), "inspect accepted bad KDF parameters");
        // Only cheap parameters are worth hashing per run.
        if params.memory_kib <= 64 && params.iterations <= 2 {
            try_restore(data);
        }
    }
    if data.len() <= 64 * 1024 {
        if let Some(file) = seal(data) {
            try_restore(&file);
        }
    }
});
