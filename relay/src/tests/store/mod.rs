//! The Store contract, run against both backends: SQLite (a file, WAL) and
//! PostgreSQL (a database of its own on the tests' throwaway server,
//! `assent-pg-testkit`). `contract.rs` holds what every backend must do;
//! `postgres.rs` what several instances on one PostgreSQL database must do;
//! `outbox.rs` the webhook outbox's claims on both.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod contract;
mod outbox;
mod postgres;
mod postgres_tls;
mod wake;

use std::sync::Arc;
use std::time::Duration;

use crate::store::{
    ApiKeyRecord, ChallengeRecord, ChallengeState, DeviceRecord, EnrollmentRecord, RemovalRecord,
    Store, StoreOptions, Tenant,
};

/// A database of one backend, which tests open one or more stores on (each
/// store stands for one relay process).
pub(crate) struct Db {
    url: String,
    // SQLite's file lives here; dropped with the test.
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    /// A new SQLite file.
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relay.db").display());
        Self {
            url,
            _dir: Some(dir),
        }
    }

    /// A new database on the tests' PostgreSQL server.
    pub(crate) async fn postgres() -> Self {
        let server = assent_pg_testkit::Server::shared().unwrap();
        Self {
            url: server.database().await.unwrap(),
            _dir: None,
        }
    }

    /// The database URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Runs SQL statements on the database directly, beside any store.
    pub(crate) async fn execute(&self, statements: &str) {
        use sqlx::Connection as _;
        if self.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(statements).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(statements).execute(&mut conn).await.unwrap();
        }
    }

    /// One number a query returns, read beside any store.
    pub(crate) async fn scalar(&self, query: &str) -> i64 {
        use sqlx::Connection as _;
        if self.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar(query)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar(query)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }

    /// Whether this is the PostgreSQL backend.
    pub(crate) fn is_postgres(&self) -> bool {
        crate::store::is_postgres(&self.url)
    }

    /// A store on this database caching for `ttl_ms` (zero: no cache).
    pub(crate) async fn open(&self, ttl_ms: u64) -> Arc<dyn Store> {
        let options = StoreOptions {
            max_connections: 8,
            cache_ttl: Duration::from_millis(ttl_ms),
        };
        crate::store::connect(&self.url, options).await.unwrap()
    }

    /// A store without cache, with tenants `t1` and `t2`.
    pub(crate) async fn store(&self) -> Arc<dyn Store> {
        let store = self.open(0).await;
        for id in ["t1", "t2"] {
            store
                .create_tenant(&Tenant {
                    id: id.into(),
                    name: format!("name-{id}"),
                    created_at: 0,
                })
                .await
                .unwrap();
        }
        store
    }
}

/// Runs each named `async fn(Db)` on a new SQLite file and on a new
/// PostgreSQL database.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
               async fn $name() { super::$name(super::super::Db::sqlite()).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
               async fn $name() { super::$name(super::super::Db::postgres().await).await } )*
        }
    };
}
pub(super) use on_both_backends;

pub(super) fn enrollment(eid: &str, tenant: &str, expires_at: i64) -> EnrollmentRecord {
    EnrollmentRecord {
        eid: eid.into(),
        tenant_id: tenant.into(),
        created_at: 0,
        expires_at,
        registration: None,
        device_pub: None,
        registered_at: None,
        answer: None,
        device_id: None,
    }
}

pub(super) fn device(id: &str, tenant: &str) -> DeviceRecord {
    DeviceRecord {
        device_id: id.into(),
        tenant_id: tenant.into(),
        device_pub: vec![4; 65],
        platform: "poll".into(),
        push_token: String::new(),
        push_seq: 0,
        push_token_at: None,
        created_at: 0,
        unenroll: None,
        unenroll_at: None,
    }
}

pub(super) fn challenge(id: &str, device: &str, expires_at: i64) -> ChallengeRecord {
    ChallengeRecord {
        challenge_id: id.into(),
        push_id: format!("push-{id}"),
        tenant_id: "t1".into(),
        device_id: device.into(),
        challenge: "{}".into(),
        created_at: 0,
        expires_at,
        state: ChallengeState::Pending,
        answer: None,
        answered_at: None,
    }
}

pub(super) fn api_key(id: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        tenant_id: "t1".into(),
        secret_hash: vec![7; 32],
        created_at: 0,
        revoked_at: None,
    }
}

/// The removal record of device `d1` of tenant `t1`.
pub(super) fn removal_of_d1() -> RemovalRecord {
    RemovalRecord {
        device_id: "d1".into(),
        tenant_id: "t1".into(),
        device_pub: vec![4; 65],
        confirmation: None,
        removed_at: 4,
        expires_at: 100,
    }
}

/// Enrollment `eid` of tenant `t1`, announced and registered.
pub(super) async fn registered(store: &dyn Store, eid: &str) {
    store
        .announce_enrollment(&enrollment(eid, "t1", 100))
        .await
        .unwrap();
    store.register(eid, "r", &[4; 65], 1).await.unwrap();
}

/// A store with a device `d1` of tenant `t1`, enrolled through the contract.
pub(super) async fn with_device(store: &dyn Store) {
    with_device_named(store, "e1", "d1").await;
}

/// Enrolls device `device_id` of tenant `t1` through enrollment `eid`.
pub(super) async fn with_device_named(store: &dyn Store, eid: &str, device_id: &str) {
    registered(store, eid).await;
    store
        .deliver_enrollment(eid, "a", &device(device_id, "t1"), 2)
        .await
        .unwrap();
}

/// When the key `id` was revoked, as `store` reads it.
pub(super) async fn revoked_at(store: &dyn Store, id: &str) -> Option<i64> {
    store.api_key(id).await.unwrap().unwrap().revoked_at
}
