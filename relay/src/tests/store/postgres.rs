//! Several relay instances on one PostgreSQL database: each `PgStore` here
//! stands for one instance (its own pool and caches), and what one decides the
//! others must respect.

use std::time::Duration;

use sqlx::Connection as _;

use super::*;
use crate::store::{Admission, AnswerOutcome, CreateOutcome};

/// Two instances on a new database (caches off unless a test opens its own).
async fn two_instances() -> (Db, Arc<dyn Store>, Arc<dyn Store>) {
    let db = Db::postgres().await;
    let a = db.store().await;
    let b = db.open(0).await;
    (db, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_once() {
    let db = Db::postgres().await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url().to_owned();
            tokio::spawn(async move {
                let options = StoreOptions {
                    max_connections: 1,
                    cache_ttl: Duration::ZERO,
                };
                crate::store::connect(&url, options).await.map(|_| ())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let applied = db.scalar("SELECT COUNT(*) FROM _sqlx_migrations").await;
    assert_eq!(applied, crate::store::migrations::latest_version());
    // And once more, later: nothing to do.
    db.open(0).await;
    let again = db.scalar("SELECT COUNT(*) FROM _sqlx_migrations").await;
    assert_eq!(again, applied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_together_never_overshoot_the_pending_limit() {
    let db = Db::postgres().await;
    let a = db.store().await;
    let b = db.open(0).await;
    // Rounds of 16 creations for one device released at once, half through
    // each instance: a check and insert that are not one step overshoot in
    // most rounds.
    for round in 0..8 {
        let device = format!("d{round}");
        with_device_named(&*a, &format!("e{round}"), &device).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let (barrier, device) = (barrier.clone(), device.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let id = format!("c{round}-{i}");
                    store
                        .create_challenge(&challenge(&id, &device, 50), Admission::pending(4))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            created += usize::from(task.await.unwrap() == CreateOutcome::Created);
        }
        assert_eq!(created, 4, "{device}");
        assert_eq!(a.count_pending(&device, 10).await.unwrap(), 4, "{device}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_together_never_exceed_the_challenge_window() {
    let db = Db::postgres().await;
    let a = db.store().await;
    let b = db.open(0).await;
    let admission = Admission {
        max_pending: 1000,
        window: crate::rate::ChallengeWindow {
            limit: 5,
            secs: 600,
        },
    };
    for round in 0..4 {
        let device = format!("d{round}");
        with_device_named(&*a, &format!("e{round}"), &device).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let (barrier, device) = (barrier.clone(), device.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let id = format!("c{round}-{i}");
                    store
                        .create_challenge(&challenge(&id, &device, 50), admission)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let outcome = task.await.unwrap();
            assert!(
                matches!(outcome, CreateOutcome::Created | CreateOutcome::WindowUsed),
                "{outcome:?}"
            );
            created += usize::from(outcome == CreateOutcome::Created);
        }
        assert_eq!(created, 5, "{device}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answers_sent_to_both_instances_at_once_are_stored_once() {
    let (_db, a, b) = two_instances().await;
    with_device(&*a).await;
    for i in 0..40 {
        a.create_challenge(
            &challenge(&format!("c{i}"), "d1", 50),
            Admission::pending(1000),
        )
        .await
        .unwrap();
    }
    let tasks: Vec<_> = (0..40)
        .flat_map(|i| {
            [(a.clone(), "via-a"), (b.clone(), "via-b")].map(|(store, answer)| {
                tokio::spawn(async move {
                    let outcome = store
                        .answer_challenge("d1", &format!("c{i}"), answer, 10)
                        .await
                        .unwrap();
                    (i, answer, outcome)
                })
            })
        })
        .collect();
    let mut stored = [0usize; 40];
    let mut winners: [Option<&str>; 40] = [None; 40];
    let mut repeats = Vec::new();
    for task in tasks {
        let (i, answer, outcome) = task.await.unwrap();
        match outcome {
            AnswerOutcome::Stored => {
                stored[i] += 1;
                winners[i] = Some(answer);
            }
            AnswerOutcome::AlreadyAnswered(first) => repeats.push((i, first)),
            other => panic!("c{i}: {other:?}"),
        }
    }
    assert!(stored.iter().all(|&n| n == 1), "{stored:?}");
    for (i, first) in repeats {
        // The loser is told the winner's answer, never its own.
        assert_eq!(Some(first.as_str()), winners[i], "c{i}");
    }
}

#[tokio::test]
async fn an_answer_through_another_instance_is_never_read_as_pending() {
    let db = Db::postgres().await;
    let plain = db.store().await;
    with_device(&*plain).await;
    // Instance A caches for a minute: only not caching pending challenges
    // can explain a fresh read.
    let a = db.open(60_000).await;
    let b = db.open(60_000).await;
    let record = challenge("c1", "d1", 50);
    a.create_challenge(&record, Admission::pending(4))
        .await
        .unwrap();
    assert_eq!(
        a.challenge("c1").await.unwrap().unwrap().state,
        ChallengeState::Pending
    );
    assert_eq!(
        b.answer_challenge("d1", "c1", "yes", 10).await.unwrap(),
        AnswerOutcome::Stored
    );
    let by_id = a.challenge("c1").await.unwrap().unwrap();
    assert_eq!(
        (by_id.state, by_id.answer.as_deref()),
        (ChallengeState::Answered, Some("yes"))
    );
    let by_push = a
        .challenge_by_push_id(&record.push_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_push.state, ChallengeState::Answered);
    assert!(a.pending_challenges("d1", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_device_removed_on_another_instance_is_refused_within_the_cache_lifetime() {
    let db = Db::postgres().await;
    let b = db.store().await;
    with_device(&*b).await;
    let a = db.open(300).await;
    assert!(a.device("d1").await.unwrap().is_some());
    assert!(b.remove_device("t1", "d1", &removal_of_d1()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(a.device("d1").await.unwrap().is_none());
}

/// Expired challenges: `n` unanswered and `n` answered, and one live one.
async fn expired_challenges(store: &dyn Store, n: usize) {
    with_device(store).await;
    for i in 0..n {
        for kind in ["open", "done"] {
            let id = format!("{kind}{i}");
            store
                .create_challenge(&challenge(&id, "d1", 10), Admission::pending(10_000))
                .await
                .unwrap();
            if kind == "done" {
                store.answer_challenge("d1", &id, "a", 5).await.unwrap();
            }
        }
    }
    store
        .create_challenge(&challenge("live", "d1", 1000), Admission::pending(10_000))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_purging_together_purge_once() {
    let (_db, a, b) = two_instances().await;
    expired_challenges(&*a, 50).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks = [a.clone(), b.clone()].map(|store| {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            store.purge_expired(100).await.unwrap()
        })
    });
    let mut challenges = 0;
    let mut unanswered = 0;
    for task in tasks {
        let counts = task.await.unwrap();
        challenges += counts.challenges;
        unanswered += counts.unanswered_challenges;
    }
    // Counted once between them (a purge outside the lock would count the
    // same unanswered challenges twice in the metrics).
    assert_eq!((challenges, unanswered), (100, 50));
    assert!(a.challenge("live").await.unwrap().is_some());
}

#[tokio::test]
async fn a_purge_while_another_instance_holds_the_lock_does_nothing() {
    let (db, a, _b) = two_instances().await;
    expired_challenges(&*a, 3).await;
    let mut holder = sqlx::PgConnection::connect(db.url()).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(crate::store::postgres::PURGE_LOCK)
        .execute(&mut holder)
        .await
        .unwrap();
    let counts = a.purge_expired(100).await.unwrap();
    assert_eq!(counts, crate::store::PurgeCounts::default());
    assert!(a.challenge("open0").await.unwrap().is_some());
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(crate::store::postgres::PURGE_LOCK)
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(a.purge_expired(100).await.unwrap().challenges, 6);
}

#[tokio::test]
async fn the_databases_challenge_window_admits_exactly_what_the_rust_model_admits() {
    // PostgreSQL decides the window in SQL (migration 0007), SQLite in Rust
    // (`rate.rs`): the same arithmetic, checked on a run of creations at
    // uneven times against the model.
    let (_db, store, _b) = two_instances().await;
    with_device(&*store).await;
    let window = crate::rate::ChallengeWindow {
        limit: 3,
        secs: 100,
    };
    let admission = Admission {
        max_pending: 10_000,
        window,
    };
    let mut model_tat = 0i64;
    let times = [
        1000u64, 1000, 1000, 1000, 1010, 1033, 1034, 1066, 1067, 1200, 1200, 1200, 1200, 900,
    ];
    for (i, t) in times.into_iter().enumerate() {
        let mut record = challenge(&format!("c{i}"), "d1", 100_000);
        record.created_at = t as i64;
        let expected = match window.admit(model_tat, t) {
            Some(next) => {
                model_tat = next;
                CreateOutcome::Created
            }
            None => CreateOutcome::WindowUsed,
        };
        assert_eq!(
            store.create_challenge(&record, admission).await.unwrap(),
            expected,
            "creation {i} at {t}"
        );
    }
}
