//! Push challenges: from a notification or a poll, shown, answered.

use std::sync::Arc;

use assent_core::protocol::{PushId, PushPayload, RouteTag};

use crate::assent::Assent;
use crate::clock::unix;
use crate::error::AssentError;
use crate::kinds::{ApprovalKind, Custody, Decision, Entry};

/// An authenticated login challenge, ready to show. Pass it back to
/// `answer`.
#[derive(uniffi::Object)]
pub struct Challenge {
    inner: assent_core::ChallengeView,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("id", &self.inner.challenge_id)
            .finish_non_exhaustive()
    }
}

/// What the approval prompt shows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChallengeInfo {
    /// The challenge's id.
    pub challenge_id: String,
    /// The account asked.
    pub account_id: String,
    /// Its display name.
    pub account_name: String,
    /// Its issuer.
    pub issuer: Option<String>,
    /// The browser or app that is logging in.
    pub client: String,
    /// The requester's IP address.
    pub ip: String,
    /// Its approximate place (may be empty).
    pub location: String,
    /// When the login was attempted (Unix seconds).
    pub login_time: i64,
    /// The approval kind.
    pub kind: ApprovalKind,
    /// What the user must type to approve.
    pub entry: Entry,
    /// How many digits that is (0, 2 or 6).
    pub entry_digits: u32,
    /// Verify the user (biometric or PIN) before approving.
    pub user_verification: bool,
    /// `Relay`: managed mode, the relay holds the server's keys.
    pub custody: Custody,
    /// The server's deadline (Unix seconds, server time).
    pub expires_at: i64,
    /// Seconds left, by the phone's estimate of the server's time.
    pub seconds_left: u32,
}

impl Challenge {
    pub(crate) fn from_view(inner: assent_core::ChallengeView) -> Self {
        Challenge { inner }
    }
}

#[uniffi::export]
impl Challenge {
    /// What to show.
    pub fn info(&self) -> ChallengeInfo {
        let v = &self.inner;
        let entry: Entry = v.entry.into();
        ChallengeInfo {
            challenge_id: v.challenge_id.to_string(),
            account_id: v.account_id.to_string(),
            account_name: v.account_name.clone(),
            issuer: v.issuer.clone(),
            client: v.client.clone(),
            ip: v.ip.to_string(),
            location: v.location.clone(),
            login_time: unix(v.login_time),
            kind: v.kind.into(),
            entry,
            entry_digits: u32::try_from(v.entry.digits()).unwrap_or(0),
            user_verification: v.user_verification,
            custody: v.custody.into(),
            expires_at: unix(v.expires_at),
            seconds_left: u32::try_from(v.seconds_left).unwrap_or(u32::MAX),
        }
    }
}

/// A challenge (or an account's poll) that was not shown, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefusedChallenge {
    /// The challenge, when one was received.
    pub challenge_id: Option<String>,
    /// The account, when known.
    pub account_id: Option<String>,
    /// Why: expired, tampered, downgraded, already answered, or the relay
    /// could not be polled.
    pub reason: String,
}

/// The result of `pending`: what to show and what was refused.
#[derive(Debug, uniffi::Record)]
pub struct PendingChallenges {
    /// Authenticated challenges to show (including ones shown before but
    /// not answered).
    pub shown: Vec<Arc<Challenge>>,
    /// Everything else, for diagnostics.
    pub refused: Vec<RefusedChallenge>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Assent {
    /// Handles a push notification: `push_id` and `route_tag` are the
    /// notification's `p` and `r` values (APNs `userInfo["p"]` and
    /// `userInfo["r"]`, FCM `data["p"]` and `data["r"]`). The tag names the
    /// account the push is for: only that account's relay is asked for the
    /// challenge, which is authenticated before it is returned. A tag that
    /// matches no account is `ChallengeUnavailable`, and nothing is sent.
    pub async fn handle_push(
        &self,
        push_id: String,
        route_tag: String,
    ) -> Result<Arc<Challenge>, AssentError> {
        let p = PushId::parse(&push_id)
            .map_err(|_| AssentError::invalid("not a push id (22 base64url characters)"))?;
        let r = RouteTag::parse(&route_tag)
            .map_err(|_| AssentError::invalid("not a routing tag (12 base64url characters)"))?;
        let payload = PushPayload { p, r }.to_json();
        let view = self.lock().await.handle_push(payload.as_bytes()).await?;
        Ok(Arc::new(Challenge { inner: view }))
    }

    /// Polls every push account's relay for pending challenges: what
    /// poll-only phones do, and what the app calls when it opens (pushes
    /// can be lost).
    pub async fn pending(&self) -> Result<PendingChallenges, AssentError> {
        let pending = self.lock().await.pending().await?;
        Ok(PendingChallenges {
            shown: pending
                .shown
                .into_iter()
                .map(|inner| Arc::new(Challenge { inner }))
                .collect(),
            refused: pending
                .refused
                .into_iter()
                .map(|r| RefusedChallenge {
                    challenge_id: r.challenge_id.map(|id| id.to_string()),
                    account_id: r.account_id.map(|id| id.to_string()),
                    reason: AssentError::from(r.error).to_string(),
                })
                .collect(),
        })
    }

    /// Answers a challenge. `entered` is what the user typed (the 2-digit
    /// number or 6-digit code; empty for YES / NO and allowed empty for a
    /// refusal). `uv_done`: the app verified the user (biometric or PIN)
    /// just now; required to approve when the challenge says
    /// `user_verification`.
    pub async fn answer(
        &self,
        challenge: Arc<Challenge>,
        decision: Decision,
        entered: String,
        uv_done: bool,
    ) -> Result<(), AssentError> {
        Ok(self
            .lock()
            .await
            .answer(&challenge.inner, decision.into(), &entered, uv_done)
            .await?)
    }
}
