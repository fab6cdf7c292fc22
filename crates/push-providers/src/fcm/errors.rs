//! FCM answers → what to do. See Firebase's `ErrorCode` reference for HTTP v1.

use serde::Deserialize;

use crate::outcome::Failure;

/// What one FCM answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 200.
    Sent,
    /// UNREGISTERED, or INVALID_ARGUMENT about the token.
    Dead,
    /// 401 UNAUTHENTICATED: the access token is not (or no longer) accepted.
    Unauthenticated,
    /// Retry later (429 QUOTA_EXCEEDED, 500 INTERNAL, 503 UNAVAILABLE).
    Transient(Failure),
    /// Fail now, keep the token (config errors alert).
    Fatal(Failure),
}

#[derive(Deserialize)]
struct Envelope {
    error: Option<Status>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    #[serde(rename = "fieldViolations", default)]
    field_violations: Vec<FieldViolation>,
}

#[derive(Deserialize)]
struct FieldViolation {
    #[serde(default)]
    field: String,
}

/// Classifies an FCM answer; also returns the FCM error code (or status) for logs.
pub(crate) fn classify(status: u16, body: &[u8]) -> (Verdict, String) {
    if status == 200 {
        return (Verdict::Sent, String::new());
    }
    let err = serde_json::from_slice::<Envelope>(body)
        .ok()
        .and_then(|e| e.error);
    let code = err
        .as_ref()
        .and_then(|e| e.details.iter().find_map(|d| d.error_code.clone()))
        .or_else(|| err.as_ref().map(|e| e.status.clone()))
        .unwrap_or_default();
    let about_token = err.as_ref().is_some_and(|e| {
        e.details
            .iter()
            .flat_map(|d| d.field_violations.iter())
            .any(|v| v.field == "message.token")
            || e.message
                .to_ascii_lowercase()
                .contains("registration token")
    });
    let verdict = match (status, code.as_str()) {
        (_, "UNREGISTERED") => Verdict::Dead,
        (400, "INVALID_ARGUMENT") if about_token => Verdict::Dead,
        (401, "THIRD_PARTY_AUTH_ERROR") => Verdict::Fatal(Failure::Config),
        (401, _) => Verdict::Unauthenticated,
        (403 | 404, _) | (_, "SENDER_ID_MISMATCH") => Verdict::Fatal(Failure::Config),
        (429, _) | (_, "QUOTA_EXCEEDED") => Verdict::Transient(Failure::RateLimited),
        (500 | 502 | 503 | 504, _) => Verdict::Transient(Failure::Unavailable),
        _ => Verdict::Fatal(Failure::Rejected),
    };
    (verdict, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: u16, status: &str, message: &str, details: &str) -> String {
        format!(
            r#"{{"error":{{"code":{code},"message":"{message}","status":"{status}","details":[{details}]}}}}"#
        )
    }
    fn fcm(code: &str) -> String {
        format!(
            r#"{{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"{code}"}}"#
        )
    }
    fn v(status: u16, b: &str) -> Verdict {
        classify(status, b.as_bytes()).0
    }

    #[test]
    fn table() {
        assert_eq!(v(200, ""), Verdict::Sent);
        assert_eq!(
            v(
                404,
                &body(
                    404,
                    "NOT_FOUND",
                    "Requested entity was not found.",
                    &fcm("UNREGISTERED")
                )
            ),
            Verdict::Dead
        );
        let bad_token = body(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            &fcm("INVALID_ARGUMENT"),
        );
        assert_eq!(v(400, &bad_token), Verdict::Dead);
        let field = r#"{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token","description":"Invalid registration token"}]}"#;
        assert_eq!(
            v(
                400,
                &body(
                    400,
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    field
                )
            ),
            Verdict::Dead
        );
        let bad_ttl = body(
            400,
            "INVALID_ARGUMENT",
            "Invalid value at 'message.android.ttl'",
            &fcm("INVALID_ARGUMENT"),
        );
        assert_eq!(v(400, &bad_ttl), Verdict::Fatal(Failure::Rejected));
        assert_eq!(
            v(401, &body(401, "UNAUTHENTICATED", "x", "")),
            Verdict::Unauthenticated
        );
        assert_eq!(
            v(
                401,
                &body(401, "UNAUTHENTICATED", "x", &fcm("THIRD_PARTY_AUTH_ERROR"))
            ),
            Verdict::Fatal(Failure::Config)
        );
        assert_eq!(
            v(
                403,
                &body(403, "PERMISSION_DENIED", "x", &fcm("SENDER_ID_MISMATCH"))
            ),
            Verdict::Fatal(Failure::Config)
        );
        assert_eq!(
            v(404, &body(404, "NOT_FOUND", "project", "")),
            Verdict::Fatal(Failure::Config)
        );
        assert_eq!(
            v(
                429,
                &body(429, "RESOURCE_EXHAUSTED", "x", &fcm("QUOTA_EXCEEDED"))
            ),
            Verdict::Transient(Failure::RateLimited)
        );
        assert_eq!(
            v(500, &body(500, "INTERNAL", "x", &fcm("INTERNAL"))),
            Verdict::Transient(Failure::Unavailable)
        );
        assert_eq!(v(503, "garbage"), Verdict::Transient(Failure::Unavailable));
    }
}
