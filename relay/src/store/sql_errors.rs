//! sqlx's errors, sorted into the store's three kinds for both backends.
//!
//! `Unavailable` is what the relay answers 503 for and recovers from by
//! itself: the pool gave up waiting, the connection broke, or PostgreSQL said
//! it is shutting down or starting (SQLSTATE class 08, `57P01`–`57P03`).

use super::StoreError;

/// SQLSTATE codes of a server that is going away or not there yet.
const UNAVAILABLE_CODES: [&str; 4] = ["57P01", "57P02", "57P03", "53300"];

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::Database(db)
                if db.code().is_some_and(|code| {
                    code.starts_with("08") || UNAVAILABLE_CODES.contains(&code.as_ref())
                }) =>
            {
                StoreError::Unavailable(err.to_string())
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Internal(err.to_string()),
        }
    }
}
