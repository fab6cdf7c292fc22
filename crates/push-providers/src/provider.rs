//! The provider seam: one push to one device token.

use std::time::SystemTime;

use async_trait::async_trait;

use crate::outcome::{Outcome, ProviderKind};
use crate::secret::DeviceToken;
use crate::PushPayload;

/// Where one push goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The provider token (never logged).
    pub token: DeviceToken,
    /// When the relay stored this token, if known. An APNs 410 whose timestamp is
    /// older than this is about an earlier registration: the token is kept.
    pub registered_at: Option<SystemTime>,
}

impl PushTarget {
    /// A target with no registration time.
    pub fn new(token: DeviceToken) -> Self {
        PushTarget {
            token,
            registered_at: None,
        }
    }
}

/// A push provider client (APNs, FCM). Retries transient errors itself, never past
/// `deadline`; returns the final outcome.
#[async_trait]
pub trait PushProvider: Send + Sync + 'static {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// Wakes the phone behind `target` with `payload` (the per-push id and its routing
    /// tag); the push is useless after `deadline` (the challenge's expiry).
    async fn send(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome;
}
