//! The store test suite, run against every [`RpStore`] implementation.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use assent_otp::{Algorithm, Secret};

use super::*;
use crate::test_support::on_both_stores;

type Store = Arc<dyn RpStore>;

fn totp_record(byte: u8) -> TotpRecord {
    TotpRecord {
        secret: Secret::from_bytes(vec![byte; 20]).unwrap(),
        params: TotpParams {
            algorithm: Algorithm::Sha256,
            digits: 8,
            period: 60,
        },
        last_step: None,
        created_at: 1_700_000_000,
    }
}

fn code(id: &str, hash: &str) -> BackupCodeRecord {
    BackupCodeRecord {
        id: id.into(),
        hash: hash.into(),
        used_at: None,
    }
}

fn app_password(id: &str, created_at: u64) -> AppPasswordRecord {
    AppPasswordRecord {
        info: AppPasswordInfo {
            id: id.into(),
            name: format!("tool {id}"),
            created_at,
            last_used_at: None,
            revoked_at: None,
        },
        hash: format!("hash-{id}"),
    }
}

fn totp_round_trips_and_replaces(s: Store) {
    assert_eq!(s.totp("a").unwrap(), None);
    s.put_totp("a", &totp_record(1)).unwrap();
    assert_eq!(s.totp("a").unwrap(), Some(totp_record(1)));
    assert!(s.advance_totp_step("a", 5).unwrap());
    s.put_totp("a", &totp_record(2)).unwrap();
    let got = s.totp("a").unwrap().unwrap();
    assert_eq!(got, totp_record(2));
    assert_eq!(got.last_step, None);
    assert_eq!(s.totp("b").unwrap(), None);
    assert!(s.delete_totp("a").unwrap());
    assert!(!s.delete_totp("a").unwrap());
    assert_eq!(s.totp("a").unwrap(), None);
}

fn advancing_the_step_is_conditional(s: Store) {
    assert!(!s.advance_totp_step("a", 10).unwrap(), "no record");
    s.put_totp("a", &totp_record(1)).unwrap();
    assert!(s.advance_totp_step("a", 10).unwrap());
    assert!(!s.advance_totp_step("a", 10).unwrap(), "same step twice");
    assert!(!s.advance_totp_step("a", 9).unwrap(), "older step");
    assert!(s.advance_totp_step("a", 11).unwrap());
    assert_eq!(s.totp("a").unwrap().unwrap().last_step, Some(11));
}

fn limiter_updates_and_resets(s: Store) {
    assert_eq!(s.limiter("a").unwrap(), LimiterState::default());
    let mut seen = Vec::new();
    for i in 1..=3 {
        s.update_limiter("a", &mut |st| {
            seen.push(st);
            LimiterState {
                failures: st.failures + 1,
                next_allowed: 100 * i,
            }
        })
        .unwrap();
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].failures, 2);
    assert_eq!(
        s.limiter("a").unwrap(),
        LimiterState {
            failures: 3,
            next_allowed: 300
        }
    );
    assert_eq!(s.limiter("b").unwrap(), LimiterState::default());
    s.reset_limiter("a").unwrap();
    assert_eq!(s.limiter("a").unwrap(), LimiterState::default());
}

fn backup_codes_are_consumed_once(s: Store) {
    s.replace_backup_codes("a", &[code("x", "hx"), code("y", "hy"), code("z", "hz")])
        .unwrap();
    assert_eq!(s.backup_codes_remaining("a").unwrap(), 3);
    assert_eq!(s.backup_code("a", "y").unwrap(), Some(code("y", "hy")));
    assert_eq!(s.backup_code("b", "y").unwrap(), None);
    assert!(
        !s.consume_backup_code("a", "y", "hx", 5).unwrap(),
        "wrong hash"
    );
    assert!(s.consume_backup_code("a", "y", "hy", 5).unwrap());
    assert!(
        !s.consume_backup_code("a", "y", "hy", 6).unwrap(),
        "second use"
    );
    assert_eq!(s.backup_code("a", "y").unwrap().unwrap().used_at, Some(5));
    assert_eq!(s.backup_codes_remaining("a").unwrap(), 2);

    s.replace_backup_codes("a", &[code("y", "hy2")]).unwrap();
    assert_eq!(s.backup_codes_remaining("a").unwrap(), 1);
    assert_eq!(s.backup_code("a", "x").unwrap(), None, "old set gone");
    assert!(
        !s.consume_backup_code("a", "y", "hy", 7).unwrap(),
        "old code cannot spend a new code with the same id"
    );
    assert!(s.consume_backup_code("a", "y", "hy2", 7).unwrap());
    assert_eq!(s.backup_codes_remaining("a").unwrap(), 0);
}

fn app_passwords_list_touch_and_revoke(s: Store) {
    assert!(s.insert_app_password("a", &app_password("p1", 10)).unwrap());
    assert!(s.insert_app_password("a", &app_password("p2", 20)).unwrap());
    assert!(!s.insert_app_password("a", &app_password("p1", 30)).unwrap());
    assert!(s.insert_app_password("b", &app_password("p1", 30)).unwrap());

    let list = s.list_app_passwords("a").unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], app_password("p1", 10).info);
    assert_eq!(list[1].id, "p2");

    s.touch_app_password("a", "p2", 25).unwrap();
    let p2 = s.app_password("a", "p2").unwrap().unwrap();
    assert_eq!(p2.info.last_used_at, Some(25));
    assert_eq!(p2.hash, "hash-p2");

    assert!(s.revoke_app_password("a", "p1", 40).unwrap());
    assert!(!s.revoke_app_password("a", "p1", 41).unwrap());
    assert!(!s.revoke_app_password("a", "nope", 41).unwrap());
    assert_eq!(
        s.app_password("a", "p1").unwrap().unwrap().info.revoked_at,
        Some(40)
    );
    assert_eq!(s.revoke_all_app_passwords("a", 50).unwrap(), 1);
    assert_eq!(s.revoke_all_app_passwords("a", 51).unwrap(), 0);
    assert!(s
        .list_app_passwords("a")
        .unwrap()
        .iter()
        .all(|p| p.revoked_at.is_some()));
    assert_eq!(s.list_app_passwords("b").unwrap()[0].revoked_at, None);
}

fn deleting_an_account_removes_everything(s: Store) {
    for acct in ["a", "b"] {
        s.put_totp(acct, &totp_record(1)).unwrap();
        s.update_limiter(acct, &mut |_| LimiterState {
            failures: 1,
            next_allowed: 2,
        })
        .unwrap();
        s.replace_backup_codes(acct, &[code("x", "h")]).unwrap();
        s.insert_app_password(acct, &app_password("p", 1)).unwrap();
    }
    s.delete_account("a").unwrap();
    assert_eq!(s.totp("a").unwrap(), None);
    assert_eq!(s.limiter("a").unwrap(), LimiterState::default());
    assert_eq!(s.backup_codes_remaining("a").unwrap(), 0);
    assert!(s.list_app_passwords("a").unwrap().is_empty());
    assert!(s.totp("b").unwrap().is_some());
    assert_eq!(s.backup_codes_remaining("b").unwrap(), 1);
}

on_both_stores!(
    totp_round_trips_and_replaces,
    advancing_the_step_is_conditional,
    limiter_updates_and_resets,
    backup_codes_are_consumed_once,
    app_passwords_list_touch_and_revoke,
    deleting_an_account_removes_everything,
);
