//! Secrets never logged (issue 13): a login server, the real relay over TLS and a phone
//! go through enrollment, TOTP, backup codes, application passwords and a push
//! approval with every log line of every crate captured at TRACE level; none of the
//! secrets used appears in any line. (Every other test binary that builds a `World` or
//! a `RealRelay` is scanned the same way when they are dropped.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::Decision;
use assent_protocol::ApprovalKind;
use assent_rp::{ChallengeStatus, PushPolicy, Verification};
use assent_tests::backend::Backend;
use assent_tests::log_scan;
use assent_tests::real_relay::{RealPhone, RealRelay, Site};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

async fn no_secret_of_a_whole_login_life_reaches_the_logs(backend: Backend) {
    let relay = RealRelay::start_on(backend).await;
    let key = relay.tenant("example.com").await;
    let mut site = Site::new(&relay, &key, PushPolicy::default(), 1).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 2, "Alice's phone");
    let enrolled = site.enroll(&mut phone, "alice", ApprovalKind::Code).await;

    // A push approval, typed code and all, redeemed once.
    let started = site.start("alice").await.unwrap();
    let view = phone.the_pending().await;
    let display = started.display.to_string();
    log_scan::register("typed code", &display);
    phone
        .client
        .answer(&view, Decision::Approve, &display, false)
        .await
        .unwrap();
    let status = site
        .rp
        .poll_challenge(&started.handle, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, ChallengeStatus::Approved);
    site.rp.redeem(&started.handle).await.unwrap();

    // A TOTP code from the phone, wrong codes, a backup code, application passwords.
    relay.clock.advance(30);
    let code = phone
        .client
        .vault()
        .code(&enrolled.account_id)
        .unwrap()
        .code
        .to_string();
    log_scan::register("TOTP code", &code);
    assert_eq!(
        site.rp.verify_totp("alice", &code).await.unwrap(),
        Verification::Accepted
    );
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let codes = site
        .rp
        .generate_backup_codes("alice", &mut rng)
        .await
        .unwrap();
    for code in codes.iter() {
        log_scan::register("backup code", code);
    }
    let first = codes.iter().next().unwrap().to_owned();
    assert_eq!(
        site.rp.verify_backup_code("alice", &first).await.unwrap(),
        Verification::Accepted
    );
    let app = site
        .rp
        .create_app_password("alice", "mail", &mut rng)
        .await
        .unwrap();
    log_scan::register("app password", app.password());
    assert_eq!(
        site.rp
            .verify_app_password("alice", app.password())
            .await
            .unwrap(),
        Verification::Accepted
    );
    for _ in 0..7 {
        let totp = site.rp.verify_totp("alice", "000000").await.unwrap();
        let app = site.rp.verify_app_password("alice", "wrong").await.unwrap();
        assert!(!totp.is_accepted() && !app.is_accepted());
    }

    // The capture saw the whole run, TRACE lines included; none names a secret.
    assert!(
        log_scan::lines_containing("TRACE") > 0,
        "no TRACE line captured"
    );
    assert!(
        log_scan::lines_containing("attempt throttled") > 0,
        "the RP's own debug lines are captured"
    );
    log_scan::assert_clean();
}

assent_tests::on_both_backends!(no_secret_of_a_whole_login_life_reaches_the_logs,);
