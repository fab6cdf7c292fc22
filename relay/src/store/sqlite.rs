//! SQLite backend of [`Store`] through sqlx (WAL, migrations on open).

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions as _, Connection as _, Row, Sqlite};
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

use super::{
    AnswerOutcome, ApiKeyRecord, ChallengeRecord, ChallengeState, DbTime, DeviceRecord,
    EnrollmentRecord, PurgeCounts, RemovalRecord, Store, StoreError, StoreResult, Tenant,
};

const ENROLLMENT_COLUMNS: &str = "eid, tenant_id, created_at, expires_at, registration, \
    device_pub, registered_at, answer, device_id";
const DEVICE_COLUMNS: &str = "device_id, tenant_id, device_pub, platform, push_token, \
    push_seq, created_at, unenroll, unenroll_at";
const CHALLENGE_COLUMNS: &str = "challenge_id, push_id, tenant_id, device_id, challenge, \
    created_at, expires_at, state, answer, answered_at";
const REMOVAL_COLUMNS: &str =
    "device_id, tenant_id, device_pub, confirmation, removed_at, expires_at";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store.
///
/// A file database keeps its own long-lived connections for the store's
/// queries besides the pool: a pooled SQLite connection costs a round trip
/// to its worker thread (a ping) on every release, which doubled the
/// thread hand-offs per query under load. Writes take an in-process lock
/// first, so two connections never contend for SQLite's write lock (whose
/// busy handler sleeps in steps of milliseconds); WAL readers never wait.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    own: std::sync::Arc<OwnConnections>,
}

/// Long-lived connections (none for an in-memory database, which exists
/// only on the pool's one connection) and the in-process write lock.
#[derive(Debug)]
struct OwnConnections {
    conns: Vec<Mutex<SqliteConnection>>,
    free: Semaphore,
    next: AtomicUsize,
    write: Mutex<()>,
}

impl OwnConnections {
    fn new(conns: Vec<Mutex<SqliteConnection>>) -> Self {
        Self {
            free: Semaphore::new(conns.len()),
            conns,
            next: AtomicUsize::new(0),
            write: Mutex::new(()),
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

/// A connection held for one statement or transaction (and, for writes,
/// the write lock).
struct Held<'a> {
    conn: Conn<'a>,
    _write: Option<MutexGuard<'a, ()>>,
}

impl Deref for Held<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.conn {
            Conn::Pool(c) => c,
            Conn::Own(c, _) => c,
        }
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.conn {
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
    /// applies pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        let max_connections = max_connections.max(1);
        let options = SqliteConnectOptions::from_str(url)?
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
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let mut conns = Vec::new();
        for _ in 0..max_connections {
            conns.push(Mutex::new(options.connect().await?));
        }
        Ok(Self {
            pool,
            own: std::sync::Arc::new(OwnConnections::new(conns)),
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
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> StoreResult<Self> {
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            own: std::sync::Arc::new(OwnConnections::new(Vec::new())),
        })
    }

    /// A connection for reading.
    async fn conn(&self) -> StoreResult<Held<'_>> {
        Ok(Held {
            conn: self.take().await?,
            _write: None,
        })
    }

    /// A connection for writing, with the in-process write lock.
    async fn write_conn(&self) -> StoreResult<Held<'_>> {
        let write = self.own.write.lock().await;
        Ok(Held {
            conn: self.take().await?,
            _write: Some(write),
        })
    }

    async fn take(&self) -> StoreResult<Conn<'_>> {
        let conns = &self.own.conns;
        if conns.is_empty() {
            return Ok(Conn::Pool(self.pool.acquire().await?));
        }
        let permit = self
            .own
            .free
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("store closed".to_owned()))?;
        // A permit means at least one connection is unlocked at any moment,
        // though a scan may miss it while others take and release theirs:
        // scan again.
        loop {
            let start = self.own.next.fetch_add(1, Ordering::Relaxed);
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

async fn insert_device(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    d: &DeviceRecord,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn tenant_from_row(row: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn api_key_from_row(row: &SqliteRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        secret_hash: row.try_get("secret_hash")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn enrollment_from_row(row: &SqliteRow) -> StoreResult<EnrollmentRecord> {
    Ok(EnrollmentRecord {
        eid: row.try_get("eid")?,
        tenant_id: row.try_get("tenant_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        registration: row.try_get("registration")?,
        device_pub: row.try_get("device_pub")?,
        registered_at: row.try_get("registered_at")?,
        answer: row.try_get("answer")?,
        device_id: row.try_get("device_id")?,
    })
}

fn device_from_row(row: &SqliteRow) -> StoreResult<DeviceRecord> {
    Ok(DeviceRecord {
        device_id: row.try_get("device_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_pub: row.try_get("device_pub")?,
        platform: row.try_get("platform")?,
        push_token: row.try_get("push_token")?,
        push_seq: row.try_get("push_seq")?,
        created_at: row.try_get("created_at")?,
        unenroll: row.try_get("unenroll")?,
        unenroll_at: row.try_get("unenroll_at")?,
    })
}

fn challenge_from_row(row: &SqliteRow) -> StoreResult<ChallengeRecord> {
    let state: String = row.try_get("state")?;
    Ok(ChallengeRecord {
        challenge_id: row.try_get("challenge_id")?,
        push_id: row.try_get("push_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_id: row.try_get("device_id")?,
        challenge: row.try_get("challenge")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        state: ChallengeState::parse(&state)?,
        answer: row.try_get("answer")?,
        answered_at: row.try_get("answered_at")?,
    })
}

fn removal_from_row(row: &SqliteRow) -> StoreResult<RemovalRecord> {
    Ok(RemovalRecord {
        device_id: row.try_get("device_id")?,
        tenant_id: row.try_get("tenant_id")?,
        device_pub: row.try_get("device_pub")?,
        confirmation: row.try_get("confirmation")?,
        removed_at: row.try_get("removed_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(tenant.created_at)
            .execute(&mut *self.write_conn().await?)
            .await?;
        Ok(())
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
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, secret_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.id)
        .bind(&key.tenant_id)
        .bind(&key.secret_hash)
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(())
    }

    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT id, tenant_id, secret_hash, created_at, revoked_at FROM api_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        row.as_ref().map(api_key_from_row).transpose()
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
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *self.write_conn().await?)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn announce_enrollment(&self, r: &EnrollmentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO enrollments (eid, tenant_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.eid)
        .bind(&r.tenant_id)
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(())
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
        let done = sqlx::query(
            "UPDATE enrollments SET registration = $1, device_pub = $2, registered_at = $3 \
             WHERE eid = $4 AND registration IS NULL AND expires_at > $3",
        )
        .bind(registration)
        .bind(device_pub)
        .bind(now)
        .bind(eid)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
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
        let mut conn = self.write_conn().await?;
        let mut tx = conn.begin().await?;
        let done = sqlx::query(
            "UPDATE enrollments SET answer = $1, device_id = $2, answered_at = $3 \
             WHERE eid = $4 AND registration IS NOT NULL AND answer IS NULL",
        )
        .bind(answer)
        .bind(&device.device_id)
        .bind(now)
        .bind(eid)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_device(&mut tx, device).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn device(&self, device_id: &str) -> StoreResult<Option<DeviceRecord>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
        let row = sqlx::query(&sql)
            .bind(device_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn update_push_token(
        &self,
        device_id: &str,
        platform: &str,
        push_token: &str,
        seq: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE devices SET platform = $1, push_token = $2, push_seq = $3 \
             WHERE device_id = $4 AND push_seq < $3",
        )
        .bind(platform)
        .bind(push_token)
        .bind(seq)
        .bind(device_id)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn request_unenroll(
        &self,
        device_id: &str,
        request: &str,
        now: DbTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE devices SET unenroll = $1, unenroll_at = $2 \
             WHERE device_id = $3 AND unenroll IS NULL",
        )
        .bind(request)
        .bind(now)
        .bind(device_id)
        .execute(&mut *self.write_conn().await?)
        .await?;
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
        let mut conn = self.write_conn().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("DELETE FROM challenges WHERE device_id = $1 AND tenant_id = $2")
            .bind(device_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM devices WHERE device_id = $1 AND tenant_id = $2")
            .bind(device_id)
            .bind(tenant_id)
            .execute(&mut *tx)
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn confirm_removal(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE removals SET confirmation = $1 \
             WHERE device_id = $2 AND tenant_id = $3 AND confirmation IS NULL",
        )
        .bind(confirmation)
        .bind(device_id)
        .bind(tenant_id)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn removal(&self, device_id: &str) -> StoreResult<Option<RemovalRecord>> {
        let sql = format!("SELECT {REMOVAL_COLUMNS} FROM removals WHERE device_id = $1");
        let row = sqlx::query(&sql)
            .bind(device_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(removal_from_row).transpose()
    }

    async fn create_challenge(&self, r: &ChallengeRecord) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO challenges ({CHALLENGE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
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
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(())
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
        let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE challenge_id = $1");
        let row = sqlx::query(&sql)
            .bind(challenge_id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        row.as_ref().map(challenge_from_row).transpose()
    }

    async fn challenge_by_push_id(&self, push_id: &str) -> StoreResult<Option<ChallengeRecord>> {
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
        let done = sqlx::query(
            "UPDATE challenges SET state = 'answered', answer = $1, answered_at = $2 \
             WHERE challenge_id = $3 AND device_id = $4 AND state = 'pending' \
             AND expires_at > $2",
        )
        .bind(answer)
        .bind(now)
        .bind(challenge_id)
        .bind(device_id)
        .execute(&mut *self.write_conn().await?)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(AnswerOutcome::Stored);
        }
        Ok(match self.challenge(challenge_id).await? {
            Some(c) if c.device_id == device_id => match (c.state, c.answer) {
                (ChallengeState::Answered, Some(first)) => AnswerOutcome::AlreadyAnswered(first),
                _ => AnswerOutcome::Expired,
            },
            _ => AnswerOutcome::Unknown,
        })
    }

    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts> {
        let mut conn = self.write_conn().await?;
        let mut tx = conn.begin().await?;
        let unanswered: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges WHERE expires_at < $1 AND state = 'pending'",
        )
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
        let challenges = sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let enrollments = sqlx::query("DELETE FROM enrollments WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let removals = sqlx::query("DELETE FROM removals WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(PurgeCounts {
            enrollments,
            challenges,
            unanswered_challenges: u64::try_from(unanswered).unwrap_or(0),
            removals,
        })
    }

    async fn set_push_token_at(&self, device_id: &str, now: DbTime) -> StoreResult<()> {
        sqlx::query("UPDATE devices SET push_token_at = $1 WHERE device_id = $2")
            .bind(now)
            .bind(device_id)
            .execute(&mut *self.write_conn().await?)
            .await?;
        Ok(())
    }

    async fn push_token_at(&self, device_id: &str) -> StoreResult<Option<DbTime>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT COALESCE(push_token_at, created_at) FROM devices WHERE device_id = $1",
        )
        .bind(device_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        Ok(at)
    }

    async fn drop_push_token(&self, device_id: &str, push_token: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE devices SET push_token = '' WHERE device_id = $1 AND push_token = $2",
        )
        .bind(device_id)
        .bind(push_token)
        .execute(&mut *self.write_conn().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_challenge_push(&self, challenge_id: &str, push: &str) -> StoreResult<()> {
        sqlx::query("UPDATE challenges SET push = $1 WHERE challenge_id = $2")
            .bind(push)
            .bind(challenge_id)
            .execute(&mut *self.write_conn().await?)
            .await?;
        Ok(())
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
