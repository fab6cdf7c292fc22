//! The relay's HTTP API paths (docs/protocol.md §10), shared by the phone's relay client,
//! the RP's relay client and the relay's router, so a signed request's `path` is the same
//! string on both sides.

use crate::ids::{ChallengeId, DeviceId, EnrollmentId, PushId};

/// Header carrying the relay's clock (Unix seconds) on every relay response.
pub const HEADER_TIME: &str = "Assent-Time";

/// Device API: `POST` a [`crate::Registration`] (self-authenticating: bind and signature).
pub const REGISTER: &str = "/v1/register";
/// Device API: signed `GET` of the pending challenges of the signing device (poll mode).
pub const CHALLENGES: &str = "/v1/challenges";
/// Device API: signed `POST` of an [`crate::Answer`].
pub const ANSWER: &str = "/v1/answer";
/// Device API: signed `POST` of a [`crate::PushTokenUpdate`].
pub const PUSH_TOKEN: &str = "/v1/push-token";
/// Device API: signed `POST` of an [`crate::UnenrollRequest`]; signed `GET` of the
/// [`crate::UnenrollConfirmation`] once the RP has answered (404 until then).
pub const UNENROLL: &str = "/v1/unenroll";

/// Device API: `GET` the sealed [`crate::EnrollmentAnswer`] for `eid` (404 until the RP
/// delivers it). Unsigned: the phone has no device id yet, and the body is sealed under
/// `k_chan`, which only the registering phone holds.
pub fn enrollment_answer(eid: &EnrollmentId) -> String {
    format!("/v1/enrollments/{eid}/answer")
}

/// Device API: signed `GET` of one challenge by the push id a push carried.
pub fn challenge(push_id: &PushId) -> String {
    format!("/v1/challenges/{push_id}")
}

/// RP API: `POST` `{"eid","expires_at"}` to announce an offer's enrollment id.
pub const RP_ENROLLMENTS: &str = "/v1/rp/enrollments";
/// RP API: `GET` the registration for `eid` (404 until a phone registers).
pub fn rp_registration(eid: &EnrollmentId) -> String {
    format!("/v1/rp/enrollments/{eid}/registration")
}
/// RP API: `POST` the sealed [`crate::EnrollmentAnswer`] for `eid`.
pub fn rp_enrollment_answer(eid: &EnrollmentId) -> String {
    format!("/v1/rp/enrollments/{eid}/answer")
}
/// RP API: `POST` `{"challenge": Challenge, "push_id"}` to create a challenge.
pub const RP_CHALLENGES: &str = "/v1/rp/challenges";
/// RP API: `GET ...?wait=<s>` the signed answer of a challenge (long-poll; 204 on timeout).
pub fn rp_challenge_answer(challenge_id: &ChallengeId) -> String {
    format!("/v1/rp/challenges/{challenge_id}/answer")
}
/// RP API: `DELETE` a device.
pub fn rp_device(device_id: &DeviceId) -> String {
    format!("/v1/rp/devices/{device_id}")
}
/// RP API: `GET` the pending [`crate::UnenrollRequest`]s of the tenant's devices.
pub const RP_UNENROLL_REQUESTS: &str = "/v1/rp/unenroll-requests";
/// RP API: `POST` the [`crate::UnenrollConfirmation`] for a device (also removes it).
pub fn rp_unenrolled(device_id: &DeviceId) -> String {
    format!("/v1/rp/devices/{device_id}/unenrolled")
}
