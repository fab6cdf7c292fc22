//! APNs answers → what to do. See Apple's "Handling notification responses
//! from APNs".

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::outcome::Failure;

/// What one APNs answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 200.
    Sent,
    /// 400 BadDeviceToken, 410 Unregistered/ExpiredToken (with the timestamp of
    /// when the token stopped being valid, if given).
    Dead { since: Option<SystemTime> },
    /// 403 ExpiredProviderToken.
    ExpiredJwt,
    /// 429 TooManyProviderTokenUpdates.
    TooManyTokenUpdates,
    /// Retry later (429 TooManyRequests, 500, 503).
    Transient(Failure),
    /// Fail now, keep the token (config errors alert).
    Fatal(Failure),
}

#[derive(Deserialize)]
struct Body {
    reason: Option<String>,
    timestamp: Option<u64>,
}

/// Classifies an APNs answer from its status and JSON body.
pub(crate) fn classify(status: u16, body: &[u8]) -> (Verdict, String) {
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    let reason = parsed
        .as_ref()
        .and_then(|b| b.reason.clone())
        .unwrap_or_default();
    let timestamp = parsed.as_ref().and_then(|b| b.timestamp);
    let verdict = match (status, reason.as_str()) {
        (200, _) => Verdict::Sent,
        (400, "BadDeviceToken") => Verdict::Dead { since: None },
        (410, _) => Verdict::Dead {
            since: timestamp.map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms)),
        },
        (403, "ExpiredProviderToken") => Verdict::ExpiredJwt,
        (429, "TooManyProviderTokenUpdates") => Verdict::TooManyTokenUpdates,
        (429, _) => Verdict::Transient(Failure::RateLimited),
        (500 | 502 | 503 | 504, _) => Verdict::Transient(Failure::Unavailable),
        // InvalidProviderToken, MissingProviderToken, BadCertificate, BadTopic,
        // TopicDisallowed, DeviceTokenNotForTopic (sandbox/production or topic mix-up:
        // a config error, so tokens are kept), BadPath, 405...
        (403, _)
        | (400, "BadTopic" | "MissingTopic" | "TopicDisallowed" | "DeviceTokenNotForTopic")
        | (404 | 405, _) => Verdict::Fatal(Failure::Config),
        // BadCollapseId, BadExpirationDate, PayloadTooLarge, ...: this request only.
        _ => Verdict::Fatal(Failure::Rejected),
    };
    (verdict, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(status: u16, body: &str) -> Verdict {
        classify(status, body.as_bytes()).0
    }

    #[test]
    fn table() {
        assert_eq!(v(200, ""), Verdict::Sent);
        assert_eq!(
            v(400, r#"{"reason":"BadDeviceToken"}"#),
            Verdict::Dead { since: None }
        );
        assert_eq!(
            v(
                410,
                r#"{"reason":"Unregistered","timestamp":1700000000123}"#
            ),
            Verdict::Dead {
                since: Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
            }
        );
        assert_eq!(
            v(403, r#"{"reason":"ExpiredProviderToken"}"#),
            Verdict::ExpiredJwt
        );
        assert_eq!(
            v(403, r#"{"reason":"InvalidProviderToken"}"#),
            Verdict::Fatal(Failure::Config)
        );
        assert_eq!(
            v(400, r#"{"reason":"BadTopic"}"#),
            Verdict::Fatal(Failure::Config)
        );
        assert_eq!(
            v(400, r#"{"reason":"BadCollapseId"}"#),
            Verdict::Fatal(Failure::Rejected)
        );
        assert_eq!(
            v(413, r#"{"reason":"PayloadTooLarge"}"#),
            Verdict::Fatal(Failure::Rejected)
        );
        assert_eq!(
            v(429, r#"{"reason":"TooManyProviderTokenUpdates"}"#),
            Verdict::TooManyTokenUpdates
        );
        assert_eq!(
            v(429, r#"{"reason":"TooManyRequests"}"#),
            Verdict::Transient(Failure::RateLimited)
        );
        assert_eq!(v(500, "{}"), Verdict::Transient(Failure::Unavailable));
        assert_eq!(v(503, "not json"), Verdict::Transient(Failure::Unavailable));
    }
}
