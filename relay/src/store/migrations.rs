//! The schema of both backends, in one place: `relay/migrations/sqlite` and
//! `relay/migrations/postgres` hold the same numbered migrations (the same
//! statements, with SQLite's `BLOB` written `BYTEA`), applied by sqlx at open.
//!
//! sqlx records each applied migration with its checksum. Opening a database
//! that a newer relay migrated (it has a migration this build does not know),
//! or whose migration differs from this build's, is refused with a start-up
//! error that says so; nothing is written. PostgreSQL's migrator takes an
//! advisory lock, so instances starting together migrate once.

use sqlx::migrate::{MigrateError, Migrator};

use super::StoreError;

/// The SQLite migrations.
pub(super) static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations.
pub(super) static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The newest migration this build knows.
pub fn latest_version() -> i64 {
    SQLITE.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A migration failure as a start-up error that tells the operator what to do.
pub(super) fn refusal(err: MigrateError) -> StoreError {
    let known = latest_version();
    match err {
        MigrateError::VersionMissing(version) => StoreError::Schema(format!(
            "the database has migration {version}, which this relay does not know (it knows \
             up to {known}): a newer relay migrated it. Run that relay version (or newer); \
             nothing was changed"
        )),
        MigrateError::VersionMismatch(version) => StoreError::Schema(format!(
            "the database's migration {version} differs from this relay's: it was migrated \
             by a different build. Nothing was changed"
        )),
        MigrateError::Dirty(version) => StoreError::Schema(format!(
            "migration {version} was left half-applied by an earlier start; restore the \
             database from a backup"
        )),
        MigrateError::Execute(sqlx_err) => {
            let store = StoreError::from(sqlx_err);
            match store {
                StoreError::Unavailable(_) => store,
                other => StoreError::Schema(format!("migration failed: {other}")),
            }
        }
        other => StoreError::Schema(format!("migration failed: {other}")),
    }
}
