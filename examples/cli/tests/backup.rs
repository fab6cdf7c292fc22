//! `assent accounts backup FILE --password-env VAR` and `assent accounts
//! restore FILE --password-env VAR`.

// The helper below unwraps too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{accounts, fails, ok, RFC_SHA1_B32};

fn with_env(home: &Path, args: &[&str], value: &str) -> Output {
    let mut all = vec!["accounts", "--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(&all)
        .env("BACKUP_PW", value)
        .output()
        .unwrap()
}

#[test]
fn backup_then_restore_on_another_home() {
    let old = tempfile::tempdir().unwrap();
    let uri = format!("otpauth://totp/Example:alice?secret={RFC_SHA1_B32}&issuer=Example");
    ok(accounts(old.path(), &["add", &uri]));
    let hotp = format!("otpauth://hotp/Ex:h?secret={RFC_SHA1_B32}&counter=5");
    ok(accounts(old.path(), &["add", &hotp]));
    let file = old.path().join("assent.backup");
    let f = file.to_str().unwrap();

    let err = fails(accounts(
        old.path(),
        &["backup", f, "--password-env", "UNSET_PW_VAR_X"],
    ));
    assert!(err.contains("--password-env"), "{err}");
    let out = ok(with_env(
        old.path(),
        &["backup", f, "--password-env", "BACKUP_PW"],
        "pw 1",
    ));
    assert!(out.starts_with("backed up 2 accounts"), "{out}");
    assert_eq!(&std::fs::read(&file).unwrap()[..8], b"ASSENTBK");

    let new = tempfile::tempdir().unwrap();
    let err = fails(with_env(
        new.path(),
        &["restore", f, "--password-env", "BACKUP_PW"],
        "bad",
    ));
    assert!(err.contains("wrong backup password"), "{err}");
    let out = ok(with_env(
        new.path(),
        &["restore", f, "--password-env", "BACKUP_PW"],
        "pw 1",
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("restored\t") && lines[0].ends_with("\tExample: alice"));
    assert_eq!(
        lines[2],
        "2 restored, 0 already present, 0 need re-activation"
    );
    let list = ok(accounts(new.path(), &["list"]));
    assert_eq!(list, ok(accounts(old.path(), &["list"])).replace_ids(&list));

    let out = ok(with_env(
        new.path(),
        &["restore", f, "--password-env", "BACKUP_PW"],
        "pw 1",
    ));
    assert!(
        out.ends_with("0 restored, 2 already present, 0 need re-activation\n"),
        "{out}"
    );

    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let err = fails(with_env(
        new.path(),
        &["restore", f, "--password-env", "BACKUP_PW"],
        "pw 1",
    ));
    assert!(err.contains("corrupted"), "{err}");
}

/// Compares two `list` outputs without their (random) ids.
trait ReplaceIds {
    fn replace_ids(&self, other: &str) -> String;
}

impl ReplaceIds for String {
    fn replace_ids(&self, other: &str) -> String {
        let ids: Vec<&str> = other
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        self.lines()
            .zip(ids)
            .map(|(l, id)| {
                let rest = l.split_once('\t').unwrap().1;
                format!("{id}\t{rest}\n")
            })
            .collect()
    }
}
