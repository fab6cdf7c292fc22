//! Bodies of the RP API (`/v1/rp/...`, API key). The relay returns the phone's signed
//! messages exactly as they arrived, never a verdict.

use serde::{Deserialize, Serialize};

use crate::handover::HandoverRequest;
use crate::ids::{ChallengeId, EnrollmentId, PushId};
use crate::{Challenge, UnenrollRequest};

/// `POST /v1/rp/enrollments`: announces an enrollment id so a phone may register for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Announce {
    /// The offer's enrollment id (22 characters of base64url; the pattern is what
    /// [`EnrollmentId::parse`] accepts: the last character carries no stray bits).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9_-]{21}[AQgw]$"))]
    pub eid: EnrollmentId,
    /// The offer's expiry (Unix seconds). The relay accepts registrations
    /// until then by its own clock, for at most `max_enrollment_ttl_secs`.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::ops::unsigned_64))]
    pub expires_at: u64,
}

/// Where an enrollment stands at the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// Announced; no phone has registered.
    Announced,
    /// A phone registered; no answer yet.
    Registered,
    /// The RP delivered the sealed answer.
    Delivered,
}

/// An enrollment as the relay holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentView {
    /// The enrollment id.
    pub eid: String,
    /// Where it stands.
    pub status: EnrollmentStatus,
    /// Relay time after which registrations are refused.
    pub expires_at: u64,
    /// The phone's registration (docs/protocol.md §3.2), once it arrived.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub registration: Option<serde_json::Value>,
    /// Relay time the registration arrived.
    pub registered_at: Option<u64>,
}

/// `GET /v1/rp/registrations`: registrations waiting for an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationList {
    /// Oldest first.
    pub registrations: Vec<EnrollmentView>,
}

/// The device created by a delivered enrollment answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivered {
    /// The enrollment id.
    pub eid: String,
    /// The device id the tenant assigned.
    pub device_id: String,
}

/// `POST /v1/rp/challenges`: a challenge (docs/protocol.md §4) and its random push id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateChallenge {
    /// The challenge exactly as the RP made it.
    pub challenge: Challenge,
    /// The random per-push id the push (or poll) carries.
    pub push_id: PushId,
}

/// How the phone hears of a created challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushRoute {
    /// A push goes to the phone's provider (its outcome is the `Assent-Push` header of
    /// the answer read).
    Queued,
    /// No push (no provider for the device's platform, no token, or its token was found
    /// dead): the phone must poll.
    Poll,
}

/// What happened to a challenge's push (header [`super::headers::PUSH`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushState {
    /// The provider accepted it.
    Sent,
    /// The provider refused it or could not be reached before the deadline.
    Failed,
    /// The provider said the token is dead; the device polls from now on.
    DeadToken,
}

impl PushState {
    /// The word on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::DeadToken => "dead_token",
        }
    }

    /// The state of a wire word.
    pub fn from_wire(word: &str) -> Option<Self> {
        [Self::Sent, Self::Failed, Self::DeadToken]
            .into_iter()
            .find(|s| s.as_str() == word)
    }
}

/// A stored challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeCreated {
    /// The challenge id.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9_-]{21}[AQgw]$"))]
    pub challenge_id: ChallengeId,
    /// The random per-push id the push (or poll) carries.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9_-]{21}[AQgw]$"))]
    pub push_id: PushId,
    /// Relay time after which the challenge can no longer be answered.
    pub expires_at: u64,
    /// Whether a push was queued or the phone must poll.
    pub push: PushRoute,
}

/// `GET /v1/rp/unenroll-requests`: unenroll requests from phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnenrollList {
    /// The phones' signed statements (docs/protocol.md §7), oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub requests: Vec<UnenrollRequest>,
}

/// The outcome of a removal (`DELETE /v1/rp/devices/{id}`, or an unenroll confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removed {
    /// The removed device.
    pub device_id: String,
    /// Always true (removal is idempotent).
    pub removed: bool,
}

/// `GET /v1/rp/tenant`: the tenant an API key acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantInfo {
    /// Tenant id.
    pub id: String,
    /// Tenant name.
    pub name: String,
    /// The relay's clock, Unix seconds.
    pub time: u64,
}

/// `PUT /v1/rp/webhook`: where to send events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetWebhook {
    /// An `https://` URL (no user info, no fragment, ≤ 2048 bytes).
    pub url: String,
}

/// The webhook just set, with its signing secret (shown only here).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookCreated {
    /// The URL.
    pub url: String,
    /// HMAC-SHA256 key (`whsec_…`, used as its ASCII bytes) for the
    /// `Assent-Webhook-Signature: t=<unix>,v1=<hex>` header over
    /// `"<t>." ‖ body`. Shown once; setting the webhook again rotates it.
    pub secret: String,
}

impl core::fmt::Debug for WebhookCreated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebhookCreated")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// `GET /v1/rp/webhook`: the tenant's webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    /// The URL, or null when none is set.
    pub url: Option<String>,
}

impl UnenrollList {
    /// The requests of a reply body without any entry that is not a well-formed
    /// [`UnenrollRequest`], so one bad entry (a relay bug, or a hostile relay) cannot
    /// hide the others; the RP verifies every statement anyway. `None` when the body is
    /// not a list at all.
    pub fn parse_lenient(body: &[u8]) -> Option<Vec<UnenrollRequest>> {
        #[derive(Deserialize)]
        struct Loose {
            requests: Vec<serde_json::Value>,
        }
        let loose: Loose = serde_json::from_slice(body).ok()?;
        Some(
            loose
                .requests
                .into_iter()
                .filter_map(|v| {
                    let text = serde_json::to_vec(&v).ok()?;
                    UnenrollRequest::from_json(&text).ok()
                })
                .collect(),
        )
    }
}

/// `GET /v1/rp/handover-requests`: the handover requests of the tenant's phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoverList {
    /// The signed handovers (docs/protocol.md §11.4), oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub requests: Vec<HandoverRequest>,
}

impl HandoverList {
    /// The requests of a reply body without any entry that is not a well-formed
    /// [`HandoverRequest`] (as [`UnenrollList::parse_lenient`]). `None` when the body is
    /// not a list at all.
    pub fn parse_lenient(body: &[u8]) -> Option<Vec<HandoverRequest>> {
        #[derive(Deserialize)]
        struct Loose {
            requests: Vec<serde_json::Value>,
        }
        let loose: Loose = serde_json::from_slice(body).ok()?;
        Some(
            loose
                .requests
                .into_iter()
                .filter_map(|v| {
                    let text = serde_json::to_vec(&v).ok()?;
                    HandoverRequest::from_json(&text).ok()
                })
                .collect(),
        )
    }
}

/// `POST /v1/rp/devices/{id}/replaced`: the relay applied the new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replaced {
    /// The device.
    pub device_id: String,
    /// Always true (a repeat of the same confirmation is accepted again).
    pub replaced: bool,
}
