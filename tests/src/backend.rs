//! The relay's two database backends, for tests that run on both: SQLite (a file
//! in the test's directory) and PostgreSQL (a database of its own on the tests'
//! throwaway server, `assent-pg-testkit`). [`RelayDb`] reads and writes the
//! relay's tables directly on either, as whoever owns the relay's database would.

use std::path::Path;

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// Which database a relay runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// A new, empty database of this backend: a file in `dir`, or a database on
    /// the tests' PostgreSQL server. Returns its URL.
    pub async fn new_database(self, dir: &Path) -> String {
        match self {
            Backend::Sqlite => format!("sqlite://{}", dir.join("relay.db").display()),
            Backend::Postgres => assent_pg_testkit::Server::shared()
                .unwrap()
                .database()
                .await
                .unwrap(),
        }
    }
}

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text.
    Text(String),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(Vec<u8>),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Self {
        Arg::Text(text.clone())
    }
}

impl From<&Vec<u8>> for Arg {
    fn from(bytes: &Vec<u8>) -> Self {
        Arg::Bytes(bytes.clone())
    }
}

impl From<Vec<u8>> for Arg {
    fn from(bytes: Vec<u8>) -> Self {
        Arg::Bytes(bytes)
    }
}

/// A direct connection to a relay's database (write statements with `$1`, `$2`…).
#[derive(Debug, Clone)]
pub enum RelayDb {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(text) => query.bind(text.clone()),
                Arg::Bytes(bytes) => query.bind(bytes.clone()),
            };
        }
        query
    }};
}

impl RelayDb {
    /// Connects to the database at `url`.
    pub async fn connect(url: &str) -> Self {
        if url.starts_with("postgres") {
            RelayDb::Postgres(PgPool::connect(url).await.unwrap())
        } else {
            RelayDb::Sqlite(SqlitePool::connect(url).await.unwrap())
        }
    }

    /// The one text value `sql` selects (fails when there is none).
    pub async fn text(&self, sql: &str, args: &[Arg]) -> String {
        match self {
            RelayDb::Sqlite(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
            RelayDb::Postgres(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
        }
    }

    /// The one nullable text value `sql` selects (fails when there is no row).
    pub async fn text_opt(&self, sql: &str, args: &[Arg]) -> Option<String> {
        match self {
            RelayDb::Sqlite(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
            RelayDb::Postgres(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
        }
    }

    /// The one integer `sql` selects (a `COUNT(*)`).
    pub async fn count(&self, sql: &str, args: &[Arg]) -> i64 {
        match self {
            RelayDb::Sqlite(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
            RelayDb::Postgres(pool) => bound!(sqlx::query_scalar(sql), args)
                .fetch_one(pool)
                .await
                .unwrap(),
        }
    }

    /// Runs a statement; returns the rows it changed.
    pub async fn execute(&self, sql: &str, args: &[Arg]) -> u64 {
        match self {
            RelayDb::Sqlite(pool) => bound!(sqlx::query(sql), args)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            RelayDb::Postgres(pool) => bound!(sqlx::query(sql), args)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        }
    }
}

/// Runs each named `async fn(Backend)` as a test on SQLite (module `sqlite`) and
/// on PostgreSQL (module `postgres`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::backend::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::backend::Backend::Postgres).await } )*
        }
    };
}
