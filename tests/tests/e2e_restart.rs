//! A relay restart, even `kill -9`, loses no answered challenge and never lets one be
//! answered twice (DESIGN.md, reliability). This drives the real `assent-relay` binary
//! on a SQLite file and on a PostgreSQL database: killed with SIGKILL while an RP
//! long-poll is parked on it, then started again on the same database.
//!
//! TLS: when the binary has `--tls-cert`/`--tls-key`, it serves the test CA's
//! certificate itself; otherwise (the binary speaks plain HTTP) a TLS-terminating proxy
//! in this test ([`TlsProxy`]) fronts it on a stable port, which is the public origin.
//! `ASSENT_TEST_RELAY_TLS=proxy` forces the proxy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use assent_core::Decision;
use assent_protocol::{ApprovalKind, Challenge, RelayUrl};
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::backend::Backend;
use assent_tests::real_relay::{
    binary, https_client, signed_request, wall_now, RealPhone, RelayProcess, Site, TestCa,
    TestClock, TlsProxy, ALPN,
};

fn admin(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(binary("assent-relay"))
        .current_dir(dir)
        .args(["--database-url", database_url, "admin"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Starts the relay binary on the database; TLS either by the binary or by `proxy`.
fn start(
    dir: &Path,
    database_url: &str,
    origin: &RelayUrl,
    native_tls: Option<SocketAddr>,
    proxy: Option<&TlsProxy>,
) -> RelayProcess {
    let mut args = vec![
        "--database-url".to_owned(),
        database_url.to_owned(),
        "--public-origin".to_owned(),
        origin.as_str().to_owned(),
    ];
    match native_tls {
        Some(listen) => {
            args.extend([
                "--listen".to_owned(),
                listen.to_string(),
                "--tls-cert".to_owned(),
                dir.join("cert.pem").display().to_string(),
                "--tls-key".to_owned(),
                dir.join("key.pem").display().to_string(),
            ]);
        }
        None => {
            args.extend(["--listen".to_owned(), "127.0.0.1:0".to_owned()]);
            if RelayProcess::help().contains("--plain-http") {
                args.push("--plain-http".to_owned());
            }
        }
    }
    if RelayProcess::help().contains("--metrics-listen") {
        // Several relays run at once here: none takes the default metrics port.
        args.extend(["--metrics-listen".to_owned(), "off".to_owned()]);
    }
    let process = RelayProcess::spawn(dir, &args);
    if let Some(proxy) = proxy {
        proxy.set_backend(process.addr);
    }
    process
}

async fn kill_9_mid_flight_loses_no_answer_and_allows_no_second_one(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::named("Assent restart test CA").unwrap();
    ca.write_to(dir.path()).unwrap();
    let database_url = backend.new_database(dir.path()).await;

    // ASSENT_TEST_RELAY_TLS=proxy forces the proxy even when the binary does TLS.
    let native = RelayProcess::help().contains("--tls-cert")
        && std::env::var("ASSENT_TEST_RELAY_TLS").as_deref() != Ok("proxy");
    let (proxy, listen, origin) = if native {
        // A port of our own for both runs (the origin names it).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = SocketAddr::from(([127, 0, 0, 1], port));
        (None, Some(listen), format!("https://127.0.0.1:{port}"))
    } else {
        let proxy = TlsProxy::start(ca.server_config(ALPN).unwrap()).await;
        let origin = format!("https://127.0.0.1:{}", proxy.addr.port());
        (Some(proxy), None, origin)
    };
    let origin = RelayUrl::parse(&origin).unwrap();
    eprintln!(
        "TLS by {}",
        if native {
            "the relay binary"
        } else {
            "a proxy in the test"
        }
    );

    admin(
        dir.path(),
        &database_url,
        &["tenant", "create", "example.com"],
    );
    let key = admin(dir.path(), &database_url, &["key", "create", "example.com"])
        .lines()
        .find(|l| l.starts_with("ask_"))
        .unwrap()
        .to_owned();
    let mut relay = start(dir.path(), &database_url, &origin, listen, proxy.as_ref());

    // The binary runs on the wall clock; so do the RP and the phone here.
    let clock = TestClock::at(wall_now());
    let mut site = Site::on(
        origin.clone(),
        ca.ca_pem(),
        clock.clone(),
        &key,
        PushPolicy::default(),
        1,
    )
    .await;
    let mut phone = RealPhone::new(ca.ca_pem(), clock.clone(), 2, "Alice's phone");
    let alice = site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let _bob = site.enroll(&mut phone, "bob", ApprovalKind::Code).await;

    // Alice's challenge is answered (approved) and the RP has not read the answer yet;
    // Bob's is pending with the RP's long-poll parked on it.
    let a = site.start("alice").await.unwrap();
    let b = site.start("bob").await.unwrap();
    let polled = phone.client.pending().await.unwrap();
    assert_eq!(polled.shown.len(), 2, "{polled:?}");
    let view_a = polled
        .shown
        .iter()
        .find(|v| v.challenge_id == a.challenge_id)
        .unwrap()
        .clone();
    let http = https_client(ca.ca_pem());
    let reply = signed_request(
        &http,
        &phone,
        &alice.account_id,
        &origin,
        wall_now(),
        "GET",
        "/v1/challenges",
        "",
    )
    .await;
    let challenge_a =
        Challenge::from_json(reply.json()["challenges"][0].to_string().as_bytes()).unwrap();
    assert_eq!(challenge_a.challenge_id, a.challenge_id);
    phone
        .client
        .answer(&view_a, Decision::Approve, &a.display, false)
        .await
        .unwrap();

    let parked = {
        let relay_api = site.relay.clone();
        let id = b.challenge_id;
        tokio::spawn(async move {
            assent_rp::RelayApi::answer(relay_api.as_ref(), &id, Duration::from_secs(20)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay.kill9();
    // The parked long-poll fails (connection gone): an error, never a verdict.
    let cut = tokio::time::timeout(Duration::from_secs(10), parked)
        .await
        .unwrap()
        .unwrap();
    assert!(cut.is_err(), "{cut:?}");

    let _relay = start(dir.path(), &database_url, &origin, listen, proxy.as_ref());

    // The answer given before the kill is there, signed, and resolves the login.
    assert_eq!(
        site.rp
            .poll_challenge(&a.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    site.rp.redeem(&a.handle).await.unwrap();

    // No second answer: a different one is refused, the same one gives the first result,
    // and the phone's core refuses to answer again.
    let deny = phone.make_answer(&alice.account_id, &challenge_a, Decision::Deny, "");
    let reply = signed_request(
        &http,
        &phone,
        &alice.account_id,
        &origin,
        wall_now(),
        "POST",
        "/v1/answer",
        &deny.to_json(),
    )
    .await;
    assert_eq!(reply.code(), (409, "not_pending".into()));
    let stored = site.relay.as_ref().clone();
    let first = assent_rp::RelayApi::answer(&stored, &a.challenge_id, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.decision, Decision::Approve, "the first answer stands");
    assert!(phone
        .client
        .answer(&view_a, Decision::Deny, "", false)
        .await
        .is_err());

    // Bob's challenge survived pending and is answered once, after the restart.
    let view_b = phone.the_pending().await;
    assert_eq!(view_b.challenge_id, b.challenge_id);
    phone
        .client
        .answer(&view_b, Decision::Approve, &b.display, false)
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&b.handle, Duration::from_secs(5))
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    assert!(phone.client.pending().await.unwrap().shown.is_empty());
}

assent_tests::on_both_backends!(kill_9_mid_flight_loses_no_answer_and_allows_no_second_one,);
