//! Bodies of managed mode (`/v1/managed/...`, API key of a managed tenant). Here the
//! relay acts as the tenant's RP and gives verdicts, so that tenant trusts it.
//!
//! Request bodies carry codes and session handles: their `Debug` redacts them, and
//! nobody logs them.

use serde::{Deserialize, Serialize};

use crate::{ApprovalKind, Custody, Platform};

/// `POST /v1/managed/enrollments`: make an enrollment offer for an account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    /// The login server's account name (1–128 bytes, no control characters; the
    /// schema's lengths count characters, the same for ASCII names).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub account: String,
    /// What the phone shows for the account (default: `account`; 1–128 bytes, no
    /// control characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub account_label: Option<String>,
    /// What the phone shows for the service (default: the tenant's RP id; 1–64 bytes,
    /// no control characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub issuer: Option<String>,
    /// Weakest approval kind the phone will accept: `number` (default) or
    /// `code`.
    pub min: Option<String>,
    /// Require user verification (biometric or PIN) on the phone.
    pub uv: Option<bool>,
    /// The account's current TOTP code, required when it already has a second
    /// factor (a TOTP secret or an active phone).
    pub totp_code: Option<String>,
    /// Or one of its backup codes (spent when accepted).
    pub backup_code: Option<String>,
}

impl core::fmt::Debug for OfferBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OfferBody")
            .field("account", &self.account)
            .field("min", &self.min)
            .field("uv", &self.uv)
            .finish_non_exhaustive()
    }
}

/// A fresh offer: show the QR code (or hand the JSON to the app over its
/// authenticated session), then poll the enrollment.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferView {
    /// The enrollment id.
    pub eid: String,
    /// `assent://enroll?...` (contains the one-time enrollment secret: show it
    /// once, do not log it).
    pub uri: String,
    /// The same offer as JSON, for the in-app flow.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub offer: serde_json::Value,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
    /// Offer expiry (Unix seconds).
    pub expires_at: u64,
    /// Always `relay`: the relay holds this RP's keys; the phone shows it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub custody: Custody,
}

impl core::fmt::Debug for OfferView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OfferView")
            .field("eid", &self.eid)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Whether a phone can approve yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Registered, awaiting activation by the code it shows.
    Pending,
    /// Active: challenges go to it.
    Active,
    /// Removed: it approves nothing any more.
    Removed,
}

/// A phone as the login page may show it (no keys, no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Device id.
    pub device_id: String,
    /// The name the phone gave ("Alice's iPhone").
    pub name: String,
    /// `ios`, `android` or `poll`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Platform,
    /// Whether it is active yet.
    pub state: DeviceStatus,
    /// Weakest approval kind it accepts.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub min: ApprovalKind,
    /// Registration time.
    pub created_at: u64,
    /// Activation time.
    pub activated_at: Option<u64>,
}

/// Where an enrollment stands, as the login page needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentProgress {
    /// No phone yet.
    Waiting,
    /// Ask the user for the code the phone shows, then activate.
    AwaitingActivation,
    /// Done.
    Activated,
    /// Wrong code, expired, or a registration that failed its checks: make a new offer.
    Dead,
}

/// `GET /v1/managed/enrollments/{eid}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentStatusView {
    /// Where it stands.
    pub status: EnrollmentProgress,
    /// The registered phone, once there is one.
    pub device: Option<DeviceView>,
}

/// `POST /v1/managed/enrollments/{eid}/activate`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The account the offer was made for (the session's own account).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub account: String,
    /// The TOTP code the phone shows.
    pub code: String,
}

impl core::fmt::Debug for ActivateBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ActivateBody")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The outcome of an activation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationView {
    /// True: the phone is active. False: wrong code, the offer is dead; make a
    /// new one.
    pub activated: bool,
    /// The phone, when activated.
    pub device: Option<DeviceView>,
    /// 10 backup codes, issued now because the account had none: show them
    /// once.
    pub backup_codes: Option<Vec<String>>,
}

impl core::fmt::Debug for ActivationView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ActivationView")
            .field("activated", &self.activated)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// `GET /v1/managed/accounts/{account}/devices`: an account's phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// Oldest first.
    pub devices: Vec<DeviceView>,
}

/// `DELETE /v1/managed/accounts/{account}/devices/{device_id}`: a removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemovedView {
    /// The device.
    pub device_id: String,
    /// True if it was live until now (false: removed before; the phone is
    /// told again).
    pub removed: bool,
}

/// `POST /v1/managed/challenges`: start a push login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The account logging in.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub account: String,
    /// The browser or app, e.g. "Firefox 126 on Windows" (≤ 200 bytes).
    pub client: String,
    /// The requester's IP address.
    pub ip: String,
    /// Approximate place, e.g. "Bern, CH" (≤ 120 bytes; may be empty).
    pub location: Option<String>,
}

/// A started challenge.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartedView {
    /// The challenge id (public; for logs).
    pub challenge_id: String,
    /// Keep this in the browser session only (server side or an HttpOnly
    /// cookie); ask for the verdict and redeem with it. Never log it.
    pub handle: String,
    /// `number`, `code` or `simple`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ApprovalKind,
    /// Show this on the login page: the user types it on the phone.
    pub display: String,
    /// The phone asked.
    pub device_id: String,
    /// Its name ("Approve on Alice's iPhone").
    pub device_name: String,
    /// Deadline (Unix seconds).
    pub expires_at: u64,
}

impl core::fmt::Debug for StartedView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StartedView")
            .field("challenge_id", &self.challenge_id)
            .field("kind", &self.kind)
            .field("device_id", &self.device_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/managed/challenges/verdict` and `/redeem`: a session handle.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HandleBody {
    /// The handle from `POST /v1/managed/challenges` (43 characters of base64url).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")
    )]
    pub handle: String,
    /// Seconds to wait for the phone's answer (0–30); 0 or absent answers at
    /// once. Only for the verdict.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::ops::unsigned_64))]
    pub wait: Option<u64>,
}

impl core::fmt::Debug for HandleBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HandleBody")
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// The verdict on a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The phone has not answered.
    Pending,
    /// Redeem it now.
    Approved,
    /// Denied (also a wrong number or code).
    Denied,
    /// "This wasn't me": pushes are muted.
    Fraud,
    /// Expired unanswered.
    Expired,
    /// The phone was removed.
    Cancelled,
    /// Redeemed already.
    Redeemed,
}

/// `POST /v1/managed/challenges/verdict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictView {
    /// The verdict.
    pub status: Verdict,
}

/// `POST /v1/managed/challenges/redeem`: a redeemed approval: log the session in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemedView {
    /// The account that approved.
    pub account: String,
    /// The phone that approved.
    pub device_id: String,
    /// The challenge.
    pub challenge_id: String,
}

/// A TOTP or backup code the user typed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// What the user typed.
    pub code: String,
    /// The client's IP address as the login server sees it: wrong guesses are then
    /// counted per address as well as per account, so one address cannot hold up the
    /// user at another. Without it every attempt counts as from one unknown address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl core::fmt::Debug for CodeBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CodeBody").finish_non_exhaustive()
    }
}

/// The result of a code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeCheck {
    /// The code is right.
    Accepted,
    /// Wrong, never saying why.
    Rejected,
    /// Too many failures: wait `retry_after` seconds.
    Throttled,
}

/// `POST …/totp/verify`, `POST …/backup-codes/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyView {
    /// The result.
    pub result: CodeCheck,
    /// With `throttled`: seconds until the next attempt is admitted.
    pub retry_after: Option<u64>,
}

/// `POST …/backup-codes`: a new set of backup codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupCodesView {
    /// 10 single-use codes; show them once (they are stored hashed only).
    pub codes: Vec<String>,
}

impl core::fmt::Debug for BackupCodesView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BackupCodesView")
            .field("codes", &self.codes.len())
            .finish()
    }
}
