//! The push seam. A provider wakes a phone with an opaque, random per-push id
//! and its per-push routing tag (which enrollment of the phone it is for, readable
//! only with that enrollment's device key) and nothing else; the phone then
//! fetches the sealed challenge itself from that enrollment's relay.
//! Delivery is best effort: phones can always poll.
//!
//! [`PollOnly`] is the zero-config provider; [`providers::Providers`] sends
//! through APNs, FCM and Web Push with the `assent-push-providers` crate, configured by
//! [`crate::config::push::PushSettings`], and counts into the relay's Prometheus
//! registry ([`metrics::PushProm`]).

pub mod metrics;
pub mod providers;

use assent_protocol::api::PushState;
use assent_protocol::PushPayload;
use async_trait::async_trait;

/// Where to send a push: the device's platform and its provider token.
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// Platform word from the registration (`ios`, `android`, ...).
    pub platform: String,
    /// Provider token; never logged.
    pub token: String,
    /// When the token was registered (relay time, Unix seconds): an APNs
    /// `Unregistered` older than this is about an earlier registration.
    pub registered_at: u64,
}

impl std::fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("platform", &self.platform)
            .field("token", &"<redacted>")
            .field("registered_at", &self.registered_at)
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

impl PushOutcome {
    /// The state recorded on the challenge and shown to the RP (`None` when
    /// nothing was tried).
    pub fn as_state(self) -> Option<PushState> {
        match self {
            Self::Sent => Some(PushState::Sent),
            Self::NotSent => None,
            Self::DeadToken => Some(PushState::DeadToken),
            Self::Failed => Some(PushState::Failed),
        }
    }
}

/// A push provider (APNs, FCM, ...).
#[async_trait]
pub trait PushProvider: Send + Sync + 'static {
    /// Short name for logs (e.g. `apns+fcm`, `poll-only`).
    fn name(&self) -> &'static str;
    /// Whether any push is delivered at all.
    fn enabled(&self) -> bool;
    /// The VAPID public key (base64url) Web Push subscriptions must use, when Web Push
    /// is on.
    fn vapid_public_key(&self) -> Option<&str> {
        None
    }
    /// Whether pushes to devices of `platform` go anywhere.
    fn serves(&self, platform: &str) -> bool {
        let _ = platform;
        self.enabled()
    }
    /// Wakes the phone at `target` with `payload` (the challenge's push id and its
    /// routing tag), trying (with retries) until `deadline` (relay time, Unix
    /// seconds) at most.
    async fn notify(
        &self,
        target: &PushTarget,
        payload: &PushPayload,
        deadline: u64,
    ) -> PushOutcome;
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

    async fn notify(
        &self,
        _target: &PushTarget,
        _payload: &PushPayload,
        _deadline: u64,
    ) -> PushOutcome {
        PushOutcome::NotSent
    }
}
