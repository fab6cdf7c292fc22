//! Push service answers → what to do (RFC 8030 §5–8, RFC 8292 §4.1).

use crate::outcome::Failure;

/// What one push service answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 201 Created (200/202 accepted too).
    Sent,
    /// 404 Not Found / 410 Gone: the subscription has expired; drop it, the phone polls.
    Dead,
    /// 429 and 5xx: retry with backoff, honouring `Retry-After`.
    Transient(Failure),
    /// Fail now, keep the endpoint (401/403: our VAPID key is refused, an alert).
    Fatal(Failure),
}

/// Classifies a push service's HTTP status.
pub(crate) fn classify(status: u16) -> Verdict {
    match status {
        200..=202 => Verdict::Sent,
        404 | 410 => Verdict::Dead,
        429 => Verdict::Transient(Failure::RateLimited),
        500..=599 => Verdict::Transient(Failure::Unavailable),
        401 | 403 => Verdict::Fatal(Failure::Config),
        // 400 and 413 (our body has one fixed size far below 4096 bytes, so a 413 means
        // a broken push service) and anything else: this request failed.
        _ => Verdict::Fatal(Failure::Rejected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(classify(201), Verdict::Sent);
        assert_eq!(classify(202), Verdict::Sent);
        assert_eq!(classify(404), Verdict::Dead);
        assert_eq!(classify(410), Verdict::Dead);
        assert_eq!(classify(429), Verdict::Transient(Failure::RateLimited));
        assert_eq!(classify(500), Verdict::Transient(Failure::Unavailable));
        assert_eq!(classify(503), Verdict::Transient(Failure::Unavailable));
        assert_eq!(classify(401), Verdict::Fatal(Failure::Config));
        assert_eq!(classify(403), Verdict::Fatal(Failure::Config));
        assert_eq!(classify(413), Verdict::Fatal(Failure::Rejected));
        assert_eq!(classify(400), Verdict::Fatal(Failure::Rejected));
        assert_eq!(classify(301), Verdict::Fatal(Failure::Rejected));
    }
}
