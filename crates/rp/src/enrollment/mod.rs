//! Enrolling phones (docs/protocol.md §3): offers, registration, activation, the device
//! list, removal and unenroll requests.
//!
//! The path of one phone:
//!
//! 1. [`Rp::make_offer`](crate::Rp::make_offer) — needs an
//!    [`EnrollmentAuthorization`](crate::EnrollmentAuthorization) (the account's existing
//!    second factor, or the checked claim that it has none); stores `eid`, `es` and the
//!    per-offer RP key with an expiry, announces `eid` to the relay and returns the offer
//!    as a URI (QR code) and as JSON (in-app flow).
//! 2. [`Rp::complete_registration`](crate::Rp::complete_registration) — fetches the
//!    registration from the relay, takes it only once per `eid` (the offer's secrets are
//!    deleted in the same step), verifies it (expiry by the RP's clock, bind, signature,
//!    unwrap), assigns a device id and a 160-bit TOTP secret, stores the phone as pending
//!    and delivers the sealed enrollment answer. Calling it again re-delivers the answer.
//! 3. [`Rp::activate`](crate::Rp::activate) — the code the phone shows, typed on the login
//!    page: right → the phone is active, its TOTP secret becomes the account's, 10 backup
//!    codes are issued if the account has none, and [`Event::NewDevice`](crate::Event) is
//!    delivered; wrong → the enrollment is dead.
//!
//! A QR photographer, even with a colluding relay that holds `es`, can get a key of its
//! own registered (the RP takes the first registration), but activation happens only
//! through the account's own session: the login page that showed the QR (or the app's
//! authenticated session) passes the code to [`Rp::activate`](crate::Rp::activate) for
//! *its* account. The victim's phone never gets an answer it can open, so the victim
//! cannot type the attacker's code, and the attacker has no session to type it into.
//! A relay that swaps the key inside the victim's registration is caught by bind, the
//! signature or the unwrap.

mod activate;
mod devices;
mod offer;
mod register;

#[cfg(test)]
mod tests;

use assent_protocol::{ApprovalKind, Custody, DeviceId, Offer, Platform};
use zeroize::Zeroizing;

use crate::backup_codes::BackupCodes;
use crate::error::Result;
use crate::qr::Qr;
use crate::store::{DeviceRecord, DeviceState};

/// What the RP puts in an offer besides what it generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRequest {
    /// Display name of the RP ("Example").
    pub issuer: String,
    /// Display name of the account ("alice@example.com"); may differ from the account key.
    pub account_label: String,
    /// Weakest approval kind the phone will ever accept for this account. `simple` only if
    /// the RP's policy allows it.
    pub min: ApprovalKind,
    /// Require user verification (the phone makes the device key with user-auth access
    /// control).
    pub uv: bool,
    /// Who holds the RP keys, as the offer says (the phone shows it). [`Custody::Rp`]
    /// (the default) is this library in the login server itself; [`Custody::Relay`] is
    /// for a relay that uses this library on behalf of an RP in another language
    /// (managed mode), which that RP then trusts.
    pub custody: Custody,
}

impl OfferRequest {
    /// An offer with minimum kind `number` and no user verification.
    pub fn new(issuer: &str, account_label: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            account_label: account_label.to_owned(),
            min: ApprovalKind::Number,
            uv: false,
            custody: Custody::Rp,
        }
    }
}

/// A fresh offer, to show once. Custody is the request's (`rp` unless asked otherwise).
/// Both forms carry the one-time `es`: they are zeroized on drop, and Debug is redacted.
pub struct NewOffer {
    /// The parsed offer (for the enrollment id and expiry).
    pub offer: Offer,
    /// `assent://enroll?...` for the QR code ("connect from a computer").
    pub uri: Zeroizing<String>,
    /// The same offer as JSON, for the app's authenticated session ("connect from this
    /// phone"); never put it in an unverified link.
    pub json: Zeroizing<String>,
}

impl NewOffer {
    /// The URI as a QR code (SVG, PNG or terminal text).
    pub fn qr(&self) -> Result<Qr> {
        Qr::new(&self.uri)
    }
}

impl std::fmt::Debug for NewOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOffer")
            .field("eid", &self.offer.eid)
            .field("expires_at", &self.offer.expires_at)
            .finish_non_exhaustive()
    }
}

/// Where an offer's registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// No phone has registered yet; ask again later.
    Waiting,
    /// The phone registered and got its answer; the login page should now ask for the
    /// code it shows.
    AwaitingActivation(DeviceInfo),
}

/// What may be shown about a device (no keys, no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Its id.
    pub device_id: DeviceId,
    /// The name the phone gave.
    pub name: String,
    /// Its platform.
    pub platform: Platform,
    /// Pending activation or active.
    pub state: DeviceState,
    /// Weakest approval kind it accepts.
    pub min: ApprovalKind,
    /// Registration time.
    pub created_at: u64,
    /// Activation time.
    pub activated_at: Option<u64>,
}

impl From<&DeviceRecord> for DeviceInfo {
    fn from(d: &DeviceRecord) -> Self {
        Self {
            device_id: d.device_id,
            name: d.name.clone(),
            platform: d.platform,
            state: d.state,
            min: d.min,
            created_at: d.created_at,
            activated_at: d.activated_at,
        }
    }
}

/// The result of an activation attempt.
#[derive(Debug)]
#[must_use]
pub enum ActivationResult {
    /// The phone is active.
    Activated(Activated),
    /// Wrong code: the enrollment is dead; start over with a new offer.
    Rejected,
}

/// A phone just activated.
#[derive(Debug)]
pub struct Activated {
    /// The account.
    pub account: String,
    /// The device.
    pub device: DeviceInfo,
    /// Backup codes issued now because the account had none: show them once. `None` if
    /// the account already had some.
    pub backup_codes: Option<BackupCodes>,
}

/// The result of processing the relay's unenroll requests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnenrollReport {
    /// Devices removed now.
    pub removed: Vec<DeviceId>,
    /// Requests confirmed (including repeats for devices removed before).
    pub confirmed: usize,
    /// Requests refused: unknown device or a signature that does not verify.
    pub refused: usize,
}
