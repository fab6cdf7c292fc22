//! The RP library's events, turned into notices on the user's security page:
//! every new phone (DESIGN.md §9: the user is told), every removal, every
//! "this wasn't me", and two-step verification turned off; and an organization's
//! security reminders, written to the outbox as mail.

use std::sync::Arc;

use assent_rp::{Event, EventSink};

use crate::db::Db;

/// Stores each event as a notice for its account.
#[derive(Debug)]
pub struct NoticeSink {
    db: Arc<Db>,
}

impl NoticeSink {
    /// A sink writing to `db`.
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

/// The notice text for an event, with the account it belongs to.
pub fn notice(event: &Event) -> Option<(&str, String, u64)> {
    match event {
        Event::NewDevice {
            account, name, at, ..
        } => Some((
            account,
            format!(
                "A new phone, \u{201c}{name}\u{201d}, can now approve your logins. If this wasn't you, remove it below and change your password."
            ),
            *at,
        )),
        Event::DeviceRemoved {
            account,
            by_phone,
            at,
            ..
        } => Some((
            account,
            if *by_phone {
                "A phone removed itself from your account.".to_owned()
            } else {
                "A phone was removed from your account.".to_owned()
            },
            *at,
        )),
        Event::FraudReported {
            account, at, muted_until, ..
        } => Some((
            account,
            format!(
                "Someone tried to log in with your password and you answered \u{201c}this wasn't me\u{201d}. Login requests are paused for {} minutes. Change your password.",
                muted_until.saturating_sub(*at).div_ceil(60)
            ),
            *at,
        )),
        Event::TwoStepTurnedOff { account, at } => Some((
            account,
            "Two-step verification was turned off: your phones, backup codes and application passwords no longer work, and no browser is trusted any more. If this wasn't you, change your password and turn it on again.".to_owned(),
            *at,
        )),
        _ => None,
    }
}

impl EventSink for NoticeSink {
    fn deliver(&self, event: &Event) {
        if let Event::TwoStepReminder {
            account,
            organization,
            at,
        } = event
        {
            let at = i64::try_from(*at).unwrap_or(i64::MAX);
            let body = format!(
                "{organization} requires two-step verification. Log in and turn it on: after your password, you approve each login on your phone."
            );
            if let Err(e) = self
                .db
                .send_mail(account, "Turn on two-step verification", &body, at)
            {
                tracing::error!(error = %e, "could not store a reminder mail");
            }
            return;
        }
        let Some((account, text, at)) = notice(event) else {
            return;
        };
        let at = i64::try_from(at).unwrap_or(i64::MAX);
        if let Err(e) = self.db.add_notice(account, &text, at) {
            tracing::error!(error = %e, "could not store a notice");
        }
    }
}
