//! The site's side of organizations: who administers which (the RP library keeps the
//! memberships and the policy, not the admins), and the outbox where the demo "sends"
//! mail (security reminders) instead of a mail server.

use rusqlite::params;

use crate::db::{Db, User};
use crate::error::Result;

/// A mail the demo would have sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Subject line.
    pub subject: String,
    /// Text.
    pub body: String,
    /// When (Unix seconds).
    pub at: i64,
}

impl Db {
    /// Makes `user` an admin of `org`.
    pub fn add_org_admin(&self, org: &str, user: &User) -> Result<()> {
        self.conn().execute(
            "INSERT INTO org_admins (org, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![org, user.id],
        )?;
        Ok(())
    }

    /// The organization `user` administers, if any.
    pub fn administered_org(&self, user: &User) -> Result<Option<String>> {
        use rusqlite::OptionalExtension as _;
        Ok(self
            .conn()
            .query_row(
                "SELECT org FROM org_admins WHERE user_id = ?1 ORDER BY org LIMIT 1",
                params![user.id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Puts a mail for the account in the outbox.
    pub fn send_mail(&self, account: &str, subject: &str, body: &str, at: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO outbox (account, subject, body, at) VALUES (?1, ?2, ?3, ?4)",
            params![account, subject, body, at],
        )?;
        Ok(())
    }

    /// The account's mail, newest first.
    pub fn mail(&self, account: &str) -> Result<Vec<Mail>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT subject, body, at FROM outbox WHERE account = ?1 ORDER BY id DESC LIMIT 100",
        )?;
        let rows = stmt.query_map(params![account], |r| {
            Ok(Mail {
                subject: r.get(0)?,
                body: r.get(1)?,
                at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
