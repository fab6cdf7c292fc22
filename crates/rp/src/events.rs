//! Events the login server's application must hear about, through an [`EventSink`] it
//! provides: every new phone (so it can notify the user, DESIGN.md §9), every "this
//! wasn't me" (fraud report), every removal.
//!
//! Events carry public identifiers only, never secrets. Delivery is synchronous and
//! best effort: a sink that needs I/O should queue the event and return.

use assent_protocol::{ChallengeId, DeviceId, Platform};

/// Something the user should be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A phone was activated for the account: tell the user ("a new phone can approve
    /// your logins; if this wasn't you, …").
    NewDevice {
        /// The account.
        account: String,
        /// The new device.
        device_id: DeviceId,
        /// The name the phone gave itself.
        name: String,
        /// Its platform.
        platform: Platform,
        /// When it was activated (RP clock, Unix seconds).
        at: u64,
    },
    /// The user answered a challenge with "this wasn't me". Pushes are muted for the
    /// account until `muted_until` and its trusted browsers are revoked; someone may know
    /// the password.
    FraudReported {
        /// The account.
        account: String,
        /// The device that reported it.
        device_id: DeviceId,
        /// The challenge reported.
        challenge_id: ChallengeId,
        /// When the report was resolved (RP clock).
        at: u64,
        /// End of the mute (Unix seconds).
        muted_until: u64,
    },
    /// A device was removed.
    DeviceRemoved {
        /// The account.
        account: String,
        /// The removed device.
        device_id: DeviceId,
        /// True when the phone asked for it (verified unenroll request), false when the
        /// RP removed it.
        by_phone: bool,
        /// When (RP clock).
        at: u64,
    },
    /// The user turned two-step verification off: every phone, the TOTP secret, the
    /// backup codes and the application passwords are gone. Tell the user ("if this
    /// wasn't you, …").
    TwoStepTurnedOff {
        /// The account.
        account: String,
        /// When (RP clock).
        at: u64,
    },
    /// An admin of the account's organization, which requires two-step verification,
    /// asks its user to turn it on: send the reminder (mail, message).
    TwoStepReminder {
        /// The account.
        account: String,
        /// The organization.
        organization: String,
        /// When (RP clock).
        at: u64,
    },
}

/// The application's hook for [`Event`]s.
pub trait EventSink: Send + Sync {
    /// Called once per event, after the state change it reports is stored.
    fn deliver(&self, event: &Event);
}

/// The default sink: logs each event with `tracing` at `info`. Replace it with
/// [`crate::Rp::with_events`] so users are actually notified.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogEvents;

impl EventSink for LogEvents {
    fn deliver(&self, event: &Event) {
        tracing::info!(?event, "assent event (no application sink configured)");
    }
}

impl<S: EventSink + ?Sized> EventSink for std::sync::Arc<S> {
    fn deliver(&self, event: &Event) {
        (**self).deliver(event)
    }
}
