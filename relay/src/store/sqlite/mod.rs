//! SQLite backend of [`Store`] through sqlx (WAL, migrations on open).
//!
//! Reads run on a few long-lived connections of the store's own; every
//! write goes to one writer thread ([`writer`]) that commits what is queued
//! in groups. API keys and devices read by id are cached ([`super::cache`]);
//! the store's own writes to them invalidate the entries.

mod rows;
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

use self::rows::{
    api_key_from_row, challenge_from_row, device_from_row, enrollment_from_row, removal_from_row,
    tenant_from_row, CHALLENGE_COLUMNS, DEVICE_COLUMNS, ENROLLMENT_COLUMNS, REMOVAL_COLUMNS,
};
use self::writer::Writes;
use super::cache::{LookupCache, DEFAULT_CAPACITY};
use super::{
    AnswerOutcome, ApiKeyRecord, ChallengeRecord, ChallengeState, CreateOutcome, DbTime,
    DeviceRecord, EnrollmentRecord, PurgeCounts, RemovalRecord, Store, StoreError, StoreOptions,
    StoreResult, Tenant,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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
    cached: Arc<Cached>,
}

/// The caches of the reads on every approval's path: API keys and devices
/// (read through), and challenges as this process last wrote them (put by
/// the writes that create and answer them), by id and by push id.
#[derive(Debug)]
struct Cached {
    api_keys: LookupCache<ApiKeyRecord>,
    devices: LookupCache<DeviceRecord>,
    challenges: LookupCache<Arc<ChallengeRecord>>,
    pushes: LookupCache<Arc<ChallengeRecord>>,
}

/// Challenges are larger records (about 1 KiB): fewer of them.
const CHALLENGE_CAPACITY: usize = 16_384;

impl Cached {
    fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            api_keys: LookupCache::new(ttl, DEFAULT_CAPACITY),
            devices: LookupCache::new(ttl, DEFAULT_CAPACITY),
            challenges: LookupCache::new(ttl, CHALLENGE_CAPACITY),
            pushes: LookupCache::new(ttl, CHALLENGE_CAPACITY),
        })
    }

    /// A challenge as just written (created or answered).
    fn put_challenge(&self, record: ChallengeRecord) {
        let record = Arc::new(record);
        self.pushes.replace(&record.push_id, record.clone());
        self.challenges
            .replace(&record.challenge_id.clone(), record);
    }
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

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(format!("migration failed: {err}"))
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
        MIGRATOR.run(&pool).await?;
        let mut conns = Vec::new();
        for _ in 0..max_connections {
            conns.push(Mutex::new(connect.connect().await?));
        }
        let writes = Writes::spawn(connect.connect().await?)?;
        Ok(Self {
            pool,
            reads: Arc::new(ReadConnections::new(conns)),
            writes: Arc::new(writes),
            cached: Cached::new(options.cache_ttl),
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
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            reads: Arc::new(ReadConnections::new(Vec::new())),
            writes: Arc::new(Writes::Inline(pool.clone())),
            pool,
            cached: Cached::new(Duration::ZERO),
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

async fn insert_device(conn: &mut SqliteConnection, d: &DeviceRecord) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&d.device_id)
    .bind(&d.tenant_id)
    .bind(&d.device_pub)
    .bind(&d.platform)
    .bind(&d.push_token)
    .bind(d.push_seq)
    .bind(d.created_at)
    .bind(&d.unenroll)
    .bind(d.unenroll_at)
    .bind(d.push_token_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads a challenge on `conn` (the writer's, inside its group).
async fn challenge_on(
    conn: &mut SqliteConnection,
    challenge_id: &str,
) -> StoreResult<Option<ChallengeRecord>> {
    let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE challenge_id = $1");
    let row = sqlx::query(&sql)
        .bind(challenge_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(challenge_from_row).transpose()
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

    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let t = tenant.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                        .bind(&t.id)
                        .bind(&t.name)
                        .bind(t.created_at)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY name")
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let k = key.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO api_keys (id, tenant_id, secret_hash, created_at, revoked_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&k.id)
                    .bind(&k.tenant_id)
                    .bind(&k.secret_hash)
                    .bind(k.created_at)
                    .bind(k.revoked_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.cached
            .api_keys
            .read_through(id, async {
                let row = sqlx::query(
                    "SELECT id, tenant_id, secret_hash, created_at, revoked_at \
                     FROM api_keys WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
                row.as_ref().map(api_key_from_row).transpose()
            })
            .await
    }

    async fn list_api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, secret_hash, created_at, revoked_at FROM api_keys \
             WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: &str, now: DbTime) -> StoreResult<bool> {
        let key = id.to_owned();
        let revoked = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&key)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await?;
        self.cached.api_keys.invalidate(id);
        Ok(revoked)
    }

    async fn announce_enrollment(&self, r: &EnrollmentRecord) -> StoreResult<()> {
        let r = r.clone();
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO enrollments (eid, tenant_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&r.eid)
                    .bind(&r.tenant_id)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn enrollment(&self, eid: &str) -> StoreResult<Option<EnrollmentRecord>> {
        let sql = format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE eid = $1");
        let row = sqlx::query(&sql)
            .bind(eid)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    async fn register(
        &self,
        eid: &str,
        registration: &str,
        device_pub: &[u8],
        now: DbTime,
    ) -> StoreResult<bool> {
        let (eid, registration, device_pub) =
            (eid.to_owned(), registration.to_owned(), device_pub.to_vec());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE enrollments SET registration = $1, device_pub = $2, \
                         registered_at = $3 \
                         WHERE eid = $4 AND registration IS NULL AND expires_at > $3",
                    )
                    .bind(&registration)
                    .bind(&device_pub)
                    .bind(now)
                    .bind(&eid)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await
    }

    async fn pending_registrations(
        &self,
        tenant_id: &str,
        now: DbTime,
        limit: u32,
    ) -> StoreResult<Vec<EnrollmentRecord>> {
        let sql = format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments \
             WHERE tenant_id = $1 AND registration IS NOT NULL AND answer IS NULL \
             AND expires_at > $2 ORDER BY registered_at, eid LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(enrollment_from_row).collect()
    }

    async fn deliver_enrollment(
        &self,
        eid: &str,
        answer: &str,
        device: &DeviceRecord,
        now: DbTime,
    ) -> StoreResult<bool> {
        let (eid, answer, device) = (eid.to_owned(), answer.to_owned(), device.clone());
        self.writes
            .run(true, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE enrollments SET answer = $1, device_id = $2, answered_at = $3 \
                         WHERE eid = $4 AND registration IS NOT NULL AND answer IS NULL",
                    )
                    .bind(&answer)
                    .bind(&device.device_id)
                    .bind(now)
                    .bind(&eid)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    insert_device(conn, &device).await?;
                    Ok(true)
                })
            })
            .await
    }

    async fn device(&self, device_id: &str) -> StoreResult<Option<DeviceRecord>> {
        self.cached
            .devices
            .read_through(device_id, async {
                let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
                let row = sqlx::query(&sql)
                    .bind(device_id)
                    .fetch_optional(&mut *self.conn().await?)
                    .await?;
                row.as_ref().map(device_from_row).transpose()
            })
            .await
    }

    async fn update_push_token(
        &self,
        device_id: &str,
        platform: &str,
        push_token: &str,
        seq: i64,
        now: DbTime,
    ) -> StoreResult<bool> {
        let (id, platform, token) = (
            device_id.to_owned(),
            platform.to_owned(),
            push_token.to_owned(),
        );
        let applied = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE devices SET platform = $1, push_token = $2, push_seq = $3, \
                         push_token_at = $5 WHERE device_id = $4 AND push_seq < $3",
                    )
                    .bind(&platform)
                    .bind(&token)
                    .bind(seq)
                    .bind(&id)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(applied)
    }

    async fn request_unenroll(
        &self,
        device_id: &str,
        request: &str,
        now: DbTime,
    ) -> StoreResult<()> {
        let (id, request) = (device_id.to_owned(), request.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE devices SET unenroll = $1, unenroll_at = $2 \
                         WHERE device_id = $3 AND unenroll IS NULL",
                    )
                    .bind(&request)
                    .bind(now)
                    .bind(&id)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(())
    }

    async fn unenroll_requests(
        &self,
        tenant_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND unenroll IS NOT NULL \
             ORDER BY unenroll_at, device_id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn remove_device(
        &self,
        tenant_id: &str,
        device_id: &str,
        removal: &RemovalRecord,
    ) -> StoreResult<bool> {
        let (tenant, id, removal) = (tenant_id.to_owned(), device_id.to_owned(), removal.clone());
        let removed = self
            .writes
            .run(true, move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM challenges WHERE device_id = $1 AND tenant_id = $2")
                        .bind(&id)
                        .bind(&tenant)
                        .execute(&mut *conn)
                        .await?;
                    let done =
                        sqlx::query("DELETE FROM devices WHERE device_id = $1 AND tenant_id = $2")
                            .bind(&id)
                            .bind(&tenant)
                            .execute(&mut *conn)
                            .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    sqlx::query(&format!(
                        "INSERT INTO removals ({REMOVAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                    ))
                    .bind(&removal.device_id)
                    .bind(&removal.tenant_id)
                    .bind(&removal.device_pub)
                    .bind(&removal.confirmation)
                    .bind(removal.removed_at)
                    .bind(removal.expires_at)
                    .execute(conn)
                    .await?;
                    Ok(true)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        // Its challenges went with it.
        self.cached.challenges.clear();
        self.cached.pushes.clear();
        Ok(removed)
    }

    async fn confirm_removal(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: &str,
    ) -> StoreResult<bool> {
        let (tenant, id, confirmation) = (
            tenant_id.to_owned(),
            device_id.to_owned(),
            confirmation.to_owned(),
        );
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE removals SET confirmation = $1 \
                         WHERE device_id = $2 AND tenant_id = $3 AND confirmation IS NULL",
                    )
                    .bind(&confirmation)
                    .bind(&id)
                    .bind(&tenant)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await
    }

    async fn removal(&self, device_id: &str) -> StoreResult<Option<RemovalRecord>> {
        let sql = format!("SELECT {REMOVAL_COLUMNS} FROM removals WHERE device_id = $1");
        let row = sqlx::query(&sql)
            .bind(device_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(removal_from_row).transpose()
    }

    async fn create_challenge(
        &self,
        r: &ChallengeRecord,
        max_pending: u32,
    ) -> StoreResult<CreateOutcome> {
        let r = r.clone();
        let record = r.clone();
        let outcome = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    // One statement: the device's tenant and its pending
                    // count are checked under the same write as the insert.
                    let done = sqlx::query(&format!(
                        "INSERT INTO challenges ({CHALLENGE_COLUMNS}) \
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                         WHERE EXISTS (SELECT 1 FROM devices \
                                       WHERE device_id = $4 AND tenant_id = $3) \
                         AND (SELECT COUNT(*) FROM challenges WHERE device_id = $4 \
                              AND state = 'pending' AND expires_at > $6) < $11"
                    ))
                    .bind(&r.challenge_id)
                    .bind(&r.push_id)
                    .bind(&r.tenant_id)
                    .bind(&r.device_id)
                    .bind(&r.challenge)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .bind(r.state.as_str())
                    .bind(&r.answer)
                    .bind(r.answered_at)
                    .bind(i64::from(max_pending))
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() == 1 {
                        return Ok(CreateOutcome::Created);
                    }
                    // Refused: say why (the rare path).
                    let owned: Option<i64> = sqlx::query_scalar(
                        "SELECT 1 FROM devices WHERE device_id = $1 AND tenant_id = $2",
                    )
                    .bind(&r.device_id)
                    .bind(&r.tenant_id)
                    .fetch_optional(conn)
                    .await?;
                    Ok(match owned {
                        Some(_) => CreateOutcome::TooManyPending,
                        None => CreateOutcome::UnknownDevice,
                    })
                })
            })
            .await?;
        if outcome == CreateOutcome::Created {
            self.cached.put_challenge(record);
        }
        Ok(outcome)
    }

    async fn count_pending(&self, device_id: &str, now: DbTime) -> StoreResult<u32> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges \
             WHERE device_id = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(device_id)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn challenge(&self, challenge_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.challenges.get(challenge_id) {
            return Ok(Some(ChallengeRecord::clone(&hit)));
        }
        challenge_on(&mut *self.conn().await?, challenge_id).await
    }

    async fn challenge_by_push_id(&self, push_id: &str) -> StoreResult<Option<ChallengeRecord>> {
        if let Some(hit) = self.cached.pushes.get(push_id) {
            return Ok(Some(ChallengeRecord::clone(&hit)));
        }
        let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE push_id = $1");
        let row = sqlx::query(&sql)
            .bind(push_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(challenge_from_row).transpose()
    }

    async fn pending_challenges(
        &self,
        device_id: &str,
        now: DbTime,
    ) -> StoreResult<Vec<ChallengeRecord>> {
        let sql = format!(
            "SELECT {CHALLENGE_COLUMNS} FROM challenges \
             WHERE device_id = $1 AND state = 'pending' AND expires_at > $2 \
             ORDER BY created_at, challenge_id"
        );
        let rows = sqlx::query(&sql)
            .bind(device_id)
            .bind(now)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.iter().map(challenge_from_row).collect()
    }

    async fn answer_challenge(
        &self,
        device_id: &str,
        challenge_id: &str,
        answer: &str,
        now: DbTime,
    ) -> StoreResult<AnswerOutcome> {
        let (device, id, answer) = (
            device_id.to_owned(),
            challenge_id.to_owned(),
            answer.to_owned(),
        );
        let (outcome, answered) = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let sql = format!(
                        "UPDATE challenges SET state = 'answered', answer = $1, answered_at = $2 \
                         WHERE challenge_id = $3 AND device_id = $4 AND state = 'pending' \
                         AND expires_at > $2 RETURNING {CHALLENGE_COLUMNS}"
                    );
                    let row = sqlx::query(&sql)
                        .bind(&answer)
                        .bind(now)
                        .bind(&id)
                        .bind(&device)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(row) = row {
                        return Ok((AnswerOutcome::Stored, Some(challenge_from_row(&row)?)));
                    }
                    let outcome = match challenge_on(conn, &id).await? {
                        Some(c) if c.device_id == device => match (c.state, c.answer) {
                            (ChallengeState::Answered, Some(first)) => {
                                AnswerOutcome::AlreadyAnswered(first)
                            }
                            _ => AnswerOutcome::Expired,
                        },
                        _ => AnswerOutcome::Unknown,
                    };
                    Ok((outcome, None))
                })
            })
            .await?;
        if let Some(record) = answered {
            self.cached.put_challenge(record);
        }
        Ok(outcome)
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
            self.cached.challenges.clear();
            self.cached.pushes.clear();
        }
        Ok(counts)
    }

    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool> {
        let (id, token) = (device_id.to_owned(), push_token.to_owned());
        let dropped = self
            .writes
            .run(false, move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE devices SET push_token = '' \
                         WHERE device_id = $1 AND push_token = $2",
                    )
                    .bind(&id)
                    .bind(&token)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await?;
        self.cached.devices.invalidate(device_id);
        Ok(dropped)
    }

    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()> {
        let (id, push) = (challenge_id.to_owned(), push.to_owned());
        self.writes
            .run(false, move |conn| {
                Box::pin(async move {
                    sqlx::query("UPDATE challenges SET push = $1 WHERE challenge_id = $2")
                        .bind(&push)
                        .bind(&id)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn challenge_push(&self, challenge_id: &str) -> StoreResult<Option<String>> {
        let push: Option<Option<String>> =
            sqlx::query_scalar("SELECT push FROM challenges WHERE challenge_id = $1")
                .bind(challenge_id)
                .fetch_optional(&mut *self.conn().await?)
                .await?;
        Ok(push.flatten())
    }
}
