//! Every route of the relay's HTTP API (docs/protocol.md §10): the path templates the
//! router serves (`{name}` marks a path parameter, as axum writes it) and functions that
//! build a concrete path, so a signed request's `path` is the same string on both sides.
//!
//! A constant without parameters is both its template and its path; a test checks
//! that each builder fills its template.

use crate::handover::MailboxSlot;
use crate::ids::{ChallengeId, DeviceId, EnrollmentId, HandoverId, PushId, ReplacementId};

// ----- operations -----

/// Ops: liveness.
pub const HEALTHZ: &str = "/healthz";
/// Ops: readiness (the database and the writer answer).
pub const READYZ: &str = "/readyz";
/// Ops: Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// Ops: the OpenAPI document.
pub const OPENAPI: &str = "/openapi.json";

// ----- device API -----

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

/// Device API: unauthenticated `GET` of the relay's Web Push settings
/// ([`super::WebPushInfo`]: the VAPID public key the app subscribes with).
pub const WEBPUSH: &str = "/v1/webpush";

/// Template of [`enrollment_answer`].
pub const ENROLLMENT_ANSWER: &str = "/v1/enrollments/{eid}/answer";
/// Device API: `GET` the sealed [`crate::EnrollmentAnswer`] for `eid` (404 until the RP
/// delivers it). Unsigned: the phone has no device id yet, and the body is sealed under
/// `k_chan`, which only the registering phone holds.
pub fn enrollment_answer(eid: &EnrollmentId) -> String {
    format!("/v1/enrollments/{eid}/answer")
}

/// Template of [`challenge`].
pub const CHALLENGE: &str = "/v1/challenges/{push_id}";
/// Device API: signed `GET` of one challenge by the push id a push carried.
pub fn challenge(push_id: &PushId) -> String {
    format!("/v1/challenges/{push_id}")
}

/// Device API: unauthenticated `POST` of an [`super::OpenMailbox`]: the new phone opens
/// a handover mailbox (docs/protocol.md §11).
pub const HANDOVERS: &str = "/v1/handovers";

/// Template of [`handover_slot`].
pub const HANDOVER_SLOT: &str = "/v1/handovers/{hid}/{slot}";
/// Device API: unauthenticated `PUT` (once) and `GET` (404 `not_ready` until written)
/// of one slot of a handover mailbox. Knowing `hid` is the only capability; what the
/// slot holds is sealed between the two phones.
pub fn handover_slot(hid: &HandoverId, slot: MailboxSlot) -> String {
    format!("/v1/handovers/{hid}/{slot}")
}

/// Device API: signed `POST` (by the old device) of a
/// [`crate::handover::HandoverRequest`], kept for the RP.
pub const HANDOVER: &str = "/v1/handover";

/// Template of [`replacement`].
pub const REPLACEMENT: &str = "/v1/replacements/{rid}";
/// Device API: unauthenticated `GET` of the RP's
/// [`crate::handover::HandoverConfirmation`] for replacement `rid` (404 `not_ready`
/// until the RP confirmed). Both phones fetch it; it is sealed under the channel key.
pub fn replacement(rid: &ReplacementId) -> String {
    format!("/v1/replacements/{rid}")
}

// ----- RP API (API key) -----

/// RP API: `GET` the calling tenant ([`super::TenantInfo`]).
pub const RP_TENANT: &str = "/v1/rp/tenant";
/// RP API: `POST` an [`super::Announce`] of an offer's enrollment id.
pub const RP_ENROLLMENTS: &str = "/v1/rp/enrollments";
/// RP API: `GET` the registrations that have no answer yet ([`super::RegistrationList`]).
pub const RP_REGISTRATIONS: &str = "/v1/rp/registrations";

/// Template of [`rp_registration`].
pub const RP_REGISTRATION: &str = "/v1/rp/enrollments/{eid}/registration";
/// RP API: `GET` the registration for `eid` (404 `not_ready` until a phone registers).
pub fn rp_registration(eid: &EnrollmentId) -> String {
    format!("/v1/rp/enrollments/{eid}/registration")
}

/// Template of [`rp_enrollment_answer`].
pub const RP_ENROLLMENT_ANSWER: &str = "/v1/rp/enrollments/{eid}/answer";
/// RP API: `POST` the sealed [`crate::EnrollmentAnswer`] for `eid`.
pub fn rp_enrollment_answer(eid: &EnrollmentId) -> String {
    format!("/v1/rp/enrollments/{eid}/answer")
}

/// RP API: `POST` a [`super::CreateChallenge`].
pub const RP_CHALLENGES: &str = "/v1/rp/challenges";

/// Template of [`rp_challenge_answer`].
pub const RP_CHALLENGE_ANSWER: &str = "/v1/rp/challenges/{challenge_id}/answer";
/// RP API: `GET ...?wait=<s>` the signed answer of a challenge (long-poll; 204 on timeout).
pub fn rp_challenge_answer(challenge_id: &ChallengeId) -> String {
    format!("/v1/rp/challenges/{challenge_id}/answer")
}

/// Template of [`rp_device`].
pub const RP_DEVICE: &str = "/v1/rp/devices/{device_id}";
/// RP API: `DELETE` a device.
pub fn rp_device(device_id: &DeviceId) -> String {
    format!("/v1/rp/devices/{device_id}")
}

/// RP API: `GET` the pending [`crate::UnenrollRequest`]s of the tenant's devices.
pub const RP_UNENROLL_REQUESTS: &str = "/v1/rp/unenroll-requests";

/// Template of [`rp_unenrolled`].
pub const RP_UNENROLLED: &str = "/v1/rp/devices/{device_id}/unenrolled";
/// RP API: `POST` the [`crate::UnenrollConfirmation`] for a device (also removes it).
pub fn rp_unenrolled(device_id: &DeviceId) -> String {
    format!("/v1/rp/devices/{device_id}/unenrolled")
}

/// RP API: `GET` the pending [`crate::handover::HandoverRequest`]s of the tenant's
/// devices ([`super::HandoverList`]).
pub const RP_HANDOVER_REQUESTS: &str = "/v1/rp/handover-requests";

/// Template of [`rp_replaced`].
pub const RP_REPLACED: &str = "/v1/rp/devices/{device_id}/replaced";
/// RP API: `POST` the [`crate::handover::HandoverConfirmation`] of a device's key swap;
/// the relay applies the new key, platform and push token of the request it holds.
pub fn rp_replaced(device_id: &DeviceId) -> String {
    format!("/v1/rp/devices/{device_id}/replaced")
}

/// RP API: `PUT` a [`super::SetWebhook`], `GET` or `DELETE` the tenant's webhook.
pub const RP_WEBHOOK: &str = "/v1/rp/webhook";

// ----- managed mode (API key of a managed tenant) -----

/// Managed: `POST` an [`super::managed::OfferBody`].
pub const MANAGED_ENROLLMENTS: &str = "/v1/managed/enrollments";
/// Managed: `GET` where an enrollment stands.
pub const MANAGED_ENROLLMENT: &str = "/v1/managed/enrollments/{eid}";
/// Managed: `POST` the code the phone shows to activate it.
pub const MANAGED_ACTIVATE: &str = "/v1/managed/enrollments/{eid}/activate";
/// Managed: `GET` an account's phones.
pub const MANAGED_DEVICES: &str = "/v1/managed/accounts/{account}/devices";
/// Managed: `DELETE` one of an account's phones.
pub const MANAGED_DEVICE: &str = "/v1/managed/accounts/{account}/devices/{device_id}";
/// Managed: `POST` a [`super::managed::StartBody`] to start a challenge.
pub const MANAGED_CHALLENGES: &str = "/v1/managed/challenges";
/// Managed: `POST` a [`super::managed::HandleBody`] for the verdict.
pub const MANAGED_VERDICT: &str = "/v1/managed/challenges/verdict";
/// Managed: `POST` a [`super::managed::HandleBody`] to redeem an approval.
pub const MANAGED_REDEEM: &str = "/v1/managed/challenges/redeem";
/// Managed: `POST` a [`super::managed::CodeBody`] with a TOTP code.
pub const MANAGED_TOTP_VERIFY: &str = "/v1/managed/accounts/{account}/totp/verify";
/// Managed: `POST` to issue a new set of backup codes.
pub const MANAGED_BACKUP_CODES: &str = "/v1/managed/accounts/{account}/backup-codes";
/// Managed: `POST` a [`super::managed::CodeBody`] with a backup code.
pub const MANAGED_BACKUP_CODE_VERIFY: &str = "/v1/managed/accounts/{account}/backup-codes/verify";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_their_templates() {
        let eid = EnrollmentId::from_bytes([7; 16]);
        let device = DeviceId::from_bytes([8; 16]);
        let push_id = PushId::from_bytes([9; 16]);
        let challenge_id = ChallengeId::from_bytes([10; 16]);
        let with = |template: &str, name: &str, value: String| {
            template.replace(&format!("{{{name}}}"), &value)
        };
        let e = || eid.to_string();
        assert_eq!(enrollment_answer(&eid), with(ENROLLMENT_ANSWER, "eid", e()));
        assert_eq!(rp_registration(&eid), with(RP_REGISTRATION, "eid", e()));
        assert_eq!(
            rp_enrollment_answer(&eid),
            with(RP_ENROLLMENT_ANSWER, "eid", e())
        );
        assert_eq!(
            challenge(&push_id),
            with(CHALLENGE, "push_id", push_id.to_string())
        );
        assert_eq!(
            rp_challenge_answer(&challenge_id),
            with(
                RP_CHALLENGE_ANSWER,
                "challenge_id",
                challenge_id.to_string()
            )
        );
        let d = || device.to_string();
        assert_eq!(rp_device(&device), with(RP_DEVICE, "device_id", d()));
        assert_eq!(
            rp_unenrolled(&device),
            with(RP_UNENROLLED, "device_id", d())
        );
        assert_eq!(rp_replaced(&device), with(RP_REPLACED, "device_id", d()));
        let hid = HandoverId::from_bytes([11; 16]);
        assert_eq!(
            handover_slot(&hid, MailboxSlot::Reply),
            with(HANDOVER_SLOT, "hid", hid.to_string()).replace("{slot}", "reply")
        );
        let rid = ReplacementId::from_bytes([12; 16]);
        assert_eq!(replacement(&rid), with(REPLACEMENT, "rid", rid.to_string()));
    }
}
