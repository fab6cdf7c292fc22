//! What only the SQLite backend has: files, WAL, migrations, values written by hand.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _};

use super::migrations::{self, SCHEMA_VERSION};
use super::*;
use crate::error::Error;
use crate::store::records::BackupCodeRecord;
use crate::store::Guess;
use crate::store::RpStore as _;

async fn raw_file(path: &Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_file_is_migrated_in_wal_mode_and_state_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.sqlite");
    {
        let s = SqliteStore::open(&path).await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        s.replace_backup_codes(
            "a",
            &[BackupCodeRecord {
                id: "x".into(),
                hash: "h".into(),
                used_at: None,
            }],
        )
        .await
        .unwrap();
        s.pool().close().await;
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(s.backup_codes_remaining("a").await.unwrap(), 1);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.sqlite");
    let mut conn = raw_file(&path).await;
    sqlx::raw_sql(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert!(matches!(
        SqliteStore::open(&path).await,
        Err(Error::SchemaTooNew { found, supported })
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
    ));
}

/// A file at schema version 1 (before the push tables), with rows written as the
/// earlier rusqlite-based store wrote them, opens and gains the later tables.
#[tokio::test]
async fn an_older_file_is_migrated_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.sqlite");
    let mut conn = raw_file(&path).await;
    sqlx::raw_sql(migrations::first_for_tests())
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(
        "PRAGMA user_version = 1;
         INSERT INTO totp VALUES ('a', zeroblob(20), 'SHA256', 8, 60, 7, 1700000000);
         INSERT INTO limiter VALUES ('a', 3, 1700000100);
         INSERT INTO app_passwords VALUES ('a', 'p1', 'mail', 'h', 10, NULL, NULL);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
    let totp = s.totp("a").await.unwrap().unwrap();
    assert_eq!(totp.secret.as_bytes(), &[0; 20]);
    assert_eq!(
        (totp.params.digits, totp.params.period, totp.last_step),
        (8, 60, Some(7))
    );
    // The one shared throttle row of version 1 becomes one per kind of guess, each with
    // the old state: the upgrade forgives no failure.
    for guess in Guess::ALL {
        assert_eq!(
            s.limiter("a", &guess.into()).await.unwrap(),
            LimiterState {
                failures: 3,
                next_allowed: 1_700_000_100
            },
            "{guess:?}"
        );
    }
    assert_eq!(s.list_app_passwords("a").await.unwrap()[0].name, "mail");
    assert_eq!(s.devices("a").await.unwrap(), vec![], "push tables exist");
}

#[tokio::test]
async fn corrupt_values_are_errors_not_panics() {
    let s = SqliteStore::open_in_memory().await.unwrap();
    sqlx::query(
        "INSERT INTO limiter (account, guess, failures, next_allowed) VALUES ('a', 'totp', 1, -5)",
    )
    .execute(s.pool())
    .await
    .unwrap();
    assert!(matches!(
        s.limiter("a", &Guess::Totp.into()).await,
        Err(Error::Corrupt(_))
    ));
    sqlx::query("INSERT INTO totp VALUES ('a', x'00', 'SHA1', 6, 30, NULL, 0)")
        .execute(s.pool())
        .await
        .unwrap();
    assert!(matches!(s.totp("a").await, Err(Error::Otp(_))));
}

#[tokio::test]
async fn database_errors_name_the_failure_not_the_statement() {
    let s = SqliteStore::open_in_memory().await.unwrap();
    let err = sqlx::query("INSERT INTO nowhere VALUES ('secret-value')")
        .execute(s.pool())
        .await
        .map_err(Error::from)
        .unwrap_err();
    let shown = err.to_string();
    assert_eq!(shown, "database error: the database refused the statement");
    assert!(!shown.contains("secret-value") && !shown.contains("nowhere"));
}
