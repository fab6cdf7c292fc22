//! Shared helpers of the import tests: a memory vault, the seven test
//! accounts of Aegis's importer tests, and field-by-field checks.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::PathBuf;
use std::sync::Arc;

pub use assent_core::import::{EntryOutcome, ImportError, ImportFormat, ImportReport, SkipReason};
use assent_core::otp::OtpKind;
use assent_core::{
    Account, Error, ManualClock, MemoryStorage, StaticKey, Vault, VaultEnv, VaultKey,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// An account's expected type and its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Totp(u64),
    Hotp(u64),
    Steam,
}

/// One expected account.
#[derive(Debug, Clone)]
pub struct Vector {
    pub issuer: &'static str,
    pub account: String,
    pub secret: &'static str,
    pub algorithm: &'static str,
    pub digits: u8,
    pub kind: Kind,
}

/// The seven accounts of beemdevelopment/Aegis
/// app/src/test/java/com/beemdevelopment/aegis/vectors/VaultEntries.java
/// (= importers/plain.txt).
pub fn vectors() -> Vec<Vector> {
    let v = |issuer, account: &str, secret, algorithm, digits, kind| Vector {
        issuer,
        account: account.to_owned(),
        secret,
        algorithm,
        digits,
        kind,
    };
    vec![
        v(
            "Deno",
            "Mason",
            "4SJHB4GSD43FZBAI7C2HLRJGPQ",
            "SHA1",
            6,
            Kind::Totp(30),
        ),
        v(
            "SPDX",
            "James",
            "5OM4WOOGPLQEF6UGN3CPEOOLWU",
            "SHA256",
            7,
            Kind::Totp(20),
        ),
        v(
            "Airbnb",
            "Elijah",
            "7ELGJSGXNCCTV3O6LKJWYFV2RA",
            "SHA512",
            8,
            Kind::Totp(50),
        ),
        v(
            "Issuu",
            "James",
            "YOOMIXWS5GN6RTBPUFFWKTW5M4",
            "SHA1",
            6,
            Kind::Hotp(1),
        ),
        v(
            "Air Canada",
            "Benjamin",
            "KUVJJOM753IHTNDSZVCNKL7GII",
            "SHA256",
            7,
            Kind::Hotp(50),
        ),
        v(
            "WWE",
            "Mason",
            "5VAML3X35THCEBVRLV24CGBKOY",
            "SHA512",
            8,
            Kind::Hotp(10300),
        ),
        v(
            "Boeing",
            "Sophia",
            "JRZCL47CMXVOQMNPZR2F7J4RGI",
            "SHA1",
            5,
            Kind::Steam,
        ),
    ]
}

pub fn data(file: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/data/import", file]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn vault() -> Vault {
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
    )
    .with_clock(Arc::new(ManualClock::new(1_700_000_000)))
    .with_rng(ChaCha20Rng::seed_from_u64(5));
    Vault::create(env).unwrap()
}

pub fn import_file(file: &str, password: Option<&str>) -> (ImportReport, Vault) {
    let mut v = vault();
    let report = v
        .import(&data(file), password)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    (report, v)
}

pub fn refused(file: &str, password: Option<&str>, want: fn(&ImportError) -> bool) {
    let mut v = vault();
    match v.import(&data(file), password) {
        Err(Error::Import(e)) => assert!(want(&e), "{file}: {e:?}"),
        other => panic!("{file}: expected an import error, got {other:?}"),
    }
    assert!(v.accounts().is_empty(), "{file}: nothing may be written");
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The vector with this account's secret.
pub fn vector_for(account: &Account) -> Vector {
    let secret = account.otp().secret.to_base32();
    vectors()
        .into_iter()
        .find(|v| v.secret == secret.as_str())
        .unwrap_or_else(|| panic!("no vector for {}", account.name()))
}

pub fn check_account(account: &Account, v: &Vector) {
    let o = account.otp();
    let what = account.name();
    assert_eq!(o.issuer.as_deref(), Some(v.issuer), "{what}: issuer");
    assert_eq!(o.account, v.account, "{what}: account");
    assert_eq!(o.secret.to_base32().as_str(), v.secret, "{what}: secret");
    assert_eq!(o.algorithm.as_str(), v.algorithm, "{what}: algorithm");
    assert_eq!(o.digits, v.digits, "{what}: digits");
    let kind = match (o.kind, account.is_steam()) {
        (_, true) => Kind::Steam,
        (OtpKind::Totp { period }, false) => Kind::Totp(period),
        (OtpKind::Hotp { counter }, false) => Kind::Hotp(counter),
    };
    assert_eq!(kind, v.kind, "{what}: type");
}

/// Every entry imported (`n` of them), each equal to its vector after `adjust`.
pub fn check_all(report: &ImportReport, vault: &Vault, n: usize, adjust: impl Fn(&mut Vector)) {
    assert_eq!(report.entries.len(), n, "{report:?}");
    assert_eq!(report.imported(), n, "{report:?}");
    assert_eq!(vault.accounts().len(), n);
    for (entry, account) in report.entries.iter().zip(vault.accounts()) {
        assert_eq!(entry.outcome, EntryOutcome::Imported(account.id().clone()));
        let mut v = vector_for(account);
        adjust(&mut v);
        check_account(account, &v);
    }
}
