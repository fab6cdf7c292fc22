//! `assent accounts import FILE [--password-env VAR]` and `assent accounts
//! export --format otpauth|google|aegis [--password-env VAR]`. The import
//! files are real exports kept in crates/core/tests/data/import (see the
//! README there for their repositories, paths and commits).

// The helper below unwraps too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{accounts, fails, ok};

fn data(file: &str) -> PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "../../crates/core/tests/data/import",
        file,
    ]
    .iter()
    .collect()
}

fn with_env(home: &Path, args: &[&str], var: &str, value: &str) -> Output {
    let mut all = vec!["accounts", "--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(&all)
        .env(var, value)
        .output()
        .unwrap()
}

#[test]
fn import_prints_the_report_and_export_round_trips() {
    // beemdevelopment/Aegis …/importers/aegis_encrypted.json, password "test".
    let home = tempfile::tempdir().unwrap();
    let file = data("aegis/aegis_encrypted.json");
    let file = file.to_str().unwrap();
    let err = fails(accounts(home.path(), &["import", file]));
    assert!(err.contains("password"), "{err}");
    let err = fails(with_env(
        home.path(),
        &["import", file, "--password-env", "PW"],
        "PW",
        "bad",
    ));
    assert!(err.contains("wrong password"), "{err}");

    let out = ok(with_env(
        home.path(),
        &["import", file, "--password-env", "PW"],
        "PW",
        "test",
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "format: Aegis");
    assert!(
        lines[1].starts_with("imported\t") && lines[1].ends_with("\tDeno: Mason"),
        "{out}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &"7 imported, 0 already present, 0 skipped"
    );
    assert!(!out.contains("4SJHB4GSD43FZBAI7C2HLRJGPQ"));
    let list = ok(accounts(home.path(), &["list"]));
    assert!(list.contains("\tsteam\tBoeing: Sophia\n"), "{list}");

    let again = ok(with_env(
        home.path(),
        &["import", file, "--password-env", "PW"],
        "PW",
        "test",
    ));
    assert!(
        again.ends_with("0 imported, 7 already present, 0 skipped\n"),
        "{again}"
    );

    // otpauth export → import into a second home gives the same list.
    let uris = ok(accounts(home.path(), &["export", "--format", "otpauth"]));
    assert_eq!(uris.lines().count(), 7);
    let other = tempfile::tempdir().unwrap();
    let path = other.path().join("uris.txt");
    std::fs::write(&path, &uris).unwrap();
    let out = ok(accounts(other.path(), &["import", path.to_str().unwrap()]));
    assert!(out.contains("format: otpauth URI list"));
    let names = |h: &Path| -> Vec<String> {
        ok(accounts(h, &["list"]))
            .lines()
            .map(|l| l.split('\t').skip(1).collect::<Vec<_>>().join("\t"))
            .collect()
    };
    assert_eq!(names(home.path()), names(other.path()));

    // Encrypted Aegis export, read back with the same variable.
    let aegis = ok(with_env(
        home.path(),
        &["export", "--format", "aegis", "--password-env", "PW"],
        "PW",
        "s3cret",
    ));
    assert!(aegis.contains("\"slots\""));
    let third = tempfile::tempdir().unwrap();
    let path = third.path().join("aegis.json");
    std::fs::write(&path, &aegis).unwrap();
    let out = ok(with_env(
        third.path(),
        &["import", path.to_str().unwrap(), "--password-env", "PW"],
        "PW",
        "s3cret",
    ));
    assert!(
        out.ends_with("7 imported, 0 already present, 0 skipped\n"),
        "{out}"
    );

    // Google: the migration URIs on stdout, left-out accounts on stderr.
    let google = accounts(home.path(), &["export", "--format", "google"]);
    let stderr = String::from_utf8_lossy(&google.stderr).to_string();
    let stdout = ok(google);
    assert!(stdout.starts_with("otpauth-migration://offline?data="));
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
}

#[test]
fn import_reports_skipped_entries_and_refuses_unknown_files() {
    // jamie-mh/AuthenticatorPro Stratum.Test/data/backup.unencrypted.authpro
    // (made-up secrets: most are skipped as bad secrets).
    let home = tempfile::tempdir().unwrap();
    let file = data("authpro/backup.unencrypted.authpro");
    let out = ok(accounts(home.path(), &["import", file.to_str().unwrap()]));
    assert!(out.starts_with("format: Authenticator Pro\n"));
    assert!(
        out.contains("skipped\tbad secret\tAmazon: john@example.com\n"),
        "{out}"
    );

    let junk = home.path().join("junk.txt");
    std::fs::write(&junk, "not an export").unwrap();
    let err = fails(accounts(home.path(), &["import", junk.to_str().unwrap()]));
    assert!(
        err.contains("not a supported authenticator export"),
        "{err}"
    );
    let err = fails(accounts(
        home.path(),
        &[
            "export",
            "--format",
            "otpauth",
            "--password-env",
            "NOPE_UNSET",
        ],
    ));
    assert!(err.contains("not set"), "{err}");
}
