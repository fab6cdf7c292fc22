//! The store suite for per-account push settings, and deleting an account from every family.

use super::*;

async fn account_policy_round_trips_beside_the_mute(s: Store) {
    let p = crate::AccountPolicy {
        kind: ApprovalKind::Code,
        uv: true,
    };
    assert_eq!(s.account_policy("a").await.unwrap(), None);
    s.mute_pushes("a", 10).await.unwrap();
    assert_eq!(s.account_policy("a").await.unwrap(), None);
    s.set_account_policy("a", &p).await.unwrap();
    assert_eq!(s.account_policy("a").await.unwrap(), Some(p));
    assert_eq!(s.pushes_muted_until("a").await.unwrap(), Some(10));
}

async fn deleting_an_account_removes_everything(s: Store) {
    for acct in ["a", "b"] {
        s.put_totp(acct, &totp_record(1)).await.unwrap();
        s.update_limiter(acct, &Guess::Totp.into(), &mut |_| LimiterState {
            failures: 1,
            next_allowed: 2,
        })
        .await
        .unwrap();
        s.replace_backup_codes(acct, &[code("x", "h")])
            .await
            .unwrap();
        s.insert_app_password(acct, &app_password("p", 1))
            .await
            .unwrap();
    }
    s.delete_account("a").await.unwrap();
    assert_eq!(s.totp("a").await.unwrap(), None);
    assert_eq!(
        s.limiter("a", &Guess::Totp.into()).await.unwrap(),
        LimiterState::default()
    );
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 0);
    assert!(s.list_app_passwords("a").await.unwrap().is_empty());
    assert!(s.totp("b").await.unwrap().is_some());
    assert_eq!(s.backup_codes_remaining("b").await.unwrap(), 1);
}

async fn deleting_an_account_removes_its_push_state(s: Store) {
    s.insert_enrollment(&enrollment(1, "a")).await.unwrap();
    s.insert_device(&device(1, "a", 1)).await.unwrap();
    s.insert_challenge(&challenge(1, "a", 1, 1), &LIMITS, 1)
        .await
        .unwrap();
    s.mute_pushes("a", 99).await.unwrap();
    s.insert_device(&device(2, "b", 1)).await.unwrap();
    s.delete_account("a").await.unwrap();
    assert!(s.enrollment(&eid(1)).await.unwrap().is_none());
    assert!(s.device(&dev(1)).await.unwrap().is_none());
    assert!(s.challenge_by_handle(&[1; 32]).await.unwrap().is_none());
    assert_eq!(s.pushes_muted_until("a").await.unwrap(), None);
    assert!(s.device(&dev(2)).await.unwrap().is_some());
}

on_every_store!(
    account_policy_round_trips_beside_the_mute,
    deleting_an_account_removes_everything,
    deleting_an_account_removes_its_push_state,
);
