//! The schema of [`super::PgStore`]: one ordered list of migrations, applied at connect
//! and recorded in the store's own table `assent_rp_schema` (one row per applied
//! migration: migration `i` takes the database to version `i + 1`). A database at a
//! higher version than this list knows is refused. Append here; never edit a migration
//! that has shipped.
//!
//! Every table is prefixed `rp_`, so the store can live in the relay's database (whose
//! tables are `tenants`, `enrollments`, `devices`, `challenges` …). Times and counts are
//! `BIGINT` (the Rust side checks every `u64` into and out of `i64`), ids and keys
//! `BYTEA`, flags `BOOLEAN`.

use sqlx::{Executor as _, PgConnection, PgPool};

use crate::error::{Error, Result};

/// The migrations, oldest first.
const MIGRATIONS: &[&str] = &[
    // 1: everything the SQLite store has at its version 3, under `rp_` names, with a
    // sequence column where SQLite orders by `rowid`.
    r#"
CREATE TABLE rp_totp (
    account     TEXT PRIMARY KEY,
    secret      BYTEA NOT NULL,
    algorithm   TEXT NOT NULL,
    digits      BIGINT NOT NULL,
    period      BIGINT NOT NULL,
    last_step   BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE TABLE rp_limiter (
    account      TEXT NOT NULL,
    guess        TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    next_allowed BIGINT NOT NULL,
    PRIMARY KEY (account, guess)
);
CREATE TABLE rp_backup_codes (
    account  TEXT NOT NULL,
    id       TEXT NOT NULL,
    hash     TEXT NOT NULL,
    used_at  BIGINT,
    PRIMARY KEY (account, id)
);
CREATE TABLE rp_app_passwords (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (account, id)
);
CREATE TABLE rp_enrollments (
    eid            BYTEA PRIMARY KEY,
    account        TEXT NOT NULL,
    state          TEXT NOT NULL,
    offer_json     TEXT,
    rp_private_key BYTEA,
    min_kind       TEXT NOT NULL,
    uv             BOOLEAN NOT NULL,
    expires_at     BIGINT NOT NULL,
    by_proof       BOOLEAN NOT NULL,
    device_id      BYTEA,
    created_at     BIGINT NOT NULL
);
CREATE INDEX rp_enrollments_account ON rp_enrollments (account);
CREATE TABLE rp_devices (
    device_id    BYTEA PRIMARY KEY,
    account      TEXT NOT NULL,
    eid          BYTEA NOT NULL,
    device_pub   BYTEA NOT NULL,
    channel_key  BYTEA NOT NULL,
    platform     TEXT NOT NULL,
    name         TEXT NOT NULL,
    min_kind     TEXT NOT NULL,
    uv           BOOLEAN NOT NULL,
    totp_secret  BYTEA NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       BIGINT NOT NULL,
    period       BIGINT NOT NULL,
    state        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    activate_by  BIGINT NOT NULL,
    activated_at BIGINT,
    removed_at   BIGINT
);
CREATE INDEX rp_devices_account ON rp_devices (account);
CREATE TABLE rp_challenges (
    challenge_id BYTEA PRIMARY KEY,
    account      TEXT NOT NULL,
    device_id    BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    uv           BOOLEAN NOT NULL,
    sealed       BYTEA NOT NULL,
    push_id      BYTEA NOT NULL,
    expected     TEXT NOT NULL,
    handle_hash  BYTEA NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX rp_challenges_account ON rp_challenges (account, created_at);
CREATE INDEX rp_challenges_device ON rp_challenges (device_id, state);
CREATE TABLE rp_push_accounts (
    account     TEXT PRIMARY KEY,
    muted_until BIGINT,
    kind        TEXT,
    uv          BOOLEAN
);
"#,
    // 2: trusted browsers (the second step skipped on them), tokens stored as SHA-256.
    r#"
CREATE TABLE rp_trusted_browsers (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    first_ip     TEXT,
    last_ip      TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (account, id)
);
"#,
    // 3: organizations: their policy and their members (one organization per account).
    r#"
CREATE TABLE rp_org_policies (
    org              TEXT PRIMARY KEY,
    require_two_step BOOLEAN NOT NULL
);
CREATE TABLE rp_org_members (
    account     TEXT PRIMARY KEY,
    org         TEXT NOT NULL,
    joined_at   BIGINT NOT NULL,
    reminded_at BIGINT,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX rp_org_members_org ON rp_org_members (org, joined_at);
"#,
];

/// First key of the advisory lock that serialises migrations ("ASR" and 0; see
/// `ACCOUNT_LOCKS` in `mod.rs` for the account locks, "ASR" and 1).
const MIGRATION_LOCK: i32 = 0x4153_5200;

/// Number of migrations this library knows.
pub(super) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The store's version table; `IF NOT EXISTS`, as it is created on every connect.
const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS assent_rp_schema (
    version    INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// The database's schema version: the highest migration recorded (0 for none).
pub(super) async fn version(conn: &mut PgConnection) -> Result<u32> {
    let v: Option<i32> = sqlx::query_scalar("SELECT MAX(version) FROM assent_rp_schema")
        .fetch_one(conn)
        .await?;
    u32::try_from(v.unwrap_or(0)).map_err(|_| Error::Corrupt("schema version"))
}

/// Applies the missing migrations in one transaction, under a transaction-scoped
/// advisory lock taken before anything is read: two processes connecting to a new
/// database at once take turns, and the second finds the first one's work committed
/// (the lock is released only after the commit) and has nothing to do. A failed
/// migration rolls back whole, its lock with it.
///
/// (Statements through `Executor::execute` on a `&str`: PostgreSQL's simple query
/// protocol, which runs every statement of the text; the same `Send` reason as in the
/// SQLite store keeps `sqlx::raw_sql` out.)
pub(super) async fn migrate(pool: &PgPool) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, 0)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    tx.execute(VERSION_TABLE).await?;
    let found = version(&mut tx).await?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in (1i32..).zip(MIGRATIONS).skip(found as usize) {
        tx.execute(*sql).await?;
        sqlx::query("INSERT INTO assent_rp_schema (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tracing::info!(version, "assent-rp PostgreSQL schema migrated");
    }
    tx.commit().await?;
    Ok(())
}
