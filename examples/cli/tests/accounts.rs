//! `assent accounts …` on a vault in a temporary home.

mod common;

use common::{accounts, fails, ok, RFC_SHA1_B32};

#[test]
fn add_list_codes_rename_remove() {
    let home = tempfile::tempdir().unwrap();
    let uri = format!("otpauth://totp/Example:alice?secret={RFC_SHA1_B32}&issuer=Example");
    let id = ok(accounts(home.path(), &["add", &uri])).trim().to_owned();
    assert_eq!(id.len(), 32);

    let list = ok(accounts(home.path(), &["list"]));
    assert_eq!(list, format!("{id}\ttotp\tExample: alice\n"));

    let codes = ok(accounts(home.path(), &["codes"]));
    let line = codes.lines().next().unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[0].len(), 6);
    assert!(fields[0].bytes().all(|b| b.is_ascii_digit()));
    let secs: u64 = fields[1].trim_end_matches('s').parse().unwrap();
    assert!((1..=30).contains(&secs));
    assert!(line.ends_with("Example: alice"));

    ok(accounts(home.path(), &["rename", &id, "Work mail"]));
    assert!(ok(accounts(home.path(), &["list"])).contains("\tWork mail\n"));

    assert!(ok(accounts(home.path(), &["remove", &id])).contains("Work mail"));
    assert_eq!(ok(accounts(home.path(), &["list"])), "");
    let err = fails(accounts(home.path(), &["remove", &id]));
    assert!(err.contains("no account"), "{err}");
}

#[test]
fn hotp_next_advances_and_persists() {
    let home = tempfile::tempdir().unwrap();
    let uri = format!("otpauth://hotp/RFC:h?secret={RFC_SHA1_B32}&counter=0");
    let id = ok(accounts(home.path(), &["add", &uri, "--name", "Counter"]))
        .trim()
        .to_owned();
    assert!(ok(accounts(home.path(), &["codes"])).starts_with("755224"));
    assert_eq!(ok(accounts(home.path(), &["next", &id])), "287082\n");
    assert_eq!(ok(accounts(home.path(), &["next", &id])), "359152\n");
    let codes = ok(accounts(home.path(), &["codes"]));
    assert!(
        codes.starts_with("359152") && codes.contains("#2"),
        "{codes}"
    );
}

#[test]
fn key_file_is_private_and_vault_encrypted() {
    let home = tempfile::tempdir().unwrap();
    let uri = format!("otpauth://totp/Example:alice?secret={RFC_SHA1_B32}");
    ok(accounts(home.path(), &["add", &uri]));
    let vault = std::fs::read(home.path().join("data").join("vault")).unwrap();
    assert!(!String::from_utf8_lossy(&vault).contains(RFC_SHA1_B32));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("vault.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn errors_are_one_line() {
    let home = tempfile::tempdir().unwrap();
    let err = fails(accounts(
        home.path(),
        &["add", "otpauth://totp/x?secret=!!!"],
    ));
    assert!(err.starts_with("assent: invalid otpauth URI"), "{err}");
    assert_eq!(err.lines().count(), 1);
    // A vault whose key is gone is refused, not replaced.
    ok(accounts(
        home.path(),
        &["add", &format!("otpauth://totp/x?secret={RFC_SHA1_B32}")],
    ));
    std::fs::write(home.path().join("vault.key"), [9u8; 32]).unwrap();
    let before = std::fs::read(home.path().join("data").join("vault")).unwrap();
    let err = fails(accounts(home.path(), &["list"]));
    assert!(err.contains("wrong vault key"), "{err}");
    assert_eq!(
        std::fs::read(home.path().join("data").join("vault")).unwrap(),
        before
    );
}
