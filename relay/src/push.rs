//! The push seam. A provider wakes a phone with an opaque, random per-push id
//! and nothing else; the phone then fetches the sealed challenge itself.
//! Delivery is best effort: phones can always poll.

use async_trait::async_trait;

/// Where to send a push: the device's platform and its provider token.
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// Platform word from the registration (`ios`, `android`, ...).
    pub platform: String,
    /// Provider token; never logged.
    pub token: String,
}

impl std::fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("platform", &self.platform)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// What happened to one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Handed to the provider.
    Sent,
    /// No provider configured for this target: the phone must poll.
    NotSent,
    /// The provider says the token is dead; stop using it.
    DeadToken,
    /// The provider failed; the phone can still poll.
    Failed,
}

/// A push provider (APNs, FCM, ...).
#[async_trait]
pub trait PushProvider: Send + Sync + 'static {
    /// Short name for logs.
    fn name(&self) -> &'static str;
    /// Whether any push is delivered at all.
    fn enabled(&self) -> bool;
    /// Wakes the phone at `target` for the challenge with `push_id`.
    async fn notify(&self, target: &PushTarget, push_id: &str) -> PushOutcome;
}

/// No push at all: phones poll.
#[derive(Debug, Default, Clone, Copy)]
pub struct PollOnly;

#[async_trait]
impl PushProvider for PollOnly {
    fn name(&self) -> &'static str {
        "poll-only"
    }

    fn enabled(&self) -> bool {
        false
    }

    async fn notify(&self, _target: &PushTarget, _push_id: &str) -> PushOutcome {
        PushOutcome::NotSent
    }
}
