//! Two server processes (two stores, two pools) on one database: each decision is won
//! exactly once and no limit is exceeded, whether the callers race ([`race`], by
//! chance) or one waits on another's uncommitted decision
//! ([`after_an_uncommitted_rival`], forced). Each test fails if its statement is turned
//! into a read followed by a write.

use std::future::Future;
use std::sync::Arc;

use sqlx::Connection as _;

use super::super::*;
use crate::store::suite::{challenge, code, dev, device, eid, enrollment, totp_record, LIMITS};
use crate::store::Guess;
use crate::store::RpStore as _;
use crate::test_support::postgres_url;

/// Concurrent callers in each race, split over the two stores.
const RACERS: usize = 16;

/// Two stores on one new database, as two server processes would have, each with a
/// pool that lets all its racers hold a connection at once.
async fn two_processes() -> [PgStore; 2] {
    let url = postgres_url().await;
    let pools = RACERS as u32 / 2;
    let a = PgStore::connect(&url, pools).await.unwrap();
    let b = PgStore::connect(&url, pools).await.unwrap();
    for s in [&a, &b] {
        // Open every connection now, so that the racers do not spread out waiting for
        // new ones.
        let mut held = Vec::new();
        for _ in 0..pools {
            held.push(s.pool().acquire().await.unwrap());
        }
    }
    [a, b]
}

/// Runs `attempt(store, i)` for `i` in `0..RACERS`, alternating the two stores, each in
/// its own task, all released together; returns the results in order.
async fn race<T, F, Fut>(stores: &[PgStore; 2], attempt: F) -> Vec<T>
where
    F: Fn(PgStore, usize) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let (barrier, attempt) = (barrier.clone(), attempt(stores[i % 2].clone(), i));
            tokio::spawn(async move {
                barrier.wait().await;
                attempt.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().unwrap());
    }
    results
}

fn wins(results: &[bool]) -> usize {
    results.iter().filter(|&&won| won).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_advance_a_totp_step_once() {
    let stores = two_processes().await;
    stores[0].put_totp("a", &totp_record(1)).await.unwrap();
    for step in 1..=5 {
        let results = race(&stores, |s, _| async move {
            s.advance_totp_step("a", step).await
        })
        .await;
        assert_eq!(wins(&results), 1, "step {step}");
    }
    assert_eq!(
        stores[1].totp("a").await.unwrap().unwrap().last_step,
        Some(5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_consume_a_backup_code_once() {
    let stores = two_processes().await;
    let ids = ["c1", "c2", "c3", "c4", "c5"];
    let set: Vec<_> = ids.iter().map(|id| code(id, &format!("h{id}"))).collect();
    stores[0].replace_backup_codes("a", &set).await.unwrap();
    for id in ids {
        let hash = format!("h{id}");
        let results = race(&stores, |s, _| {
            let hash = hash.clone();
            async move { s.consume_backup_code("a", id, &hash, 10).await }
        })
        .await;
        assert_eq!(wins(&results), 1, "code {id}");
    }
    assert_eq!(stores[1].backup_codes_remaining("a").await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_resolve_a_challenge_once() {
    let stores = two_processes().await;
    for round in 1..=5u8 {
        let rec = challenge(round, "a", 1, 100);
        let id = rec.challenge.challenge_id;
        stores[0]
            .insert_challenge(&rec, &LIMITS, 100 + u64::from(round) * 200)
            .await
            .unwrap();
        // Half the racers approve, half deny: one of them decides.
        let results = race(&stores, |s, i| async move {
            let to = [ChallengeState::Approved, ChallengeState::Denied][i % 2];
            Ok((
                s.resolve_challenge(&id, ChallengeState::Pending, to, 110)
                    .await?,
                to,
            ))
        })
        .await;
        let winners: Vec<_> = results.iter().filter(|(won, _)| *won).collect();
        assert_eq!(winners.len(), 1, "round {round}");
        let stored = stores[1]
            .challenge_by_handle(&[round; 32])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.state, winners[0].1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_claim_an_enrollment_once() {
    let stores = two_processes().await;
    for b in 1..=5 {
        stores[0]
            .insert_enrollment(&enrollment(b, "a"))
            .await
            .unwrap();
        let results = race(&stores, |s, _| async move {
            Ok(s.claim_enrollment(&eid(b)).await?.is_some())
        })
        .await;
        assert_eq!(wins(&results), 1, "offer {b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_never_admit_challenges_beyond_the_limits() {
    let stores = two_processes().await;
    let per_window = ChallengeLimits {
        max_pending: u32::MAX,
        window: 600,
        max_per_window: 3,
    };
    let one_pending = ChallengeLimits {
        max_pending: 1,
        window: 600,
        max_per_window: u32::MAX,
    };
    for (account, limits, allowed) in [("a", per_window, 3), ("b", one_pending, 1)] {
        let results = race(&stores, |s, i| async move {
            let b = u8::try_from(i).unwrap() + if account == "a" { 0 } else { 100 };
            s.insert_challenge(&challenge(b, account, 1, 1_000), &limits, 1_000)
                .await
        })
        .await;
        let admitted = results
            .iter()
            .filter(|&&a| a == ChallengeAdmission::Inserted)
            .count();
        assert_eq!(admitted, allowed, "{account}");
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM rp_challenges WHERE account = $1")
                .bind(account)
                .fetch_one(stores[1].pool())
                .await
                .unwrap();
        assert_eq!(stored, i64::try_from(allowed).unwrap(), "{account}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_processes_never_overspend_a_limiter_budget() {
    let stores = two_processes().await;
    const BUDGET: u32 = 5;
    let budget = LimiterKey::budget(Guess::Totp);
    // Each racer comes from its own address and spends one unit of the account's
    // budget if one is left.
    let results = race(&stores, |s, i| {
        let budget = budget.clone();
        async move {
            let ip = std::net::Ipv4Addr::new(203, 0, 113, u8::try_from(i).unwrap());
            let source = LimiterKey::from_source(Guess::Totp, crate::Source::Ip(ip.into()));
            let mut spent = false;
            s.update_limiters("a", [&source, &budget], &mut |[src, bud]| {
                spent = bud.failures < BUDGET;
                if !spent {
                    return [src, bud];
                }
                let more = |st: LimiterState| LimiterState {
                    failures: st.failures + 1,
                    next_allowed: 0,
                };
                [more(src), more(bud)]
            })
            .await?;
            Ok(spent)
        }
    })
    .await;
    assert_eq!(wins(&results), BUDGET as usize);
    assert_eq!(
        stores[1].limiter("a", &budget).await.unwrap().failures,
        BUDGET
    );

    // Every failure counted by one racer is counted: none is lost to another's write.
    let key = LimiterKey::from(Guess::BackupCode);
    race(&stores, |s, _| {
        let key = key.clone();
        async move {
            s.update_limiter("a", &key, &mut |st| LimiterState {
                failures: st.failures + 1,
                next_allowed: 0,
            })
            .await
        }
    })
    .await;
    assert_eq!(
        stores[0].limiter("a", &key).await.unwrap().failures,
        RACERS as u32
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_replacements_leave_exactly_one_backup_code_set() {
    let stores = two_processes().await;
    for round in 0..3 {
        let results = race(&stores, |s, i| async move {
            let set: Vec<_> = (0..10)
                .map(|n| code(&format!("r{round}s{i}c{n}"), "h"))
                .collect();
            s.replace_backup_codes("a", &set).await
        })
        .await;
        assert_eq!(results.len(), RACERS);
        let prefixes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT split_part(id, 'c', 1) FROM rp_backup_codes WHERE account = 'a'",
        )
        .fetch_all(stores[1].pool())
        .await
        .unwrap();
        assert_eq!(prefixes.len(), 1, "round {round}: {prefixes:?}");
        assert_eq!(stores[1].backup_codes_remaining("a").await.unwrap(), 10);
    }
}

/// Runs `decide` while another process's transaction has made the same decision first,
/// with `rival`, and not yet committed: the interleaving that a race hits only by
/// chance, forced. `decide` must wait for the rival's row lock (not finish early from
/// the row as it was when it started) and return its result after the commit.
async fn after_an_uncommitted_rival<T, Fut>(url: &str, rival: &str, decide: Fut) -> T
where
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut other = sqlx::PgConnection::connect(url).await.unwrap();
    let mut other_tx = other.begin().await.unwrap();
    let done = sqlx::query(rival).execute(&mut *other_tx).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{rival}");
    let decision = tokio::spawn(decide);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!decision.is_finished(), "waits for the rival: {rival}");
    other_tx.commit().await.unwrap();
    decision.await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_waiting_on_another_processes_same_decision_loses() {
    let url = postgres_url().await;
    let s = PgStore::connect(&url, 4).await.unwrap();
    s.put_totp("a", &totp_record(1)).await.unwrap();
    s.replace_backup_codes("a", &[code("x", "hx")])
        .await
        .unwrap();
    s.insert_enrollment(&enrollment(1, "a")).await.unwrap();
    s.insert_enrollment(&enrollment(2, "b")).await.unwrap();
    s.insert_device(&device(1, "a", 100)).await.unwrap();
    s.insert_challenge(&challenge(1, "a", 1, 100), &LIMITS, 100)
        .await
        .unwrap();

    let t = s.clone();
    let won = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_totp SET last_step = 5 WHERE account = 'a'",
        async move { t.advance_totp_step("a", 5).await },
    )
    .await;
    assert!(!won, "totp step");

    let t = s.clone();
    let won = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_backup_codes SET used_at = 1 WHERE account = 'a'",
        async move { t.consume_backup_code("a", "x", "hx", 2).await },
    )
    .await;
    assert!(!won, "backup code");

    let t = s.clone();
    let won = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_challenges SET state = 'denied', resolved_at = 1 WHERE account = 'a'",
        async move {
            let id = ChallengeId::from_bytes([1; 16]);
            t.resolve_challenge(&id, ChallengeState::Pending, ChallengeState::Approved, 2)
                .await
        },
    )
    .await;
    assert!(!won, "challenge");

    // The claim hands the offer's secrets out only once: not a second time from the
    // row as it was before the rival wiped them.
    let t = s.clone();
    let claimed = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_enrollments SET state = 'claimed', offer_json = NULL, rp_private_key = NULL
         WHERE account = 'a'",
        async move { t.claim_enrollment(&eid(1)).await },
    )
    .await;
    assert!(claimed.is_none(), "enrollment claim");

    let t = s.clone();
    let won = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_enrollments SET state = 'killed' WHERE account = 'b'",
        async move {
            t.set_enrollment_state(
                &eid(2),
                EnrollmentState::Offered,
                EnrollmentState::Claimed,
                None,
            )
            .await
        },
    )
    .await;
    assert!(!won, "enrollment state");

    let t = s.clone();
    let won = after_an_uncommitted_rival(
        &url,
        "UPDATE rp_devices SET state = 'removed', removed_at = 1 WHERE account = 'a'",
        async move {
            t.set_device_state(&dev(1), DeviceState::Pending, DeviceState::Active, 2)
                .await
        },
    )
    .await;
    assert!(!won, "device state");
}
