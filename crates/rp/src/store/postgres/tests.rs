//! What only the PostgreSQL backend has: migrations under a lock, a version newer than
//! this build refused, a database shared with the relay, checked integers, the error
//! mapping; and (`races.rs`) two server processes deciding on one database.

mod races;

use std::sync::Arc;

use sqlx::Connection as _;

use super::migrations::SCHEMA_VERSION;
use super::*;
use crate::error::Error;
use crate::store::suite::{challenge, code, enrollment, totp_record, LIMITS};
use crate::store::Guess;
use crate::store::RpStore as _;
use crate::test_support::postgres_url;

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
    s.insert_challenge(&challenge(1, "a", 1, 100), &LIMITS, 100)
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
