//! When push is not an option: the phone's TOTP code (offline), backup codes issued at
//! activation, and application passwords — all behind one per-account limiter
//! (DESIGN.md §6, reliability "never the only path").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::Error as PhoneError;
use assent_protocol::ApprovalKind;
use assent_rp::Verification;
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
    assert_eq!(w.rp.limiter_state(ALICE).await.unwrap().failures, 7);
    // Not a lock: after the wait the user gets in, and success resets the count.
    w.advance(4);
    let right = w.phone.code(&enrolled.account_id);
    assert_eq!(
        w.rp.verify_totp(ALICE, &right).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(w.rp.limiter_state(ALICE).await.unwrap().failures, 0);
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

#[tokio::test]
async fn one_limiter_guards_totp_backup_codes_and_app_passwords() {
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
    // Five failures spread over the three factors …
    let bad_backup = "zzzzz-zzzzz";
    let bad_app = "aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa";
    assert_eq!(
        w.rp.verify_backup_code(ALICE, bad_backup).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        w.rp.verify_app_password(ALICE, bad_app).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        w.rp.verify_totp(ALICE, "000000").await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        w.rp.verify_backup_code(ALICE, bad_backup).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        w.rp.verify_app_password(ALICE, bad_app).await.unwrap(),
        Verification::Rejected
    );
    // … throttle all of them, before any hash.
    let before = w.hasher.count();
    assert!(matches!(
        w.rp.verify_backup_code(ALICE, &codes[0]).await.unwrap(),
        Verification::Throttled { .. }
    ));
    assert!(matches!(
        w.rp.verify_app_password(ALICE, app.password())
            .await
            .unwrap(),
        Verification::Throttled { .. }
    ));
    assert_eq!(w.hasher.count(), before);
    // And push logins wait too.
    assert!(matches!(
        w.start(ALICE).await,
        Err(assent_rp::Error::Throttled { .. })
    ));
    w.advance(1);
    assert_eq!(
        w.rp.verify_backup_code(ALICE, &codes[0]).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(w.rp.limiter_state(ALICE).await.unwrap().failures, 0);
}
