//! What happened to one push.

/// Which provider a push went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Apple Push Notification service.
    Apns,
    /// Firebase Cloud Messaging HTTP v1.
    Fcm,
    /// Web Push (RFC 8030) to a UnifiedPush distributor's endpoint.
    WebPush,
}

impl ProviderKind {
    /// Lowercase label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Apns => "apns",
            ProviderKind::Fcm => "fcm",
            ProviderKind::WebPush => "webpush",
        }
    }
}

/// The end result of one push (after any retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider accepted the push.
    Sent,
    /// Not sent: no credentials for the platform, or no token. The phone polls.
    PollOnly,
    /// The provider says the token is dead (APNs 400 BadDeviceToken, 410
    /// Unregistered; FCM UNREGISTERED, invalid token). Stop using it; the phone polls.
    DeadToken,
    /// Not delivered; the token is kept and the phone can still poll.
    Failed(Failure),
}

/// Why a push was not delivered. The token stays valid for all of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// Our credentials or configuration are wrong (APNs InvalidProviderToken,
    /// BadTopic, ...; FCM 401/403, OAuth `invalid_grant`). Failed fast and alerted.
    Config,
    /// APNs 429 TooManyProviderTokenUpdates: the JWT changed too often; re-signing stops.
    TokenUpdatesThrottled,
    /// The provider refused this one request (bad payload, bad expiry, ...): not retried.
    Rejected,
    /// APNs 410 for a token that was registered again after the provider's timestamp:
    /// the token is kept.
    StaleUnregistered,
    /// Rate limited (429 / QUOTA_EXCEEDED) until the retries ran out or the deadline came.
    RateLimited,
    /// Provider 5xx until the retries ran out or the deadline came.
    Unavailable,
    /// Connection or protocol errors until the retries ran out or the deadline came.
    Connection,
    /// The challenge's deadline passed before the push could go out.
    DeadlinePassed,
    /// The concurrency limit for this provider was reached: failed fast.
    Saturated,
}

impl Failure {
    /// Label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Config => "config",
            Failure::TokenUpdatesThrottled => "token_updates_throttled",
            Failure::Rejected => "rejected",
            Failure::StaleUnregistered => "stale_unregistered",
            Failure::RateLimited => "rate_limited",
            Failure::Unavailable => "unavailable",
            Failure::Connection => "connection",
            Failure::DeadlinePassed => "deadline_passed",
            Failure::Saturated => "saturated",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Failure::Config => "push provider configuration error (credentials, topic or project)",
            Failure::TokenUpdatesThrottled => "APNs refused: provider token updated too often",
            Failure::Rejected => "push provider rejected the request",
            Failure::StaleUnregistered => "APNs unregistered an older registration of this token",
            Failure::RateLimited => "push provider rate limit",
            Failure::Unavailable => "push provider unavailable",
            Failure::Connection => "push provider unreachable",
            Failure::DeadlinePassed => "challenge deadline passed before the push went out",
            Failure::Saturated => "push concurrency limit reached for this provider",
        };
        f.write_str(text)
    }
}
