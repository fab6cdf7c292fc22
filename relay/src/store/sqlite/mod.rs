//! SQLite backend of [`Store`] through sqlx (WAL, migrations on open).
//!
//! Reads run on a few long-lived connections of the store's own; every
//! write goes to one writer thread ([`writer`]) that commits what is queued
//! in groups. API keys and devices read by id are cached ([`super::cache`]);
//! the store's own writes to them invalidate the entries.

mod challenges;
mod devices;
mod enrollments;
mod outbox;
mod tenants;
mod writer;

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions as _, Sqlite};
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

use self::writer::Writes;
use super::cache::{ChallengeCaching, StoreCaches};
use super::migrations;
use super::{DbTime, PurgeCounts, Store, StoreError, StoreOptions, StoreResult};

/// The SQLite store.
///
/// A file database keeps its own long-lived connections for reads besides
/// the pool: a pooled SQLite connection costs a round trip to its worker
/// thread (a ping) on every release. Writes go to the writer thread's own
/// connection, so two connections never contend for SQLite's write lock
/// (whose busy handler sleeps in steps of milliseconds); WAL readers never
/// wait for it.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    reads: Arc<ReadConnections>,
    writes: Arc<Writes>,
    cached: Arc<StoreCaches>,
}

/// Long-lived read connections (none for an in-memory database, which
/// exists only on the pool's one connection).
#[derive(Debug)]
struct ReadConnections {
    conns: Vec<Mutex<SqliteConnection>>,
    free: Semaphore,
    next: AtomicUsize,
}

impl ReadConnections {
    fn new(conns: Vec<Mutex<SqliteConnection>>) -> Self {
        Self {
            free: Semaphore::new(conns.len()),
            conns,
            next: AtomicUsize::new(0),
        }
    }
}

/// A pooled connection, or one of the store's own with the permit that
/// counts it as taken (released after the connection's lock).
enum Conn<'a> {
    Pool(PoolConnection<Sqlite>),
    Own(
        MutexGuard<'a, SqliteConnection>,
        #[allow(dead_code)] SemaphorePermit<'a>,
    ),
}

impl std::ops::Deref for Conn<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Own(c, _) => c,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Own(c, _) => c,
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url`, in WAL mode, and
    /// applies pending migrations; no lookup cache.
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        Self::open_with(
            url,
            StoreOptions {
                max_connections,
                cache_ttl: Duration::ZERO,
            },
        )
        .await
    }

    /// [`SqliteStore::open`] with the read connections and lookup cache of
    /// `options`.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<Self> {
        let max_connections = options.max_connections.max(1);
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // No ping on acquire: a SQLite connection is an in-process handle
        // that cannot silently drop like a network socket, and the ping is
        // a round trip to the connection's worker thread on every query.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(connect.clone())
            .await?;
        migrations::SQLITE
            .run(&pool)
            .await
            .map_err(migrations::refusal)?;
        let mut conns = Vec::new();
        for _ in 0..max_connections {
            conns.push(Mutex::new(connect.connect().await?));
        }
        let writes = Writes::spawn(connect.connect().await?)?;
        Ok(Self {
            pool,
            reads: Arc::new(ReadConnections::new(conns)),
            writes: Arc::new(writes),
            cached: StoreCaches::new(options.cache_ttl, ChallengeCaching::AsWritten),
        })
    }

    /// A private in-memory database (one connection kept open); for tests.
    pub async fn in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        migrations::SQLITE
            .run(&pool)
            .await
            .map_err(migrations::refusal)?;
        Ok(Self {
            reads: Arc::new(ReadConnections::new(Vec::new())),
            writes: Arc::new(Writes::Inline(pool.clone())),
            pool,
            cached: StoreCaches::new(Duration::ZERO, ChallengeCaching::AsWritten),
        })
    }

    /// A connection for reading.
    async fn conn(&self) -> StoreResult<Conn<'_>> {
        let conns = &self.reads.conns;
        if conns.is_empty() {
            return Ok(Conn::Pool(self.pool.acquire().await?));
        }
        let permit = self
            .reads
            .free
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("store closed".to_owned()))?;
        // A permit means at least one connection is unlocked at any moment,
        // though a scan may miss it while others take and release theirs:
        // scan again.
        loop {
            let start = self.reads.next.fetch_add(1, Ordering::Relaxed);
            for i in 0..conns.len() {
                if let Some(Ok(conn)) = conns.get((start + i) % conns.len()).map(Mutex::try_lock) {
                    return Ok(Conn::Own(conn, permit));
                }
            }
            tokio::task::yield_now().await;
        }
    }

    /// The connection pool (for backend-specific tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        if !self.writes.alive() {
            return Err(writer::stopped());
        }
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts> {
        let counts = self
            .writes
            .run(true, move |conn| {
                Box::pin(async move {
                    let unanswered: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM challenges \
                         WHERE expires_at < $1 AND state = 'pending'",
                    )
                    .bind(before)
                    .fetch_one(&mut *conn)
                    .await?;
                    let mut deleted = [0u64; 3];
                    for (n, table) in ["challenges", "enrollments", "removals"].iter().enumerate() {
                        let done =
                            sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
                                .bind(before)
                                .execute(&mut *conn)
                                .await?;
                        if let Some(slot) = deleted.get_mut(n) {
                            *slot = done.rows_affected();
                        }
                    }
                    let [challenges, enrollments, removals] = deleted;
                    Ok(PurgeCounts {
                        enrollments,
                        challenges,
                        unanswered_challenges: u64::try_from(unanswered).unwrap_or(0),
                        removals,
                    })
                })
            })
            .await?;
        if counts.challenges > 0 {
            self.cached.forget_challenges();
        }
        Ok(counts)
    }
}
