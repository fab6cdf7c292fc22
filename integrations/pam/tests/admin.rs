//! `assent-pam-admin` beyond enroll (list, backup-codes, remove), checked by their effect on
//! logins through pamtester; and a configuration the module must refuse (a world-readable
//! API key file, a missing file) fails the login cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{admin_path, Fixture, PamService, Proc};

/// Runs `assent-pam-admin --config CONFIG ARGS`; success and output.
async fn admin(config: &Path, args: &[&str]) -> (bool, String) {
    Proc::spawn(
        Command::new(admin_path())
            .arg("--config")
            .arg(config)
            .args(args),
        Some(""),
    )
    .finish(Duration::from_secs(30))
    .await
}

async fn pam_login(service: &PamService, user: &str, input: &str) -> (bool, String) {
    Proc::spawn(
        Command::new("pamtester").args([service.name.as_str(), user, "authenticate"]),
        Some(input),
    )
    .finish(Duration::from_secs(30))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_lists_reissues_backup_codes_and_removes_a_phone() {
    let fx = Fixture::start().await;
    let config = fx.config("main", "timeout = 20");
    let mut phone = fx.phone(7);
    let (_, old_codes) = fx.enroll(&config, "frank", &mut phone).await;
    let service = PamService::new(&config, "");

    let (ok, out) = admin(&config, &["list", "frank"]).await;
    assert!(
        ok && out.contains("active") && out.contains("Test phone"),
        "{out}"
    );
    let device = out.split_whitespace().next().unwrap().to_owned();

    let (ok, out) = admin(&config, &["backup-codes", "frank"]).await;
    assert!(ok, "{out}");
    let new_codes: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 11 && l.as_bytes()[5] == b'-')
        .collect();
    assert_eq!(new_codes.len(), 10, "{out}");
    let (ok, out) = pam_login(&service, "frank", &format!("{}\n", old_codes[0])).await;
    assert!(!ok, "the old set is void: {out}");
    let (ok, out) = pam_login(&service, "frank", &format!("{}\n", new_codes[0])).await;
    assert!(ok, "the new set works: {out}");

    // A second phone needs the account's existing factor: a wrong code is refused, a
    // backup code lets the new phone in.
    let (ok, out) = Proc::spawn(
        Command::new(admin_path())
            .arg("--config")
            .arg(&config)
            .args(["enroll", "frank"]),
        Some("abcde-fghjk\n"),
    )
    .finish(Duration::from_secs(30))
    .await;
    assert!(!ok && out.contains("not accepted"), "{out}");
    let mut second = fx.phone(8);
    fx.enroll_proven(&config, "frank", &mut second, Some(new_codes[1]))
        .await;
    let (ok, out) = admin(&config, &["list", "frank"]).await;
    assert_eq!(
        out.lines().filter(|l| l.contains("active")).count(),
        2,
        "{out}"
    );
    assert!(ok);
    let second_device = out
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (ok, out) = admin(&config, &["remove", "frank", &second_device]).await;
    assert!(ok && out.contains("removed"), "{out}");

    let (ok, out) = admin(&config, &["remove", "frank", &device]).await;
    assert!(ok && out.contains("removed"), "{out}");
    let (ok, out) = admin(&config, &["list", "frank"]).await;
    assert!(ok && out.contains("no phone"), "{out}");
    let code = fx.next_totp_unchecked("frank").await;
    assert!(code.is_none(), "the phone's TOTP secret went with it");
    let (ok, out) = pam_login(&service, "frank", "\n").await;
    assert!(!ok && out.contains("no phone is enrolled"), "{out}");
    let (ok, _) = admin(&config, &["remove", "frank", "not-a-device"]).await;
    assert!(!ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsafe_or_missing_configuration_fails_the_login() {
    let fx = Fixture::start().await;
    let config = fx.config("main", "timeout = 5");
    let service = PamService::new(&config, "");
    std::fs::set_permissions(&fx.key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, out) = pam_login(&service, "gina", "\n").await;
    assert!(
        !ok && out.contains("Authentication service cannot retrieve"),
        "{out}"
    );
    let (ok, out) = admin(&config, &["list", "gina"]).await;
    assert!(!ok && out.contains("readable by root only"), "{out}");
    std::fs::set_permissions(&fx.key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let missing = PamService::new(&fx.dir.path().join("absent.toml"), "");
    let (ok, out) = pam_login(&missing, "gina", "\n").await;
    assert!(
        !ok && out.contains("Authentication service cannot retrieve"),
        "{out}"
    );
}
