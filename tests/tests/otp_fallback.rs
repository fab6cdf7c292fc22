//! When push is not an option: the phone's TOTP code (offline), backup codes issued at
//! activation, and application passwords — each behind its own throttle per account
//! (DESIGN.md §6, reliability "never the only path"; the model is in docs/security.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::Error as PhoneError;
use assent_protocol::ApprovalKind;
use assent_rp::{Guess, Verification};
use assent_tests::{Config, StoreKind, World, ALICE};

/// The same code shape with every digit changed.
fn not_this(code: &str) -> String {
    code.chars()
        .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
        .collect()
}

#[tokio::test]
async fn the_phones_offline_totp_code_is_accepted_once() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;
        // The phone is offline: pushes cannot be fetched, codes still show.
        w.relay.set_offline(true);
        w.start(ALICE).await.unwrap();
        assert!(matches!(
            w.deliver_push().await,
            Err(PhoneError::Transport(_))
        ));

        w.advance(30);
        let code = w.phone.code(&enrolled.account_id);
        assert_ne!(code, enrolled.activation_code);
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            Verification::Accepted
        );
        // Replay: refused, in the same step and in the next.
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            Verification::Rejected
        );
        w.advance(15);
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            Verification::Rejected
        );
        // The next step's code works; the older one never again.
        w.advance(15);
        let next = w.phone.code(&enrolled.account_id);
        assert_ne!(next, code);
        assert_eq!(
            w.rp.verify_totp(ALICE, &next).await.unwrap(),
            Verification::Accepted
        );
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            Verification::Rejected
        );
        // Window: one step either side. Two steps old is refused.
        w.advance(30);
        let now_code = w.phone.code(&enrolled.account_id);
        w.advance(60);
        assert_eq!(
            w.rp.verify_totp(ALICE, &now_code).await.unwrap(),
            Verification::Rejected
        );
    }
}

#[tokio::test]
async fn totp_failures_are_throttled_with_growing_delays_never_locked() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    w.advance(30);
    let right = w.phone.code(&enrolled.account_id);
    let wrong = not_this(&right);
    for _ in 0..5 {
        assert_eq!(
            w.rp.verify_totp(ALICE, &wrong).await.unwrap(),
            Verification::Rejected
        );
    }
    let throttled = |s: u64| Verification::Throttled {
        retry_after: Duration::from_secs(s),
    };
    // 5 free failures, then 1 s, 2 s, 4 s …: even the right code is not checked.
    assert_eq!(w.rp.verify_totp(ALICE, &right).await.unwrap(), throttled(1));
    w.advance(1);
    assert_eq!(
        w.rp.verify_totp(ALICE, &wrong).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(w.rp.verify_totp(ALICE, &right).await.unwrap(), throttled(2));
    w.advance(2);
    assert_eq!(
        w.rp.verify_totp(ALICE, &wrong).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(w.rp.verify_totp(ALICE, &right).await.unwrap(), throttled(4));
    assert_eq!(
        w.rp.limiter_state(ALICE, Guess::Totp)
            .await
            .unwrap()
            .failures,
        7
    );
    // Not a lock: after the wait the user gets in, and success resets the count.
    w.advance(4);
    let right = w.phone.code(&enrolled.account_id);
    assert_eq!(
        w.rp.verify_totp(ALICE, &right).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(
        w.rp.limiter_state(ALICE, Guess::Totp)
            .await
            .unwrap()
            .failures,
        0
    );
}

/// Real argon2id at OWASP's parameters here: what servers run.
#[tokio::test]
async fn backup_codes_issued_at_activation_work_once_each_with_one_hash_per_check() {
    let mut w = World::new(Config {
        real_argon2: true,
        ..Config::default()
    })
    .await;
    let hashes = w.hasher.count();
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    assert_eq!(w.hasher.count() - hashes, 10, "ten codes, one hash each");
    let codes: Vec<String> = enrolled
        .backup_codes
        .as_ref()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(codes
        .iter()
        .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    assert_eq!(w.rp.backup_codes_remaining(ALICE).await.unwrap(), 10);

    let before = w.hasher.count();
    assert_eq!(
        w.rp.verify_backup_code(ALICE, &codes[3]).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(w.hasher.count() - before, 1);
    assert_eq!(w.rp.backup_codes_remaining(ALICE).await.unwrap(), 9);
    // Single use: refused the second time, without even hashing.
    let before = w.hasher.count();
    assert_eq!(
        w.rp.verify_backup_code(ALICE, &codes[3]).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(w.hasher.count() - before, 0);
    // Typed loosely (case, spaces, no dash) another one works.
    let loose = codes[4].replace('-', " ").to_uppercase();
    assert_eq!(
        w.rp.verify_backup_code(ALICE, &loose).await.unwrap(),
        Verification::Accepted
    );
    // A wrong secret behind a real id costs one hash and is refused.
    let mut forged = codes[5].clone().into_bytes();
    forged[10] = if forged[10] == b'a' { b'b' } else { b'a' };
    let before = w.hasher.count();
    assert_eq!(
        w.rp.verify_backup_code(ALICE, std::str::from_utf8(&forged).unwrap())
            .await
            .unwrap(),
        Verification::Rejected
    );
    assert_eq!(w.hasher.count() - before, 1);
    assert_eq!(w.rp.backup_codes_remaining(ALICE).await.unwrap(), 8);
}

#[tokio::test]
async fn app_password_create_verify_revoke() {
    let w = World::new(Config {
        real_argon2: true,
        ..Config::default()
    })
    .await;
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(11);
    let created =
        w.rp.create_app_password(ALICE, "Thunderbird", &mut rng)
            .await
            .unwrap();
    assent_tests::log_scan::register("app password", created.password());
    let password = created.password().to_owned();
    assert_eq!(created.info.name, "Thunderbird");
    assert_eq!(
        w.rp.verify_app_password(ALICE, &password).await.unwrap(),
        Verification::Accepted
    );
    let listed = w.rp.list_app_passwords(ALICE).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(w.now()));
    assert!(!format!("{listed:?}").contains(&password[7..]));

    assert!(w
        .rp
        .revoke_app_password(ALICE, &created.info.id)
        .await
        .unwrap());
    let before = w.hasher.count();
    assert_eq!(
        w.rp.verify_app_password(ALICE, &password).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(w.hasher.count(), before, "a revoked id costs no hash");
    assert!(w.rp.list_app_passwords(ALICE).await.unwrap()[0]
        .revoked_at
        .is_some());
    // Revoking again reports it was not live.
    assert!(!w
        .rp
        .revoke_app_password(ALICE, &created.info.id)
        .await
        .unwrap());
}

/// One attacker step: a wrong backup code and a wrong application password (an id that
/// names nothing), each as soon as it is admitted. Returns the earliest time one of
/// them is admitted again, and how many guesses were checked.
async fn attacker_step(w: &World) -> (u64, u32) {
    let bad_backup = "zzzzz-zzzzz";
    let bad_app = "zzzzzz-zzzz-zzzz-zzzz-zzzz-zzzz-zz";
    let now = w.now();
    let mut next = u64::MAX;
    let mut checked = 0;
    for verification in [
        w.rp.verify_backup_code(ALICE, bad_backup).await.unwrap(),
        w.rp.verify_app_password(ALICE, bad_app).await.unwrap(),
    ] {
        match verification {
            Verification::Rejected => {
                checked += 1;
                next = next.min(now + 1);
            }
            Verification::Throttled { retry_after } => {
                next = next.min(now + retry_after.as_secs().max(1));
            }
            other => panic!("a wrong guess was {other:?}"),
        }
    }
    (next, checked)
}

/// DESIGN.md property 6 ("the throttle must not let an attacker lock users out"), as
/// issue 13 found it broken: for a whole simulated day an attacker who knows only the
/// username sends wrong application passwords and backup codes whenever each is
/// admitted. Every hour the user's phone code, the mail client's application password
/// and a push start still work at the first try. (Wrong TOTP codes do delay TOTP
/// itself, never the other factors: `wrong_guesses_at_one_factor_never_block_another`.)
#[tokio::test]
async fn an_attacker_who_knows_the_username_locks_the_user_out_of_nothing_for_a_day() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(12);
    let mail =
        w.rp.create_app_password(ALICE, "mail", &mut rng)
            .await
            .unwrap();
    assent_tests::log_scan::register("app password", mail.password());
    let start = w.now();
    let mut attacker_guesses = 0;
    for hour in 1..=24u64 {
        while w.now() < start + hour * 3600 {
            let (next, checked) = attacker_step(&w).await;
            attacker_guesses += checked;
            let target = next.min(start + hour * 3600);
            w.advance(target.saturating_sub(w.now()).max(1));
        }
        let code = w.phone.code(&enrolled.account_id);
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            Verification::Accepted,
            "hour {hour}: the phone's code"
        );
        assert_eq!(
            w.rp.verify_app_password(ALICE, mail.password())
                .await
                .unwrap(),
            Verification::Accepted,
            "hour {hour}: the mail client"
        );
        assert!(w.start(ALICE).await.is_ok(), "hour {hour}: a push");
    }
    // The attacker was throttled all along (without the throttle: one guess per
    // second per factor, 172,800 in a day).
    assert!(
        attacker_guesses < 3 * 150,
        "{attacker_guesses} guesses checked"
    );
}

/// Issue 13 finding 2: a success of one factor resets only that factor. With the mail
/// client logging in by application password every minute, an attacker who knows the
/// password gets no more TOTP guesses in an hour than with no mail client at all.
#[tokio::test]
async fn a_stream_of_good_app_passwords_does_not_raise_the_totp_guess_rate() {
    let mut checked = Vec::new();
    for with_mail_client in [false, true] {
        let mut w = World::sqlite().await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(3);
        let mail =
            w.rp.create_app_password(ALICE, "mail", &mut rng)
                .await
                .unwrap();
        assent_tests::log_scan::register("app password", mail.password());
        let start = w.now();
        let mut guesses = 0u32;
        let mut next_mail = start;
        while w.now() < start + 3600 {
            if with_mail_client && w.now() >= next_mail {
                assert!(w
                    .rp
                    .verify_app_password(ALICE, mail.password())
                    .await
                    .unwrap()
                    .is_accepted());
                next_mail += 60;
            }
            let wrong = not_this(&w.phone.code(&enrolled.account_id));
            let wait = match w.rp.verify_totp(ALICE, &wrong).await.unwrap() {
                Verification::Rejected => {
                    guesses += 1;
                    1
                }
                Verification::Throttled { retry_after } => retry_after.as_secs().max(1),
                other => panic!("{other:?}"),
            };
            let wait = if with_mail_client {
                wait.min(next_mail.saturating_sub(w.now()).max(1))
            } else {
                wait
            };
            w.advance(wait);
        }
        checked.push(guesses);
    }
    assert_eq!(checked[0], checked[1], "{checked:?}");
    // The default policy: 5 free, then 1 s, 2 s, … 512 s, then 15 minutes.
    assert!(checked[0] <= 18, "{checked:?}");
}

/// Each factor's wrong guesses throttle that factor only, before any hash.
#[tokio::test]
async fn wrong_guesses_at_one_factor_never_block_another() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let codes: Vec<String> = enrolled
        .backup_codes
        .as_ref()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(12);
    let app =
        w.rp.create_app_password(ALICE, "sync", &mut rng)
            .await
            .unwrap();
    assent_tests::log_scan::register("app password", app.password());
    // A fresh TOTP step (activation spent the current one).
    w.advance(30);
    // Backup codes: five wrong ones, then even the right one waits (no hash) …
    for _ in 0..5 {
        assert_eq!(
            w.rp.verify_backup_code(ALICE, "zzzzz-zzzzz").await.unwrap(),
            Verification::Rejected
        );
    }
    let before = w.hasher.count();
    assert!(matches!(
        w.rp.verify_backup_code(ALICE, &codes[0]).await.unwrap(),
        Verification::Throttled { .. }
    ));
    assert_eq!(w.hasher.count(), before);
    // … while TOTP, the application password and push go on at once.
    let code = w.phone.code(&enrolled.account_id);
    assert_eq!(
        w.rp.verify_totp(ALICE, &code).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(
        w.rp.verify_app_password(ALICE, app.password())
            .await
            .unwrap(),
        Verification::Accepted
    );
    assert!(w.start(ALICE).await.is_ok());
    // Those successes did not wipe the backup-code count: it still waits …
    assert!(matches!(
        w.rp.verify_backup_code(ALICE, &codes[0]).await.unwrap(),
        Verification::Throttled { .. }
    ));
    // … and after the wait the code works and resets its own count.
    w.advance(1);
    assert_eq!(
        w.rp.verify_backup_code(ALICE, &codes[0]).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(
        w.rp.limiter_state(ALICE, Guess::BackupCode)
            .await
            .unwrap()
            .failures,
        0
    );
}
