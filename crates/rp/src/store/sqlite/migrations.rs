//! The schema of [`super::SqliteStore`]: one ordered list of migrations, applied on open
//! and counted by `PRAGMA user_version` (migration `i` takes the database to
//! `user_version = i + 1`). A database with a higher version than this list knows is
//! refused. Append here; never edit a migration that has shipped.

use sqlx::{Executor as _, SqliteConnection, SqlitePool};

use crate::error::{Error, Result};

/// The migrations, oldest first.
const MIGRATIONS: &[&str] = &[
    // 1: TOTP, limiter, backup codes, application passwords.
    r#"
CREATE TABLE totp (
    account     TEXT PRIMARY KEY NOT NULL,
    secret      BLOB NOT NULL,
    algorithm   TEXT NOT NULL,
    digits      INTEGER NOT NULL,
    period      INTEGER NOT NULL,
    last_step   INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE limiter (
    account      TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    next_allowed INTEGER NOT NULL
) STRICT;
CREATE TABLE backup_codes (
    account  TEXT NOT NULL,
    id       TEXT NOT NULL,
    hash     TEXT NOT NULL,
    used_at  INTEGER,
    PRIMARY KEY (account, id)
) STRICT;
CREATE TABLE app_passwords (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    PRIMARY KEY (account, id)
) STRICT;
"#,
    // 2: the push tables: enrollment offers, devices, challenges, per-account settings.
    r#"
CREATE TABLE enrollments (
    eid            BLOB PRIMARY KEY NOT NULL,
    account        TEXT NOT NULL,
    state          TEXT NOT NULL,
    offer_json     TEXT,
    rp_private_key BLOB,
    min_kind       TEXT NOT NULL,
    uv             INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    by_proof       INTEGER NOT NULL,
    device_id      BLOB,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX enrollments_account ON enrollments (account);
CREATE TABLE devices (
    device_id    BLOB PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    eid          BLOB NOT NULL,
    device_pub   BLOB NOT NULL,
    channel_key  BLOB NOT NULL,
    platform     TEXT NOT NULL,
    name         TEXT NOT NULL,
    min_kind     TEXT NOT NULL,
    uv           INTEGER NOT NULL,
    totp_secret  BLOB NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    state        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    activate_by  INTEGER NOT NULL,
    activated_at INTEGER,
    removed_at   INTEGER
) STRICT;
CREATE INDEX devices_account ON devices (account);
CREATE TABLE challenges (
    challenge_id BLOB PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    device_id    BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    uv           INTEGER NOT NULL,
    sealed       BLOB NOT NULL,
    push_id      BLOB NOT NULL,
    expected     TEXT NOT NULL,
    handle_hash  BLOB NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    resolved_at  INTEGER
) STRICT;
CREATE INDEX challenges_account ON challenges (account, created_at);
CREATE INDEX challenges_device ON challenges (device_id, state);
CREATE TABLE push_accounts (
    account     TEXT PRIMARY KEY NOT NULL,
    muted_until INTEGER,
    kind        TEXT,
    uv          INTEGER
) STRICT;
"#,
    // 3: one throttle per account and kind of guess (it was one per account, shared).
    // Each kind starts from the shared state, so an upgrade forgives no failure.
    r#"
CREATE TABLE limiter_by_guess (
    account      TEXT NOT NULL,
    guess        TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    next_allowed INTEGER NOT NULL,
    PRIMARY KEY (account, guess)
) STRICT;
INSERT INTO limiter_by_guess (account, guess, failures, next_allowed)
    SELECT l.account, g.guess, l.failures, l.next_allowed
    FROM limiter AS l
    CROSS JOIN (SELECT 'totp' AS guess UNION ALL SELECT 'backup_code'
                UNION ALL SELECT 'app_passwords' UNION ALL SELECT 'push_entry') AS g;
DROP TABLE limiter;
ALTER TABLE limiter_by_guess RENAME TO limiter;
"#,
    // 4: trusted browsers (the second step skipped on them), tokens stored as SHA-256.
    r#"
CREATE TABLE trusted_browsers (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    first_ip     TEXT,
    last_ip      TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    PRIMARY KEY (account, id)
) STRICT;
"#,
    // 5: organizations: their policy and their members (one organization per account).
    r#"
CREATE TABLE org_policies (
    org              TEXT PRIMARY KEY NOT NULL,
    require_two_step INTEGER NOT NULL
) STRICT;
CREATE TABLE org_members (
    account     TEXT PRIMARY KEY NOT NULL,
    org         TEXT NOT NULL,
    joined_at   INTEGER NOT NULL,
    reminded_at INTEGER
) STRICT;
CREATE INDEX org_members_org ON org_members (org, joined_at);
"#,
];

/// Migration 1, to build a file as an older version of this library left it.
#[cfg(test)]
pub(super) fn first_for_tests() -> &'static str {
    MIGRATIONS[0]
}

/// Number of migrations this library knows.
pub(super) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The database's `user_version`.
pub(super) async fn user_version(conn: &mut SqliteConnection) -> Result<u32> {
    let v: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(conn)
        .await?;
    u32::try_from(v).map_err(|_| Error::Corrupt("user_version"))
}

/// Applies the missing migrations in one `BEGIN IMMEDIATE` transaction, so two
/// processes opening a new file at once cannot both migrate it.
///
/// (Statements through `Executor::execute` rather than `sqlx::raw_sql`, whose future
/// the compiler cannot prove `Send` for every lifetime, which would make
/// `SqliteStore::open` unusable in a spawned task.)
pub(super) async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let found = user_version(&mut tx).await?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in (1u32..).zip(MIGRATIONS).skip(found as usize) {
        // Unprepared and unbound: SQLite runs every statement of the text.
        tx.execute(*sql).await?;
        // PRAGMA takes no bound parameters; `version` is our own integer.
        let set_version = format!("PRAGMA user_version = {version}");
        tx.execute(set_version.as_str()).await?;
        tracing::info!(version, "assent-rp schema migrated");
    }
    tx.commit().await?;
    Ok(())
}
