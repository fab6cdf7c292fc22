use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::readable::ALPHABET;
use crate::test_support::{accepted_at_once, fixture, on_both_stores, rng, Fixture};
use crate::Guess;
use crate::{LimiterPolicy, RpStore, SqliteStore};

const T: u64 = 1_700_000_000;

async fn setup(store: Arc<dyn RpStore>) -> (Fixture, Vec<String>) {
    let f = fixture(store, T);
    let codes =
        f.rp.generate_backup_codes("alice", &mut rng(1))
            .await
            .unwrap();
    let codes = codes.iter().map(str::to_owned).collect();
    (f, codes)
}

/// A well-formed code that is not in the set but shares the id of `code`.
fn wrong_code_with_same_id(code: &str) -> String {
    let last = code.as_bytes()[code.len() - 1];
    let swap = if last == b'2' { '3' } else { '2' };
    format!("{}{swap}", &code[..code.len() - 1])
}

async fn a_set_has_ten_readable_codes_with_distinct_ids(s: Arc<dyn RpStore>) {
    let (f, codes) = setup(s).await;
    assert_eq!(codes.len(), BACKUP_CODE_COUNT);
    for c in &codes {
        assert_eq!(c.len(), 11, "{c}");
        assert_eq!(&c[5..6], "-");
        assert!(c
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| ALPHABET.contains(&b)));
    }
    let mut ids: Vec<&str> = codes.iter().map(|c| &c[..1]).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10);
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 10);
    // Stored as argon2id hashes only, never in clear.
    let stored =
        f.rp.store()
            .backup_code("alice", ids[0])
            .await
            .unwrap()
            .unwrap();
    assert!(stored.hash.starts_with("$argon2id$"));
    assert!(codes
        .iter()
        .all(|c| !stored.hash.contains(&c.replace('-', ""))));
}

async fn a_code_works_once(s: Arc<dyn RpStore>) {
    let (f, codes) = setup(s).await;
    assert_eq!(
        f.rp.verify_backup_code("alice", &codes[3]).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(
        f.rp.verify_backup_code("alice", &codes[3]).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 9);
    // Case, dashes and spaces do not matter.
    let typed = codes[4].to_uppercase().replace('-', " ");
    assert!(f
        .rp
        .verify_backup_code("alice", &typed)
        .await
        .unwrap()
        .is_accepted());
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 8);
}

async fn each_check_costs_at_most_one_hash(s: Arc<dyn RpStore>) {
    let (f, codes) = setup(s).await;
    let before = f.hasher.total();
    assert_eq!(before, 10, "one hash per generated code");
    let cost = |typed: String| {
        let f = &f;
        async move {
            let n = f.hasher.total();
            let _ = f.rp.verify_backup_code("alice", &typed).await.unwrap();
            f.rp.store()
                .reset_limiter("alice", &Guess::BackupCode.into())
                .await
                .unwrap();
            f.hasher.total() - n
        }
    };
    assert_eq!(cost(codes[0].clone()).await, 1, "right code");
    assert_eq!(
        cost(wrong_code_with_same_id(&codes[1])).await,
        1,
        "wrong code, known id"
    );
    assert_eq!(cost(codes[0].clone()).await, 0, "used code");
    assert_eq!(cost("not a code".into()).await, 0, "malformed");
    let unknown_id = ALPHABET
        .iter()
        .map(|b| char::from(*b))
        .find(|c| !codes.iter().any(|code| code.starts_with(*c)))
        .unwrap();
    assert_eq!(
        cost(format!("{unknown_id}2345-23456")).await,
        0,
        "unknown id"
    );
}

async fn the_limiter_refuses_before_any_hash(s: Arc<dyn RpStore>) {
    let (f, codes) = setup(s).await;
    for c in &codes[..5] {
        assert_eq!(
            f.rp.verify_backup_code("alice", &wrong_code_with_same_id(c))
                .await
                .unwrap(),
            Verification::Rejected
        );
    }
    let hashes = f.hasher.total();
    assert_eq!(
        f.rp.verify_backup_code("alice", &codes[0]).await.unwrap(),
        Verification::Throttled {
            retry_after: Duration::from_secs(1)
        }
    );
    assert_eq!(f.hasher.total(), hashes, "no hash while throttled");
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 10);
    f.clock.advance(1);
    assert!(f
        .rp
        .verify_backup_code("alice", &codes[0])
        .await
        .unwrap()
        .is_accepted());
    assert_eq!(f.hasher.total(), hashes + 1);
}

async fn regenerating_invalidates_the_old_set(s: Arc<dyn RpStore>) {
    let (f, old) = setup(s).await;
    assert!(f
        .rp
        .verify_backup_code("alice", &old[0])
        .await
        .unwrap()
        .is_accepted());
    let new =
        f.rp.generate_backup_codes("alice", &mut rng(2))
            .await
            .unwrap();
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 10);
    for c in &old[1..4] {
        assert_eq!(
            f.rp.verify_backup_code("alice", c).await.unwrap(),
            Verification::Rejected
        );
    }
    let first_new = new.iter().next().unwrap().to_owned();
    assert!(f
        .rp
        .verify_backup_code("alice", &first_new)
        .await
        .unwrap()
        .is_accepted());
}

/// Wrong TOTP codes (an attacker who knows the username) throttle TOTP only: the
/// user's backup code is accepted at once, and it does not wipe the TOTP count.
async fn wrong_totp_codes_never_throttle_backup_codes(s: Arc<dyn RpStore>) {
    let (f, codes) = setup(s).await;
    let secret = crate::make_totp_secret(&mut rng(9)).unwrap();
    f.rp.set_totp("alice", &secret, crate::TotpParams::default())
        .await
        .unwrap();
    for _ in 0..8 {
        let _ = f.rp.verify_totp("alice", "000000").await.unwrap();
    }
    assert!(matches!(
        f.rp.verify_totp("alice", "000000").await.unwrap(),
        Verification::Throttled { .. }
    ));
    assert!(f
        .rp
        .verify_backup_code("alice", &codes[0])
        .await
        .unwrap()
        .is_accepted());
    let totp = f.rp.limiter_state("alice", Guess::Totp).await.unwrap();
    assert!(
        totp.failures == 5 && totp.next_allowed > f.rp.now(),
        "{totp:?}"
    );
}

on_both_stores!(
    a_set_has_ten_readable_codes_with_distinct_ids,
    a_code_works_once,
    each_check_costs_at_most_one_hash,
    the_limiter_refuses_before_any_hash,
    regenerating_invalidates_the_old_set,
    wrong_totp_codes_never_throttle_backup_codes,
);

#[tokio::test]
async fn codes_are_redacted_in_debug() {
    let f = fixture(crate::test_support::memory(), T);
    let codes =
        f.rp.generate_backup_codes("alice", &mut rng(1))
            .await
            .unwrap();
    let debug = format!("{codes:?}");
    assert_eq!(debug, "BackupCodes(10 codes, redacted)");
    assert!(codes.iter().all(|c| !debug.contains(c)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_one_code_on_sqlite_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.sqlite");
    // Two stores (two pools) on one file, as two server processes would.
    let policy = LimiterPolicy {
        free_attempts: 1000,
        ..LimiterPolicy::default()
    };
    let a = fixture(Arc::new(SqliteStore::open(&path).await.unwrap()), T);
    let b = fixture(Arc::new(SqliteStore::open(&path).await.unwrap()), T);
    let (rp_a, rp_b) = (
        a.rp.clone().with_limiter_policy(policy),
        b.rp.clone().with_limiter_policy(policy),
    );
    let codes: Vec<String> = rp_a
        .generate_backup_codes("alice", &mut rng(5))
        .await
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for code in &codes {
        let wins = accepted_at_once([&rp_a, &rp_b], |rp| {
            let code = code.clone();
            async move { rp.verify_backup_code("alice", &code).await }
        })
        .await;
        assert_eq!(wins, 1, "exactly one of two concurrent logins wins");
    }
    assert_eq!(rp_b.backup_codes_remaining("alice").await.unwrap(), 0);
}
