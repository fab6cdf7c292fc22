//! SQLite [`RpStore`]: WAL, `synchronous=FULL`, migrations by `PRAGMA user_version`.
//!
//! One connection behind a mutex per store; several stores (or processes) may
//! open the same file, and SQLite's locking (with a busy timeout) serialises
//! their writes. Read-modify-write sequences run in `BEGIN IMMEDIATE`
//! transactions; the deciding writes are single conditional `UPDATE`s.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use zeroize::Zeroizing;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};

use super::sqlite_push as push;
use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, RpStore, TotpRecord,
};
use crate::error::{Error, Result};
use crate::limiter::LimiterState;
use crate::push::AccountPolicy;
use crate::totp_verify::TotpParams;

/// Schema migrations; migration `i` takes the database to `user_version = i + 1`.
/// Later parts append here; migration 2 holds the push tables (enrollments, devices,
/// challenges, push_accounts), defined in `sqlite_push.rs`.
const MIGRATIONS: &[&str] = &[
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
    push::MIGRATION,
];

/// A store in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory database (tests, demos).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // Returns the resulting mode ("memory" for in-memory databases).
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        user_version(&self.conn())
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A connection outlives a panic in another thread: each statement or
        // transaction is atomic in SQLite itself.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Number of migrations this library knows.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn user_version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| Error::Corrupt("user_version"))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tracing::info!(version = i + 1, "assent-rp schema migrated");
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Corrupt("integer above i64::MAX"))
}

pub(super) fn to_u64(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Corrupt("negative integer"))
}

pub(super) fn opt_u64(v: Option<i64>) -> Result<Option<u64>> {
    v.map(to_u64).transpose()
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

type TotpRow = (Zeroizing<Vec<u8>>, String, i64, i64, Option<i64>, i64);

fn totp_from_row(row: TotpRow) -> Result<TotpRecord> {
    let (secret, algorithm, digits, period, last_step, created_at) = row;
    Ok(TotpRecord {
        secret: assent_otp::Secret::from_bytes(secret.to_vec())?,
        params: TotpParams {
            algorithm: algorithm
                .parse()
                .map_err(|_| Error::Corrupt("totp algorithm"))?,
            digits: u8::try_from(digits).map_err(|_| Error::Corrupt("totp digits"))?,
            period: to_u64(period)?,
        },
        last_step: opt_u64(last_step)?,
        created_at: to_u64(created_at)?,
    })
}

/// Columns 3..=5 of an app password row: created, last used, revoked.
fn stamps(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Option<i64>; 3]> {
    Ok([r.get(3)?, r.get(4)?, r.get(5)?])
}

impl RpStore for SqliteStore {
    fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()> {
        self.conn().execute(
            "INSERT INTO totp (account, secret, algorithm, digits, period, last_step, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (account) DO UPDATE SET secret = excluded.secret,
                 algorithm = excluded.algorithm, digits = excluded.digits,
                 period = excluded.period, last_step = excluded.last_step,
                 created_at = excluded.created_at",
            params![
                account,
                record.secret.as_bytes(),
                record.params.algorithm.to_string(),
                i64::from(record.params.digits),
                to_i64(record.params.period)?,
                record.last_step.map(to_i64).transpose()?,
                to_i64(record.created_at)?,
            ],
        )?;
        Ok(())
    }

    fn totp(&self, account: &str) -> Result<Option<TotpRecord>> {
        let row: Option<TotpRow> = self
            .conn()
            .query_row(
                "SELECT secret, algorithm, digits, period, last_step, created_at
                 FROM totp WHERE account = ?1",
                [account],
                |r| {
                    Ok((
                        Zeroizing::new(r.get::<_, Vec<u8>>(0)?),
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        row.map(totp_from_row).transpose()
    }

    fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE totp SET last_step = ?2
             WHERE account = ?1 AND (last_step IS NULL OR last_step < ?2)",
            params![account, to_i64(step)?],
        )?;
        Ok(n == 1)
    }

    fn delete_totp(&self, account: &str) -> Result<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM totp WHERE account = ?1", [account])?;
        Ok(n > 0)
    }

    fn limiter(&self, account: &str) -> Result<LimiterState> {
        read_limiter(&self.conn(), account)
    }

    fn update_limiter(
        &self,
        account: &str,
        f: &mut dyn FnMut(LimiterState) -> LimiterState,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next = f(read_limiter(&tx, account)?);
        tx.execute(
            "INSERT INTO limiter (account, failures, next_allowed) VALUES (?1, ?2, ?3)
             ON CONFLICT (account) DO UPDATE SET failures = excluded.failures,
                 next_allowed = excluded.next_allowed",
            params![account, next.failures, to_i64(next.next_allowed)?],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reset_limiter(&self, account: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM limiter WHERE account = ?1", [account])?;
        Ok(())
    }

    fn replace_backup_codes(&self, account: &str, codes: &[BackupCodeRecord]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM backup_codes WHERE account = ?1", [account])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO backup_codes (account, id, hash, used_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in codes {
                insert.execute(params![
                    account,
                    c.id,
                    c.hash,
                    c.used_at.map(to_i64).transpose()?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn backup_code(&self, account: &str, id: &str) -> Result<Option<BackupCodeRecord>> {
        let row: Option<(String, String, Option<i64>)> = self
            .conn()
            .query_row(
                "SELECT id, hash, used_at FROM backup_codes WHERE account = ?1 AND id = ?2",
                [account, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(id, hash, used_at)| {
            Ok(BackupCodeRecord {
                id,
                hash,
                used_at: opt_u64(used_at)?,
            })
        })
        .transpose()
    }

    fn consume_backup_code(&self, account: &str, id: &str, hash: &str, now: u64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE backup_codes SET used_at = ?4
             WHERE account = ?1 AND id = ?2 AND hash = ?3 AND used_at IS NULL",
            params![account, id, hash, to_i64(now)?],
        )?;
        Ok(n == 1)
    }

    fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM backup_codes WHERE account = ?1 AND used_at IS NULL",
            [account],
            |r| r.get(0),
        )?;
        u32::try_from(n).map_err(|_| Error::Corrupt("backup code count"))
    }

    fn insert_app_password(&self, account: &str, record: &AppPasswordRecord) -> Result<bool> {
        let i = &record.info;
        let n = self.conn().execute(
            "INSERT INTO app_passwords
                 (account, id, name, hash, created_at, last_used_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (account, id) DO NOTHING",
            params![
                account,
                i.id,
                i.name,
                record.hash,
                to_i64(i.created_at)?,
                i.last_used_at.map(to_i64).transpose()?,
                i.revoked_at.map(to_i64).transpose()?,
            ],
        )?;
        Ok(n == 1)
    }

    fn app_password(&self, account: &str, id: &str) -> Result<Option<AppPasswordRecord>> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, name, hash, created_at, last_used_at, revoked_at
                 FROM app_passwords WHERE account = ?1 AND id = ?2",
                [account, id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        stamps(r)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, name, hash, [created, used, revoked])| {
            Ok(AppPasswordRecord {
                info: AppPasswordInfo {
                    id,
                    name,
                    created_at: to_u64(created.ok_or(Error::Corrupt("created_at"))?)?,
                    last_used_at: opt_u64(used)?,
                    revoked_at: opt_u64(revoked)?,
                },
                hash,
            })
        })
        .transpose()
    }

    fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, NULL, created_at, last_used_at, revoked_at
             FROM app_passwords WHERE account = ?1 ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([account], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, stamps(r)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, [created, used, revoked]) = row?;
            out.push(AppPasswordInfo {
                id,
                name,
                created_at: to_u64(created.ok_or(Error::Corrupt("created_at"))?)?,
                last_used_at: opt_u64(used)?,
                revoked_at: opt_u64(revoked)?,
            });
        }
        Ok(out)
    }

    fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()> {
        self.conn().execute(
            "UPDATE app_passwords SET last_used_at = ?3 WHERE account = ?1 AND id = ?2",
            params![account, id, to_i64(now)?],
        )?;
        Ok(())
    }

    fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE app_passwords SET revoked_at = ?3
             WHERE account = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![account, id, to_i64(now)?],
        )?;
        Ok(n == 1)
    }

    fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32> {
        let n = self.conn().execute(
            "UPDATE app_passwords SET revoked_at = ?2
             WHERE account = ?1 AND revoked_at IS NULL",
            params![account, to_i64(now)?],
        )?;
        Ok(count_u32(n))
    }

    fn delete_account(&self, account: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let tables = ["totp", "limiter", "backup_codes", "app_passwords"];
        for table in tables.iter().chain(push::ACCOUNT_TABLES.iter()) {
            tx.execute(
                &format!("DELETE FROM {table} WHERE account = ?1"),
                [account],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()> {
        push::insert_enrollment(&self.conn(), record)
    }

    fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
        push::enrollment(&self.conn(), eid)
    }

    fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
        push::claim_enrollment(&mut self.conn(), eid)
    }

    fn set_enrollment_state(
        &self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> Result<bool> {
        push::set_enrollment_state(&self.conn(), eid, from, to, device_id)
    }

    fn insert_device(&self, record: &DeviceRecord) -> Result<()> {
        push::insert_device(&self.conn(), record)
    }

    fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
        push::device(&self.conn(), device_id)
    }

    fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>> {
        push::devices(&self.conn(), account)
    }

    fn set_device_state(
        &self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> Result<bool> {
        push::set_device_state(&self.conn(), device_id, from, to, now)
    }

    fn insert_challenge(
        &self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
    ) -> Result<ChallengeAdmission> {
        push::insert_challenge(&mut self.conn(), record, limits, now)
    }

    fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Result<Option<ChallengeRecord>> {
        push::challenge_by_handle(&self.conn(), handle_hash)
    }

    fn resolve_challenge(
        &self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> Result<bool> {
        push::resolve_challenge(&self.conn(), challenge_id, from, to, now)
    }

    fn cancel_device_challenges(&self, device_id: &DeviceId, now: u64) -> Result<u32> {
        push::cancel_device_challenges(&self.conn(), device_id, now)
    }

    fn mute_pushes(&self, account: &str, until: u64) -> Result<()> {
        push::mute_pushes(&self.conn(), account, until)
    }

    fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>> {
        push::pushes_muted_until(&self.conn(), account)
    }

    fn set_account_policy(&self, account: &str, policy: &AccountPolicy) -> Result<()> {
        push::set_account_policy(&self.conn(), account, policy)
    }

    fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>> {
        push::account_policy(&self.conn(), account)
    }
}

fn read_limiter(conn: &Connection, account: &str) -> Result<LimiterState> {
    let row: Option<(u32, i64)> = conn
        .query_row(
            "SELECT failures, next_allowed FROM limiter WHERE account = ?1",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => Ok(LimiterState::default()),
        Some((failures, next_allowed)) => Ok(LimiterState {
            failures,
            next_allowed: to_u64(next_allowed)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_file_is_migrated_in_wal_mode_and_state_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rp.sqlite");
        {
            let s = SqliteStore::open(&path).unwrap();
            assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
            let mode: String = s
                .conn()
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            s.replace_backup_codes(
                "a",
                &[BackupCodeRecord {
                    id: "x".into(),
                    hash: "h".into(),
                    used_at: None,
                }],
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(s.backup_codes_remaining("a").unwrap(), 1);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rp.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        assert!(matches!(
            SqliteStore::open(&path),
            Err(Error::SchemaTooNew { found, supported })
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
    }

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        let s = SqliteStore::open_in_memory().unwrap();
        s.conn()
            .execute(
                "INSERT INTO limiter (account, failures, next_allowed) VALUES ('a', 1, -5)",
                [],
            )
            .unwrap();
        assert!(matches!(s.limiter("a"), Err(Error::Corrupt(_))));
        s.conn()
            .execute(
                "INSERT INTO totp VALUES ('a', x'00', 'SHA1', 6, 30, NULL, 0)",
                [],
            )
            .unwrap();
        assert!(matches!(s.totp("a"), Err(Error::Otp(_))));
    }
}
