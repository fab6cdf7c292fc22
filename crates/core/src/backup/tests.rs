//! Backup and restore through the vault: round trip in order, push
//! accounts for re-activation, duplicates, and that every refused file
//! changes nothing.

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::{BackupError, KdfParams, RestoreOutcome};
use crate::error::Error;
use crate::storage::{MemoryStorage, StaticKey, VaultKey};
use crate::vault::{AccountKind, Vault, VaultEnv};

pub(crate) const SMALL: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn vault(seed: u64) -> Vault {
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([5; 32]))),
    )
    .with_rng(ChaCha20Rng::seed_from_u64(seed));
    Vault::open_or_create(env).unwrap()
}

/// A TOTP, an HOTP at counter 7, a push account and a Steam account.
fn old_phone() -> Vault {
    let mut v = vault(1);
    v.add_uri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&period=60&digits=8&algorithm=SHA256")
        .unwrap();
    let h = v
        .add_uri("otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7")
        .unwrap();
    let p = v
        .add_uri("otpauth://totp/Shop:bob?secret=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ&issuer=Shop")
        .unwrap();
    v.rename(&h, "My counter").unwrap();
    v.change(|d| {
        let i = Vault::index_of(d, &p)?;
        d.accounts[i].kind = AccountKind::Push(Box::new(crate::vault::sample_enrollment()));
        Ok(())
    })
    .unwrap();
    v.import(b"otpauth://steam/Steam:gamer?secret=STEAMSTEAMSTEAMS", None)
        .unwrap();
    v
}

#[test]
fn round_trip_restores_otp_in_order_and_push_for_reactivation() {
    let mut old = old_phone();
    let file = old.backup_with_params("correct horse", SMALL).unwrap();
    let mut new = vault(2);
    new.add_uri("otpauth://totp/Pre:existing?secret=MFRGGZDFMZTWQ2LK")
        .unwrap();
    let report = new.restore(&file, "correct horse").unwrap();
    assert_eq!(report.entries.len(), 4);
    assert_eq!(report.restored(), 3);
    assert_eq!(report.needs_reactivation(), 1);
    assert!(matches!(
        report.entries[2].outcome,
        RestoreOutcome::NeedsReactivation(_)
    ));
    let names: Vec<&str> = new.accounts().iter().map(|a| a.name()).collect();
    assert_eq!(
        names,
        [
            "Pre: existing",
            "Example: alice",
            "My counter",
            "Steam: gamer"
        ]
    );
    for (a, b) in new.accounts()[1..].iter().zip(
        old.accounts()
            .iter()
            .filter(|a| !matches!(a.kind(), AccountKind::Push(_))),
    ) {
        assert_eq!(a.otp(), b.otp());
        assert_eq!(a.kind(), b.kind());
        assert_ne!(a.id(), b.id());
    }
    assert_eq!(new.accounts()[2].counter(), Some(7));
    assert!(new.accounts()[3].is_steam());
    let pending = new.reactivation_needed();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].rp_id, "example.com");
    assert_eq!(pending[0].relay_url, "https://relay.example.com");
    assert_eq!(pending[0].issuer.as_deref(), Some("Shop"));
    assert_eq!(pending[0].account, "bob");
    assert_eq!(pending[0].name, "Shop: bob");

    // Again: nothing is duplicated.
    let again = new.restore(&file, "correct horse").unwrap();
    assert_eq!(again.already_present(), 4);
    assert_eq!(new.accounts().len(), 4);
    assert_eq!(new.reactivation_needed().len(), 1);

    // A backup of the new phone carries the pending item on.
    let second = new.backup_with_params("pw2", SMALL).unwrap();
    let mut third = vault(3);
    let r = third.restore(&second, "pw2").unwrap();
    assert_eq!((r.restored(), r.needs_reactivation()), (4, 1));

    let id = new.reactivation_needed()[0].id.clone();
    new.dismiss_reactivation(&id).unwrap();
    assert!(new.reactivation_needed().is_empty());
    assert!(new.dismiss_reactivation(&id).is_err());
}

#[test]
fn the_payload_holds_no_push_secrets() {
    let mut old = old_phone();
    let file = old.backup_with_params("pw", SMALL).unwrap();
    let plain = super::format::open(&file, b"pw").unwrap();
    let text = String::from_utf8(plain.to_vec()).unwrap();
    let channel = assent_protocol::b64_encode(&[0x4b; 32]);
    assert!(!text.contains(&channel), "{text}");
    assert!(!text.contains("\"k1\""), "{text}");
    assert!(
        !text.contains("KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ"),
        "{text}"
    );
    assert!(text.contains("JBSWY3DPEHPK3PXP"));
}

#[test]
fn refused_files_change_nothing() {
    let mut old = old_phone();
    let file = old.backup_with_params("pw", SMALL).unwrap();
    let mut new = vault(2);
    new.add_uri("otpauth://totp/Pre:existing?secret=MFRGGZDFMZTWQ2LK")
        .unwrap();
    let before = new.data().clone();
    let err = |v: &mut Vault, bytes: &[u8], pw: &str| match v.restore(bytes, pw) {
        Err(Error::Backup(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(err(&mut new, &file, "wrong"), BackupError::WrongPassword);
    assert_eq!(
        err(&mut new, &file[..file.len() - 1], "pw"),
        BackupError::Truncated
    );
    let mut flipped = file.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x80;
    assert_eq!(err(&mut new, &flipped, "pw"), BackupError::Corrupted);
    let mut newer = file.clone();
    newer[9] = 9;
    assert_eq!(
        err(&mut new, &newer, "pw"),
        BackupError::UnsupportedVersion(9)
    );
    assert_eq!(
        err(&mut new, b"{\"version\":1}", "pw"),
        BackupError::NotABackup
    );
    assert_eq!(new.data(), &before);
    // Authentic but not the payload schema.
    let odd = super::seal_for_tests(b"{\"version\":1}", "pw", SMALL, [0; 16], [0; 12]).unwrap();
    assert!(matches!(
        err(&mut new, &odd, "pw"),
        BackupError::Malformed(_)
    ));
    let bad_relay = br#"{"version":1,"accounts":[{"kind":"push","name":"x","issuer":null,"account":"x","rp_id":"example.com","relay_url":"http://relay.example.com"}]}"#;
    let odd = super::seal_for_tests(bad_relay, "pw", SMALL, [0; 16], [0; 12]).unwrap();
    assert!(matches!(
        err(&mut new, &odd, "pw"),
        BackupError::Malformed(_)
    ));
    assert_eq!(new.data(), &before);
}

#[test]
fn backup_refuses_bad_params_and_empty_password() {
    let mut v = old_phone();
    let big = KdfParams {
        memory_kib: u32::MAX,
        ..SMALL
    };
    assert!(matches!(
        v.backup_with_params("pw", big),
        Err(Error::Backup(BackupError::BadKdfParams(_)))
    ));
    assert!(matches!(
        v.backup_with_params("", SMALL),
        Err(Error::Backup(BackupError::EmptyPassword))
    ));
}

#[test]
fn salt_and_nonce_come_from_the_vault_rng() {
    let a = old_phone().backup_with_params("pw", SMALL).unwrap();
    let b = old_phone().backup_with_params("pw", SMALL).unwrap();
    assert_eq!(a, b, "same seed, same file");
    let mut v = old_phone();
    let c = v.backup_with_params("pw", SMALL).unwrap();
    let d = v.backup_with_params("pw", SMALL).unwrap();
    assert_ne!(c[23..51], d[23..51], "fresh salt and nonce each time");
}
