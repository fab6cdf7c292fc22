//! The `assent phone` simulator (the `assent` binary) against the real relay over TLS:
//! enroll from the offer URI with `--ca`, print the activation code the login page
//! accepts, list the pending challenge, approve it with the number; the RP sees Approved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assent_protocol::ApprovalKind;
use assent_rp::{AccountPolicy, ActivationResult, ChallengeStatus, PushPolicy, RegistrationStatus};
use assent_tests::backend::Backend;
use assent_tests::real_relay::{binary, RealRelay, Site};

/// Runs `assent phone --home <home> --ca <ca> <args>` off the runtime's threads.
async fn phone(home: &Path, ca: &Path, args: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new(binary("assent"));
    command
        .arg("phone")
        .arg("--home")
        .arg(home)
        .arg("--ca")
        .arg(ca)
        .args(args)
        .env_remove("ASSENT_RELAY_CA");
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn the_phone_cli_enrolls_lists_and_approves_through_the_real_relay(backend: Backend) {
    let relay = RealRelay::start_on(backend).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, PushPolicy::default(), 1).await;
    let home_dir = tempfile::tempdir().unwrap();
    let home: PathBuf = home_dir.path().to_owned();
    let ca = relay.ca_path();

    // Without the test CA the phone refuses the relay's certificate.
    let offer = site.offer("alice", ApprovalKind::Number).await;
    let mut untrusting = std::process::Command::new(binary("assent"));
    untrusting
        .arg("phone")
        .arg("--home")
        .arg(&home)
        .args(["enroll", &offer.uri, "--wait", "1"])
        .env_remove("ASSENT_RELAY_CA");
    let out = tokio::task::spawn_blocking(move || untrusting.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success(), "enrolled without trusting the CA");
    let registered = relay
        .db()
        .await
        .text_opt(
            "SELECT registration FROM enrollments WHERE eid = $1",
            &[offer.offer.eid.to_string().into()],
        )
        .await;
    assert!(registered.is_none(), "a registration got through");

    // Enroll: the CLI registers, then waits for the RP's answer, which the RP sends once
    // it takes the registration.
    let enroll = {
        let home = home.clone();
        let ca = ca.clone();
        let uri = offer.uri.clone();
        tokio::spawn(async move {
            phone(
                &home,
                &ca,
                &["enroll", &uri, "--name", "CLI phone", "--wait", "20"],
            )
            .await
        })
    };
    let eid = offer.offer.eid;
    let start = std::time::Instant::now();
    let info = loop {
        match site.complete(&eid).await.unwrap() {
            RegistrationStatus::AwaitingActivation(info) => break info,
            RegistrationStatus::Waiting => {
                assert!(start.elapsed() < Duration::from_secs(20), "no registration");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(info.name, "CLI phone");
    let (ok, out, err) = enroll.await.unwrap();
    assert!(ok, "enroll failed: {out}{err}");
    let code = out
        .lines()
        .find_map(|l| l.strip_prefix("activation code: "))
        .unwrap_or_else(|| panic!("no activation code in {out:?}"))
        .trim()
        .to_owned();
    assert!(out.contains("alice@example.com"), "{out}");
    match site.activate("alice", &eid, &code).await.unwrap() {
        ActivationResult::Activated(a) => assert_eq!(a.device.device_id, info.device_id),
        ActivationResult::Rejected => panic!("the CLI's activation code {code} was rejected"),
    }
    site.rp
        .set_account_policy(
            "alice",
            AccountPolicy {
                kind: ApprovalKind::Number,
                uv: false,
            },
        )
        .await
        .unwrap();

    // A login: the CLI lists it, with the context the RP sealed.
    let started = site.start("alice").await.unwrap();
    let (ok, out, err) = phone(&home, &ca, &["pending"]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("challenge {}", started.challenge_id)),
        "{out}"
    );
    assert!(
        out.contains("Firefox 126 on Windows") && out.contains("Bern, CH"),
        "{out}"
    );
    assert!(out.contains("number"), "{out}");

    // Approve with the number shown on the login page.
    let (ok, out, err) = phone(
        &home,
        &ca,
        &["approve", "-", "--entry", started.display.as_str()],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("approved {}", started.challenge_id)),
        "{out}"
    );
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    site.rp.redeem(&started.handle).await.unwrap();

    // Answered: nothing pending, and approving again fails.
    let (ok, out, _) = phone(&home, &ca, &["pending"]).await;
    assert!(ok && !out.contains("challenge "), "{out}");
    let (ok, _, _) = phone(
        &home,
        &ca,
        &["approve", "-", "--entry", started.display.as_str()],
    )
    .await;
    assert!(!ok, "approved twice");
}

assent_tests::on_both_backends!(the_phone_cli_enrolls_lists_and_approves_through_the_real_relay,);
