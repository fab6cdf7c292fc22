//! What only the PostgreSQL backend has: migrations under a lock, a version newer than
//! this build, a database shared with the relay, the error mapping, and the races of
//! two server processes (two stores, two pools) on one database, where exactly one
//! caller must win each decision.

use std::future::Future;
use std::sync::Arc;

use sqlx::Connection as _;

use super::migrations::SCHEMA_VERSION;
use super::*;
use crate::error::Error;
use crate::store::suite::{challenge, code, eid, enrollment, totp_record};
use crate::store::Guess;
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

async fn versions_recorded(s: &PgStore) -> Vec<i32> {
    sqlx::query_scalar("SELECT version FROM assent_rp_schema ORDER BY version")
        .fetch_all(s.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_database_is_migrated_and_migrating_again_is_a_no_op() {
    let url = postgres_url().await;
    let first = PgStore::connect(&url, 2).await.unwrap();
    assert_eq!(first.schema_version().await.unwrap(), SCHEMA_VERSION);
    first
        .replace_backup_codes("a", &[code("x", "hx")])
        .await
        .unwrap();
    migrations::migrate(first.pool()).await.unwrap();
    let again = PgStore::connect(&url, 2).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
    let all: Vec<i32> = (1..=SCHEMA_VERSION as i32).collect();
    assert_eq!(versions_recorded(&again).await, all, "each migration once");
    assert_eq!(again.backup_codes_remaining("a").await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_connecting_at_once_to_a_new_database_all_succeed() {
    let url = Arc::new(postgres_url().await);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PgStore::connect(&url, 1).await })
        })
        .collect();
    let mut stores = Vec::new();
    for task in tasks {
        stores.push(task.await.unwrap().unwrap());
    }
    let all: Vec<i32> = (1..=SCHEMA_VERSION as i32).collect();
    assert_eq!(versions_recorded(&stores[0]).await, all);
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_alone() {
    let url = postgres_url().await;
    let s = PgStore::connect(&url, 1).await.unwrap();
    s.put_totp("a", &totp_record(1)).await.unwrap();
    sqlx::query("INSERT INTO assent_rp_schema (version) VALUES ($1)")
        .bind(SCHEMA_VERSION as i32 + 1)
        .execute(s.pool())
        .await
        .unwrap();
    let err = PgStore::connect(&url, 1).await.unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "database schema version {} is newer than this library supports ({})",
            SCHEMA_VERSION + 1,
            SCHEMA_VERSION
        )
    );
    assert!(s.totp("a").await.unwrap().is_some(), "nothing was touched");

    // A database that a newer build started on, with none of our tables yet: refused,
    // and none created.
    let url = postgres_url().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE assent_rp_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ);
         INSERT INTO assent_rp_schema (version) VALUES (1000)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert!(matches!(
        PgStore::connect(&url, 1).await,
        Err(Error::SchemaTooNew { found: 1000, .. })
    ));
    let ours: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'rp\\_%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(ours, 0);
}

/// The relay's tables (`devices`, `challenges` …) in the same database neither stop the
/// migration nor see the store's rows.
#[tokio::test]
async fn the_store_shares_a_database_with_the_relay() {
    let url = postgres_url().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    for table in [
        "tenants",
        "api_keys",
        "enrollments",
        "devices",
        "challenges",
        "removals",
        "tenant_settings",
    ] {
        sqlx::query(&format!(
            "CREATE TABLE {table} (account TEXT, relay INTEGER)"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let s = PgStore::connect(&url, 1).await.unwrap();
    s.insert_enrollment(&enrollment(1, "a")).await.unwrap();
    s.insert_challenge(
        &challenge(1, "a", 1, 100),
        &crate::store::suite::LIMITS,
        100,
    )
    .await
    .unwrap();
    s.delete_account("a").await.unwrap();
    for table in ["enrollments", "challenges", "devices"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

#[tokio::test]
async fn out_of_range_values_are_errors_not_wraps() {
    let s = PgStore::connect(&postgres_url().await, 1).await.unwrap();
    s.put_totp("a", &totp_record(1)).await.unwrap();
    assert!(matches!(
        s.advance_totp_step("a", u64::MAX).await,
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        s.consume_backup_code("a", "x", "hx", 1 << 63).await,
        Err(Error::Corrupt(_))
    ));
    sqlx::query(
        "INSERT INTO rp_limiter (account, guess, failures, next_allowed)
         VALUES ('a', 'totp', 1, -5), ('a', 'backup_code', 4294967296, 0)",
    )
    .execute(s.pool())
    .await
    .unwrap();
    assert!(matches!(
        s.limiter("a", &Guess::Totp.into()).await,
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        s.limiter("a", &Guess::BackupCode.into()).await,
        Err(Error::Corrupt(_))
    ));
    sqlx::query("UPDATE rp_totp SET secret = '\\x00'")
        .execute(s.pool())
        .await
        .unwrap();
    assert!(matches!(s.totp("a").await, Err(Error::Otp(_))));
}

#[tokio::test]
async fn database_errors_name_the_failure_not_the_statement() {
    let s = PgStore::connect(&postgres_url().await, 1).await.unwrap();
    s.insert_enrollment(&enrollment(7, "secret-account"))
        .await
        .unwrap();
    let err = s
        .insert_enrollment(&enrollment(7, "secret-account"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "database error: unique constraint violated"
    );
    let err = sqlx::query("INSERT INTO nowhere VALUES ('secret-value')")
        .execute(s.pool())
        .await
        .map_err(Error::from)
        .unwrap_err();
    let shown = err.to_string();
    assert_eq!(shown, "database error: the database refused the statement");
    assert!(!shown.contains("secret-value") && !shown.contains("nowhere"));

    let server = assent_pg_testkit::Server::shared().unwrap();
    let missing = server.url("no_such_database");
    let err = PgStore::connect(&missing, 1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "database error: the database does not exist"
    );
    assert!(matches!(
        PgStore::connect(&server.url("postgres"), 0).await,
        Err(Error::Database(sqlx::Error::Configuration(_)))
    ));
}

/// sqlx retries a refused connection until the pool's acquire timeout (10 s in
/// [`PgStore::connect`], so a login server started just before its database waits for
/// it); then the error says so, without the URL's password.
#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect(&format!("postgres://rp:pw-secret@127.0.0.1:{port}/db"))
        .await
        .map_err(Error::from)
        .unwrap_err();
    let shown = err.to_string();
    assert_eq!(shown, "database error: timed out waiting for a connection");
    assert!(!shown.contains("pw-secret"));
}

// ----- two processes racing on one database -----

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
            .insert_challenge(
                &rec,
                &crate::store::suite::LIMITS,
                100 + u64::from(round) * 200,
            )
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
