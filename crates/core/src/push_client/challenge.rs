//! Challenges: fetched by the push id a notification carried, or polled;
//! checked and opened before anything is shown.
//!
//! A push is routed by its tag `r` ([`PushPayload::is_for`]): only the relay of
//! the push account whose device key the tag was made with is asked, so no other
//! relay learns the push id or when this phone logs in elsewhere.
//!
//! For each challenge: the account is found by device id; then, in order,
//! [`Error::AlreadySeen`] (ids are kept until they expire),
//! [`Error::Downgraded`] (kind below the account's pinned minimum),
//! [`Error::ChallengeExpired`] (by the phone's estimate of the RP's time) and
//! [`Error::ChallengeTampered`] (any header field or the body changed). Only
//! an opened challenge is recorded as seen and moves the TOTP display clock.

use std::net::IpAddr;

use assent_protocol::{api, ApprovalKind, Challenge, ChallengeId, Custody, PushPayload};
use serde::Deserialize;

use super::clock::{diff, CLOCK_SAMPLES};
use super::relay::ok_body;
use super::PushClient;
use crate::error::{Error, Result};
use crate::transport::Method;
use crate::vault::{AccountId, SeenChallenge};

/// Most challenge ids remembered at once (the earliest-expiring go first).
const MAX_SEEN: usize = 1024;

/// What the user must type on the phone to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    /// Nothing: YES / NO ([`ApprovalKind::Simple`]).
    Nothing,
    /// The 2-digit number (10–99) shown on the login page ([`ApprovalKind::Number`]).
    Number,
    /// The 6-digit code shown on the login page ([`ApprovalKind::Code`]).
    Code,
}

impl Entry {
    /// What `kind` asks the user to type.
    pub fn for_kind(kind: ApprovalKind) -> Self {
        match kind {
            ApprovalKind::Simple => Entry::Nothing,
            ApprovalKind::Number => Entry::Number,
            ApprovalKind::Code => Entry::Code,
        }
    }

    /// How many digits to type (0 for [`Entry::Nothing`]).
    pub fn digits(self) -> usize {
        match self {
            Entry::Nothing => 0,
            Entry::Number => 2,
            Entry::Code => 6,
        }
    }
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entry::Nothing => "no entry",
            Entry::Number => "the 2-digit number shown on the login page",
            Entry::Code => "the 6-digit code shown on the login page",
        })
    }
}

/// An authenticated challenge, ready to show. Pass it back to
/// [`PushClient::answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeView {
    /// The account asked.
    pub account_id: AccountId,
    /// Its display name.
    pub account_name: String,
    /// Its issuer.
    pub issuer: Option<String>,
    /// The challenge's id.
    pub challenge_id: ChallengeId,
    /// The browser or app that is logging in.
    pub client: String,
    /// The requester's IP address.
    pub ip: IpAddr,
    /// Its approximate place (may be empty).
    pub location: String,
    /// When the login was attempted (Unix seconds).
    pub login_time: u64,
    /// The approval kind.
    pub kind: ApprovalKind,
    /// What the user must type to approve.
    pub entry: Entry,
    /// The app must verify the user (biometric or PIN) before approving.
    pub user_verification: bool,
    /// Managed mode ([`Custody::Relay`]): the RP lets the relay hold its keys.
    pub custody: Custody,
    /// The RP's deadline (Unix seconds, RP time).
    pub expires_at: u64,
    /// Seconds left by the phone's estimate of the RP's time.
    pub seconds_left: u64,
    pub(crate) challenge: Challenge,
}

/// A challenge (or an account's poll) that was not shown, and why.
#[derive(Debug)]
pub struct Refused {
    /// The challenge, when one was received.
    pub challenge_id: Option<ChallengeId>,
    /// The account, when known.
    pub account_id: Option<AccountId>,
    /// Why: expired, tampered, downgraded, already seen, unknown device, or
    /// the relay could not be polled.
    pub error: Error,
}

/// The result of a poll: what to show and what was refused.
#[derive(Debug, Default)]
pub struct PendingChallenges {
    /// Authenticated challenges, not seen before.
    pub shown: Vec<ChallengeView>,
    /// Everything else.
    pub refused: Vec<Refused>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingList {
    challenges: Vec<Challenge>,
}

impl PushClient {
    /// Handles a push notification's payload (`{"p":"<push id>","r":"<tag>"}`):
    /// finds the push account the routing tag `r` was made for, fetches the
    /// challenge from that account's relay with a signed request and opens it.
    /// No other relay is asked. A tag that matches no account is
    /// [`Error::UnknownPush`], with no request at all; a payload without a tag
    /// (an older relay) is refused as [`Error::Protocol`]. If that relay does
    /// not know the push id: [`Error::ChallengeNotFound`].
    pub async fn handle_push(&mut self, payload_json: &[u8]) -> Result<ChallengeView> {
        let payload = PushPayload::from_json(payload_json).map_err(Error::Protocol)?;
        let path = api::challenge(&payload.p);
        // Every account's tag is computed and compared in constant time. Two
        // matches (a 72-bit tag collision) would both be asked, in vault order.
        let routed: Vec<_> = self
            .push_accounts()
            .into_iter()
            .filter(|(_, push)| push.can_approve() && payload.is_for(&push.device_pub))
            .collect();
        if routed.is_empty() {
            return Err(Error::UnknownPush);
        }
        let mut first_error = None;
        for (_, push) in routed {
            let reply = match self
                .call_signed(&push, Method::Get, &path, Vec::new())
                .await
            {
                Ok(reply) if reply.status == 404 => continue,
                Ok(reply) => reply,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let received = self.local_now();
            let challenge = Challenge::from_json(&ok_body(reply)?).map_err(Error::Protocol)?;
            return self.open_challenge(challenge, received, Reshow::Never);
        }
        Err(first_error.unwrap_or(Error::ChallengeNotFound))
    }

    /// Polls every push account's relay for pending challenges (the path of
    /// poll-only phones, a fallback when pushes are lost, and what the app
    /// calls when it opens). A challenge opened earlier but not yet answered
    /// is shown again (the app may have been killed before the user chose);
    /// one already answered is refused as [`Error::AlreadySeen`]. A push,
    /// unlike a poll, never re-shows a challenge (see [`Self::handle_push`]).
    /// Only a re-check of the same sealed challenge happens then: its id,
    /// header and body must still open under the channel key.
    pub async fn pending(&mut self) -> Result<PendingChallenges> {
        let mut out = PendingChallenges::default();
        // An account handed over to this phone waits for the RP's swap: the
        // relay does not know its key yet.
        let accounts = self
            .push_accounts()
            .into_iter()
            .filter(|(_, p)| p.can_approve());
        for (id, push) in accounts {
            let listed = match self.poll_one(&push).await {
                Ok(list) => list,
                Err(error) => {
                    out.refused.push(Refused {
                        challenge_id: None,
                        account_id: Some(id),
                        error,
                    });
                    continue;
                }
            };
            let received = self.local_now();
            for challenge in listed {
                let challenge_id = challenge.challenge_id;
                match self.open_challenge(challenge, received, Reshow::IfUnanswered) {
                    Ok(view) => out.shown.push(view),
                    Err(error) => out.refused.push(Refused {
                        challenge_id: Some(challenge_id),
                        account_id: Some(id.clone()),
                        error,
                    }),
                }
            }
        }
        Ok(out)
    }

    async fn poll_one(&mut self, push: &crate::vault::PushEnrollment) -> Result<Vec<Challenge>> {
        let reply = self
            .call_signed(push, Method::Get, api::CHALLENGES, Vec::new())
            .await?;
        let body = ok_body(reply)?;
        if body.len() > 64 * assent_protocol::MAX_MESSAGE_BYTES {
            return Err(Error::Protocol(assent_protocol::Error::TooLarge {
                field: "challenges",
                limit: 64 * assent_protocol::MAX_MESSAGE_BYTES,
            }));
        }
        let list: PendingList = serde_json::from_slice(&body)
            .map_err(|_| Error::Protocol(assent_protocol::Error::Malformed("challenge list")))?;
        Ok(list.challenges)
    }

    /// Checks and opens one challenge received at local time `received`.
    fn open_challenge(
        &mut self,
        challenge: Challenge,
        received: u64,
        reshow: Reshow,
    ) -> Result<ChallengeView> {
        let (account_id, name, issuer, push) = self
            .vault
            .accounts()
            .iter()
            .find_map(|a| match a.kind() {
                crate::vault::AccountKind::Push(p) if p.device_id == challenge.device_id => Some((
                    a.id().clone(),
                    a.name().to_owned(),
                    a.issuer().map(str::to_owned),
                    p.as_ref().clone(),
                )),
                _ => None,
            })
            .ok_or(Error::UnknownDevice)?;
        let seen = self
            .vault
            .data()
            .push
            .seen
            .iter()
            .find(|s| s.id == challenge.challenge_id)
            .copied();
        match (seen, reshow) {
            (Some(s), Reshow::IfUnanswered) if !s.answered => {}
            (Some(_), _) => return Err(Error::AlreadySeen),
            (None, _) => {}
        }
        let now = self.relay_now();
        let opened = challenge
            .open(
                &push.rp_id,
                &push.device_id,
                &push.channel_key,
                push.min_kind,
                now,
            )
            .map_err(challenge_error)?;
        if seen.is_none() {
            self.record_opened(&challenge, received)?;
        }
        Ok(ChallengeView {
            account_id,
            account_name: name,
            issuer,
            challenge_id: challenge.challenge_id,
            client: opened.context.client().to_owned(),
            ip: opened.context.ip(),
            location: opened.context.location().to_owned(),
            login_time: opened.context.time(),
            kind: opened.kind,
            entry: Entry::for_kind(opened.kind),
            user_verification: opened.uv,
            custody: push.custody,
            expires_at: opened.expires_at,
            seconds_left: opened.expires_at.saturating_sub(now),
            challenge,
        })
    }

    /// Remembers an opened challenge's id until it expires and takes its
    /// authenticated `created_at` as a TOTP clock sample, in one vault write.
    fn record_opened(&mut self, challenge: &Challenge, received: u64) -> Result<()> {
        // Forget an id only once it is expired by both clocks, so a relay
        // lying about its time cannot get an old challenge shown again.
        let horizon = self.local_now().min(self.relay_now());
        let mut samples = self.vault.data().push.clock_samples.clone();
        samples.push(diff(challenge.created_at, received));
        let excess = samples.len().saturating_sub(CLOCK_SAMPLES);
        samples.drain(..excess);
        let offset = self.totp_offset_from(&samples);
        let seen = SeenChallenge {
            id: challenge.challenge_id,
            expires_at: challenge.expires_at,
            answered: false,
        };
        self.vault.change(|data| {
            let list = &mut data.push.seen;
            list.retain(|s| s.expires_at >= horizon);
            list.push(seen);
            if list.len() > MAX_SEEN {
                list.sort_by_key(|s| s.expires_at);
                let excess = list.len() - MAX_SEEN;
                list.drain(..excess);
            }
            data.push.clock_samples = samples;
            data.totp_offset = offset;
            Ok(())
        })
    }
}

/// Whether an already-opened challenge may be shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reshow {
    /// Pushes: a push never re-alerts for a challenge already opened.
    Never,
    /// Polls: an opened, unanswered challenge is shown until answered.
    IfUnanswered,
}

impl PushClient {
    /// Marks an answered challenge so that it is never shown again.
    pub(crate) fn mark_answered(&mut self, id: &assent_protocol::ChallengeId) -> Result<()> {
        self.vault.change(|data| {
            for seen in data.push.seen.iter_mut().filter(|s| s.id == *id) {
                seen.answered = true;
            }
            Ok(())
        })
    }
}

fn challenge_error(e: assent_protocol::Error) -> Error {
    use assent_protocol::Error as P;
    match e {
        P::Expired => Error::ChallengeExpired,
        P::Tampered => Error::ChallengeTampered,
        P::Downgraded { kind, min } => Error::Downgraded { kind, min },
        P::WrongDevice => Error::UnknownDevice,
        other => Error::Protocol(other),
    }
}
