//! PostgreSQL backend of [`Store`] through sqlx, for several relay instances
//! on one database.
//!
//! Every decision is made by the database, never by one instance's memory: a
//! conditional `UPDATE … RETURNING` decides an answer, registration or token
//! update (the row lock makes concurrent ones from other instances wait and
//! re-check), and a new challenge locks its device's row for the pending
//! count and the insert. Writes that touch several rows run in one
//! transaction. The webhook outbox is claimed with `FOR UPDATE SKIP LOCKED`
//! and a lease (`outbox.rs`), so one instance delivers
//! an event at a time. Only the purge is coordinated beside the data: it runs
//! under a transaction-scoped advisory lock, so two instances never purge at
//! once.
//!
//! Caches ([`StoreCaches`]): API keys and devices for `cache_ttl` (other
//! instances' changes are seen within it), and answered challenges only.
//!
//! Long-polls on one instance are woken by changes made through another by
//! `NOTIFY`, sent in batches after the commits ([`wake_sender`]), and each
//! instance's listener ([`wake`]).

mod challenges;
mod devices;
mod enrollments;
mod outbox;
mod tenants;
pub mod wake;
mod wake_sender;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use self::wake::{ListenerHealth, WakeListener};
use self::wake_sender::WakeSender;
use super::cache::{ChallengeCaching, StoreCaches};
use super::db_metrics::PoolUsage;
use super::migrations;
use super::{DbTime, PurgeCounts, Store, StoreError, StoreOptions, StoreResult};
use crate::random::random_id;

/// Advisory lock key of the expiry purge ("assent" + 1).
pub(crate) const PURGE_LOCK: i64 = 0x6173_7365_6e74_0001;

/// How long a request waits for a pooled connection before it is answered
/// 503 (the database is down or saturated).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    cached: Arc<StoreCaches>,
    listener: Arc<ListenerHealth>,
    wakes: WakeSender,
    /// A random name for this instance in its wake-ups.
    instance: String,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and applies pending
    /// migrations; a schema from a newer relay is refused.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<Self> {
        let connect = PgConnectOptions::from_str(url)?.application_name("assent-relay");
        // No ping before each use: it is a round trip per query. A connection
        // that broke (the server restarted) fails its next query, which is
        // answered 503 and closes it; the pool opens a new one.
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(connect)
            .await?;
        migrations::POSTGRES
            .run(&pool)
            .await
            .map_err(migrations::refusal)?;
        let instance = random_id().map_err(|err| StoreError::Internal(err.to_string()))?;
        Ok(Self {
            wakes: WakeSender::spawn(pool.clone(), instance.clone()),
            instance,
            pool,
            cached: StoreCaches::new(options.cache_ttl, ChallengeCaching::AnsweredOnly),
            listener: Arc::default(),
        })
    }

    /// The connection pool (settings, the listener, backend-specific tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn wake_listener_ready(&self) -> bool {
        self.listener.ready()
    }

    fn wake_listener(&self) -> Option<WakeListener> {
        Some(WakeListener::new(
            self.pool.clone(),
            self.listener.clone(),
            self.instance.clone(),
        ))
    }

    fn pool_usage(&self) -> Option<PoolUsage> {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        Some(PoolUsage {
            in_use: self.pool.size().saturating_sub(idle),
            idle,
        })
    }

    async fn purge_expired(&self, before: DbTime) -> StoreResult<PurgeCounts> {
        let mut tx = self.pool.begin().await?;
        let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(PURGE_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !ours {
            // Another instance is purging right now.
            return Ok(PurgeCounts::default());
        }
        let unanswered: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges WHERE expires_at < $1 AND state = 'pending'",
        )
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
        let mut deleted = [0u64; 3];
        for (slot, table) in deleted
            .iter_mut()
            .zip(["challenges", "enrollments", "removals"])
        {
            *slot = sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        let [challenges, enrollments, removals] = deleted;
        if challenges > 0 {
            self.cached.forget_challenges();
        }
        Ok(PurgeCounts {
            enrollments,
            challenges,
            unanswered_challenges: u64::try_from(unanswered).unwrap_or(0),
            removals,
        })
    }
}
