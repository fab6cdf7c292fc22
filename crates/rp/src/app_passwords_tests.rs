use std::sync::Arc;

use super::*;
use crate::test_support::{fixture, on_both_stores, rng};
use crate::Guess;
use crate::RpStore;

const T: u64 = 1_700_000_000;

async fn create_list_verify(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let new =
        f.rp.create_app_password("alice", "  Thunderbird on laptop ", &mut rng(1))
            .await
            .unwrap();
    let pw = new.password().to_owned();
    assert_eq!(pw.len(), 32 + 7, "{pw}");
    assert_eq!(pw.matches('-').count(), 7);
    assert_eq!(new.info.name, "Thunderbird on laptop");
    assert_eq!(new.info.id, pw.replace('-', "")[..APP_PASSWORD_ID_LEN]);
    assert_eq!(new.info.created_at, T);
    assert!(!format!("{new:?}").contains(&pw));

    let list = f.rp.list_app_passwords("alice").await.unwrap();
    assert_eq!(list, vec![new.info.clone()]);
    let stored =
        f.rp.store()
            .app_password("alice", &new.info.id)
            .await
            .unwrap()
            .unwrap();
    assert!(stored.hash.starts_with("$argon2id$"));
    assert!(!stored.hash.contains(&pw.replace('-', "")));

    f.clock.advance(60);
    let before = f.hasher.total();
    assert_eq!(
        f.rp.verify_app_password("alice", &pw).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(f.hasher.total(), before + 1, "one hash per check");
    // Reusable (unlike backup codes), case and dashes ignored.
    let typed = pw.to_uppercase().replace('-', "");
    assert!(f
        .rp
        .verify_app_password("alice", &typed)
        .await
        .unwrap()
        .is_accepted());
    assert_eq!(
        f.rp.list_app_passwords("alice").await.unwrap()[0].last_used_at,
        Some(T + 60)
    );
    assert_eq!(
        f.rp.verify_app_password("bob", &pw).await.unwrap(),
        Verification::Rejected,
        "bound to its account"
    );
}

async fn wrong_passwords_cost_one_hash_or_none(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let pw =
        f.rp.create_app_password("alice", "mail", &mut rng(1))
            .await
            .unwrap()
            .password()
            .replace('-', "");
    let last = if pw.ends_with('2') { "3" } else { "2" };
    let wrong = format!("{}{last}", &pw[..pw.len() - 1]);
    let before = f.hasher.total();
    assert_eq!(
        f.rp.verify_app_password("alice", &wrong).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(f.hasher.total(), before + 1);
    assert_eq!(
        f.rp.verify_app_password("alice", "short").await.unwrap(),
        Verification::Rejected
    );
    let other_id = format!("zzzzzz{}", &pw[6..]);
    assert_eq!(
        f.rp.verify_app_password("alice", &other_id).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        f.hasher.total(),
        before + 1,
        "malformed or unknown id: no hash"
    );
}

async fn revoke_one_and_all(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let mut r = rng(1);
    let a =
        f.rp.create_app_password("alice", "a", &mut r)
            .await
            .unwrap();
    let b =
        f.rp.create_app_password("alice", "b", &mut r)
            .await
            .unwrap();
    let c =
        f.rp.create_app_password("alice", "c", &mut r)
            .await
            .unwrap();
    f.clock.advance(5);
    assert!(f.rp.revoke_app_password("alice", &a.info.id).await.unwrap());
    assert!(!f.rp.revoke_app_password("alice", &a.info.id).await.unwrap());
    let before = f.hasher.total();
    assert_eq!(
        f.rp.verify_app_password("alice", a.password())
            .await
            .unwrap(),
        Verification::Rejected
    );
    assert_eq!(f.hasher.total(), before, "revoked: no hash");
    assert!(f
        .rp
        .verify_app_password("alice", b.password())
        .await
        .unwrap()
        .is_accepted());

    assert_eq!(f.rp.revoke_all_app_passwords("alice").await.unwrap(), 2);
    for p in [&a, &b, &c] {
        assert_eq!(
            f.rp.verify_app_password("alice", p.password())
                .await
                .unwrap(),
            Verification::Rejected
        );
    }
    let list = f.rp.list_app_passwords("alice").await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|p| p.revoked_at == Some(T + 5)));
}

/// Guesses that name no live password are counted together; they never hold up a client
/// that holds a real password.
async fn guesses_at_ids_never_hold_up_a_real_password(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let new =
        f.rp.create_app_password("alice", "mail", &mut rng(1))
            .await
            .unwrap();
    for _ in 0..5 {
        let _ = f.rp.verify_app_password("alice", "wrong").await.unwrap();
        let _ =
            f.rp.verify_app_password("alice", "zzzzzz-zzzz-zzzz-zzzz-zzzz-zzzz-zz")
                .await
                .unwrap();
    }
    assert!(matches!(
        f.rp.verify_app_password("alice", "wrong").await.unwrap(),
        Verification::Throttled { .. }
    ));
    assert!(f
        .rp
        .verify_app_password("alice", new.password())
        .await
        .unwrap()
        .is_accepted());
    let group =
        f.rp.limiter_state("alice", Guess::AppPasswords)
            .await
            .unwrap();
    assert!(
        group.next_allowed > f.rp.now(),
        "the guesses stay throttled: {group:?}"
    );
}

/// Wrong passwords that name a live password's id (an attacker who saw the id) are
/// counted on that password, throttled before any hash; a success resets its count only.
async fn guesses_naming_an_id_are_throttled_on_that_password(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    let new =
        f.rp.create_app_password("alice", "mail", &mut rng(1))
            .await
            .unwrap();
    let id = new.info.id.clone();
    let wrong = format!("{id}{}", "a".repeat(APP_PASSWORD_SECRET_LEN));
    for _ in 0..5 {
        assert_eq!(
            f.rp.verify_app_password("alice", &wrong).await.unwrap(),
            Verification::Rejected
        );
    }
    let before = f.hasher.total();
    assert!(matches!(
        f.rp.verify_app_password("alice", new.password())
            .await
            .unwrap(),
        Verification::Throttled { .. }
    ));
    assert_eq!(f.hasher.total(), before, "throttled before any hash");
    f.clock.advance(1);
    assert!(f
        .rp
        .verify_app_password("alice", new.password())
        .await
        .unwrap()
        .is_accepted());
    let own = Guess::app_password(&id).unwrap();
    assert_eq!(
        f.rp.limiter_state("alice", own).await.unwrap(),
        Default::default()
    );
    assert_eq!(
        f.rp.limiter_state("alice", Guess::AppPasswords)
            .await
            .unwrap(),
        Default::default(),
        "guesses naming a live id are not charged to the group"
    );
}

on_both_stores!(
    create_list_verify,
    wrong_passwords_cost_one_hash_or_none,
    revoke_one_and_all,
    guesses_at_ids_never_hold_up_a_real_password,
    guesses_naming_an_id_are_throttled_on_that_password,
);

#[tokio::test]
async fn names_are_checked() {
    let f = fixture(crate::test_support::memory(), T);
    for bad in ["", "   ", "tab\there", &"x".repeat(65)] {
        assert!(matches!(
            f.rp.create_app_password("alice", bad, &mut rng(1)).await,
            Err(Error::InvalidName)
        ));
    }
    assert!(f
        .rp
        .create_app_password("alice", &"é".repeat(64), &mut rng(1))
        .await
        .is_ok());
}

#[tokio::test]
async fn the_default_rp_hashes_with_owasp_parameters() {
    let rp = crate::Rp::new(crate::MemoryStore::new());
    let new = rp
        .create_app_password("alice", "mail", &mut rng(1))
        .await
        .unwrap();
    let stored = rp
        .store()
        .app_password("alice", &new.info.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        stored.hash
    );
    assert!(rp
        .verify_app_password("alice", new.password())
        .await
        .unwrap()
        .is_accepted());
}
