//! The site's own SQLite database: users, server-side sessions and the notices
//! shown on the security page (organization admins and the mail outbox:
//! `org_db.rs`). (The RP library keeps its state in its own
//! `SqliteStore`, a separate file.)

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AppError, Result};

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash         BLOB PRIMARY KEY,
    csrf            TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id) ON DELETE CASCADE,
    pending_user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    push_handle     TEXT,
    push_display    TEXT,
    push_device     TEXT,
    push_expires    INTEGER,
    enroll_eid      TEXT,
    flash           TEXT,
    trust           INTEGER NOT NULL DEFAULT 0,
    replace_device  TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS org_admins (
    org     TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (org, user_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    subject TEXT NOT NULL,
    body    TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    text    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    seen    INTEGER NOT NULL DEFAULT 0
);
";

/// A user of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id; the RP library's account key is its decimal form.
    pub id: i64,
    /// Login name.
    pub username: String,
}

impl User {
    /// The account key given to the RP library (stable across renames).
    pub fn account(&self) -> String {
        self.id.to_string()
    }
}

/// A server-side session row. The cookie holds the id; the table only its
/// SHA-256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRow {
    /// The per-session CSRF token.
    pub csrf: String,
    /// The user, once fully logged in.
    pub user_id: Option<i64>,
    /// The user whose password was right, awaiting the second step.
    pub pending_user_id: Option<i64>,
    /// The RP's `SessionHandle` of the push challenge this session started.
    pub push_handle: Option<String>,
    /// The number or code the waiting page shows.
    pub push_display: Option<String>,
    /// The phone's name.
    pub push_device: Option<String>,
    /// The challenge's deadline.
    pub push_expires: Option<i64>,
    /// The enrollment this session is adding.
    pub enroll_eid: Option<String>,
    /// A one-time message for the next page.
    pub flash: Option<String>,
    /// The phone the enrollment in progress replaces once activated.
    pub replace_device: Option<String>,
    /// The user asked at the password step to trust this browser once the second step
    /// is passed ("ask every time" when false).
    pub trust: bool,
    /// Creation time.
    pub created_at: i64,
    /// Absolute expiry.
    pub expires_at: i64,
}

/// A notice for the security page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Row id.
    pub id: i64,
    /// Text.
    pub text: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// The site database.
#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    /// Opens (creating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        Self::init(Connection::open(path)?)
    }

    /// An in-memory database (tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.execute_batch(SCHEMA)?;
        // Files made before sessions had these columns.
        for (column, ddl) in [
            (
                "trust",
                "ALTER TABLE sessions ADD COLUMN trust INTEGER NOT NULL DEFAULT 0",
            ),
            (
                "replace_device",
                "ALTER TABLE sessions ADD COLUMN replace_device TEXT",
            ),
        ] {
            let present: bool = conn.query_row(
                "SELECT COUNT(*) > 0 FROM pragma_table_info('sessions') WHERE name = ?1",
                [column],
                |r| r.get(0),
            )?;
            if !present {
                conn.execute_batch(ddl)?;
            }
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a user; `None` if the name is taken.
    pub fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<User>> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(username) DO NOTHING",
            params![username, password_hash, now],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(User {
            id: conn.last_insert_rowid(),
            username: username.to_owned(),
        }))
    }

    /// The user and password hash for a login name.
    pub fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, username, password_hash FROM users WHERE username = ?1",
                params![username],
                |r| {
                    Ok((
                        User {
                            id: r.get(0)?,
                            username: r.get(1)?,
                        },
                        r.get(2)?,
                    ))
                },
            )
            .optional()?)
    }

    /// The user with this id.
    pub fn user(&self, id: i64) -> Result<Option<User>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, username FROM users WHERE id = ?1",
                params![id],
                |r| {
                    Ok(User {
                        id: r.get(0)?,
                        username: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Replaces the user's password hash and ends every other session of the user (the
    /// one under `keep` stays).
    pub fn set_password(&self, user_id: i64, password_hash: &str, keep: &[u8]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![user_id, password_hash],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE (user_id = ?1 OR pending_user_id = ?1) AND id_hash != ?2",
            params![user_id, keep],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Inserts a session under `id_hash`.
    pub fn insert_session(&self, id_hash: &[u8], row: &SessionRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sessions (id_hash, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![id_hash, row.csrf, row.created_at, row.expires_at],
        )?;
        self.save_session(id_hash, row)
    }

    /// The unexpired session with this id hash.
    pub fn session(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT csrf, user_id, pending_user_id, push_handle, push_display, push_device,
                        push_expires, enroll_eid, flash, created_at, expires_at, trust,
                        replace_device
                 FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, now],
                |r| {
                    Ok(SessionRow {
                        csrf: r.get(0)?,
                        user_id: r.get(1)?,
                        pending_user_id: r.get(2)?,
                        push_handle: r.get(3)?,
                        push_display: r.get(4)?,
                        push_device: r.get(5)?,
                        push_expires: r.get(6)?,
                        enroll_eid: r.get(7)?,
                        flash: r.get(8)?,
                        created_at: r.get(9)?,
                        expires_at: r.get(10)?,
                        trust: r.get(11)?,
                        replace_device: r.get(12)?,
                    })
                },
            )
            .optional()?)
    }

    /// Writes every field of the session.
    pub fn save_session(&self, id_hash: &[u8], row: &SessionRow) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE sessions SET csrf = ?2, user_id = ?3, pending_user_id = ?4, push_handle = ?5,
                 push_display = ?6, push_device = ?7, push_expires = ?8, enroll_eid = ?9,
                 flash = ?10, expires_at = ?11, trust = ?12, replace_device = ?13
             WHERE id_hash = ?1",
            params![
                id_hash,
                row.csrf,
                row.user_id,
                row.pending_user_id,
                row.push_handle,
                row.push_display,
                row.push_device,
                row.push_expires,
                row.enroll_eid,
                row.flash,
                row.expires_at,
                row.trust,
                row.replace_device
            ],
        )?;
        if n == 0 {
            return Err(AppError::Internal("session vanished"));
        }
        Ok(())
    }

    /// Moves a session to a new id (after login: no session fixation).
    pub fn rekey_session(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.conn().execute(
            "UPDATE sessions SET id_hash = ?2 WHERE id_hash = ?1",
            params![old, new],
        )?;
        Ok(())
    }

    /// Deletes a session (logout).
    pub fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE id_hash = ?1", params![id_hash])?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub fn purge_sessions(&self, now: i64) -> Result<usize> {
        Ok(self
            .conn()
            .execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now])?)
    }

    /// Adds a notice for an RP account.
    pub fn add_notice(&self, account: &str, text: &str, at: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO notices (account, text, at) VALUES (?1, ?2, ?3)",
            params![account, text, at],
        )?;
        Ok(())
    }

    /// The account's unseen notices, newest first.
    pub fn notices(&self, account: &str) -> Result<Vec<Notice>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, text, at FROM notices WHERE account = ?1 AND seen = 0 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map(params![account], |r| {
            Ok(Notice {
                id: r.get(0)?,
                text: r.get(1)?,
                at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Marks the account's notices seen.
    pub fn dismiss_notices(&self, account: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE notices SET seen = 1 WHERE account = ?1",
            params![account],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn usernames_are_unique_and_sessions_expire() {
        let db = Db::open_in_memory().unwrap();
        let alice = db.create_user("alice", "h", 1).unwrap().unwrap();
        assert!(db.create_user("alice", "h2", 2).unwrap().is_none());
        assert_eq!(db.user_by_name("alice").unwrap().unwrap().1, "h");
        let row = SessionRow {
            csrf: "t".into(),
            user_id: Some(alice.id),
            created_at: 10,
            expires_at: 20,
            ..SessionRow::default()
        };
        db.insert_session(b"k", &row).unwrap();
        assert_eq!(db.session(b"k", 19).unwrap(), Some(row));
        assert_eq!(db.session(b"k", 20).unwrap(), None);
        db.rekey_session(b"k", b"k2").unwrap();
        assert!(db.session(b"k", 0).unwrap().is_none());
        assert!(db.session(b"k2", 0).unwrap().is_some());
        assert_eq!(db.purge_sessions(25).unwrap(), 1);
    }

    #[test]
    fn notices_are_per_account_until_dismissed() {
        let db = Db::open_in_memory().unwrap();
        db.add_notice("1", "new phone", 5).unwrap();
        db.add_notice("2", "other", 5).unwrap();
        assert_eq!(db.notices("1").unwrap().len(), 1);
        db.dismiss_notices("1").unwrap();
        assert!(db.notices("1").unwrap().is_empty());
        assert_eq!(db.notices("2").unwrap().len(), 1);
    }
}
