//! Bodies of the device API (`/v1/...`, signed by the device key except registration
//! and the enrollment answer). The protocol messages themselves ([`crate::Registration`],
//! [`crate::Challenge`], [`crate::Answer`], …) are the request bodies.

use serde::{Deserialize, Serialize};

use crate::{Challenge, HandoverId};

/// `POST /v1/register`: the registration was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registered {
    /// The enrollment id.
    pub eid: String,
    /// Always `registered`.
    pub status: RegisteredStatus,
}

/// The one status of [`Registered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegisteredStatus {
    /// Stored for the RP.
    Registered,
}

/// `GET /v1/challenges`: the device's pending challenges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingList {
    /// Challenges (docs/protocol.md §4) exactly as the RP made them, oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub challenges: Vec<Challenge>,
}

/// `POST /v1/answer`: what became of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerReceipt {
    /// Always `answered`: the first answer is kept.
    pub state: AnswerState,
}

/// The one state of [`AnswerReceipt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnswerState {
    /// Stored (now or before, identically).
    Answered,
}

/// `POST /v1/push-token`: whether a push-token update was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushTokenApplied {
    /// False when the stored `seq` is not smaller (a replay or a reordering).
    pub applied: bool,
}

/// `POST /v1/unenroll`: an unenroll request was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnenrollRequested {
    /// Always `requested`: the RP confirms through `GET /v1/unenroll`.
    pub status: UnenrollStatus,
}

/// The one status of [`UnenrollRequested`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnenrollStatus {
    /// Forwarded to the RP.
    Requested,
}

/// `GET /v1/webpush`: the relay's Web Push (UnifiedPush) settings, unauthenticated. The
/// app subscribes at its UnifiedPush distributor with `vapid_public_key` (the VAPID key,
/// RFC 8292) and then registers the subscription as a `webpush` push token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebPushInfo {
    /// The relay's VAPID public key (uncompressed P-256 point, base64url), or `null`
    /// when this relay sends no Web Push (the phone then polls).
    pub vapid_public_key: Option<String>,
}

/// `POST /v1/handovers`: the new phone opens a handover mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenMailbox {
    /// The mailbox id from the new phone's QR.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9_-]{21}[AQgw]$"))]
    pub hid: HandoverId,
    /// When the mailbox may go (Unix seconds); the relay keeps it at most
    /// [`crate::handover::HANDOVER_MAX_TTL`] seconds by its own clock.
    pub expires_at: u64,
}

/// `POST /v1/handovers`: the mailbox is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxOpened {
    /// The mailbox id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hid: HandoverId,
    /// Its expiry as the relay keeps it (capped).
    pub expires_at: u64,
}

/// `PUT /v1/handovers/{hid}/{slot}`: the slot holds the message (now, or before with
/// the very same bytes; other bytes get 409 `already_exists`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotStored {
    /// Always true.
    pub stored: bool,
}

/// `POST /v1/handover`: a handover request was recorded for the RP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverRequested {
    /// Always `requested`: the RP confirms through `GET /v1/replacements/{rid}`.
    pub status: UnenrollStatus,
}
