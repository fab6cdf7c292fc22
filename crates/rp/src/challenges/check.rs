//! Learning a challenge's outcome from the phone's signed answer, resolving it once.

use std::time::Duration;

use assent_protocol::{verify_answer, Outcome};

use super::{ChallengeStatus, SessionHandle};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::limiter;
use crate::store::{ChallengeRecord, ChallengeState, Guess};
use crate::Rp;

impl Rp {
    /// The challenge's status now, without waiting: [`Rp::poll_challenge`] with no wait.
    pub async fn check(&self, handle: &SessionHandle) -> Result<ChallengeStatus> {
        self.poll_challenge(handle, Duration::ZERO).await
    }

    /// The status of the challenge started with `handle`, waiting up to `wait` (capped at
    /// its deadline) for the phone's answer.
    ///
    /// The answer comes through the relay and is verified here with the pinned device key
    /// against the stored challenge; it counts only if it arrives strictly before
    /// `expires_at` by the RP's clock. The first valid answer resolves the challenge;
    /// later ones (a repeat, a high-S twin) find it resolved and change nothing. A wrong
    /// number or code is a denial charged to the account's limiter; a fraud report mutes
    /// pushes and delivers [`Event::FraudReported`]. An answer that does not verify gives
    /// [`Error::InvalidAnswer`] and leaves the challenge pending; a relay failure gives
    /// [`Error::Relay`], likewise.
    pub async fn poll_challenge(
        &self,
        handle: &SessionHandle,
        wait: Duration,
    ) -> Result<ChallengeStatus> {
        let setup = self.push_setup()?;
        let record = self
            .store
            .challenge_by_handle(&handle.hash())
            .await?
            .ok_or(Error::UnknownSession)?;
        if record.state != ChallengeState::Pending {
            return Ok(record.state.into());
        }
        let id = record.challenge.challenge_id;
        let now = self.clock.now();
        if now >= record.challenge.expires_at {
            return self.settle(&record, ChallengeState::Expired, now).await;
        }
        let wait = wait.min(Duration::from_secs(record.challenge.expires_at - now));
        let answer = setup.relay.answer(&id, wait).await?;
        // Arrival time, by the RP's clock.
        let now = self.clock.now();
        let Some(answer) = answer else {
            if now >= record.challenge.expires_at {
                return self.settle(&record, ChallengeState::Expired, now).await;
            }
            return Ok(ChallengeStatus::Pending);
        };
        let device = self
            .store
            .device(&record.challenge.device_id)
            .await?
            .ok_or(Error::UnknownDevice)?;
        let verified = match verify_answer(
            &device.device_pub,
            &setup.rp_id,
            &record.challenge,
            &answer,
            now,
        ) {
            Ok(v) => v,
            Err(assent_protocol::Error::Expired) => {
                return self.settle(&record, ChallengeState::Expired, now).await
            }
            Err(e) => {
                tracing::warn!(challenge_id = %id, error = %e, "relay returned an answer that does not verify");
                return Err(Error::InvalidAnswer(e));
            }
        };
        let outcome = verified.outcome(&record.expected);
        let to = match outcome {
            Outcome::Approved => ChallengeState::Approved,
            Outcome::Fraud => ChallengeState::Fraud,
            Outcome::Denied | Outcome::WrongEntry | Outcome::UserNotVerified => {
                ChallengeState::Denied
            }
        };
        if !self
            .store
            .resolve_challenge(&id, ChallengeState::Pending, to, now)
            .await?
        {
            return self.current_status(handle).await;
        }
        // Only the call that resolved the challenge gets here.
        match outcome {
            Outcome::WrongEntry => {
                limiter::charge(
                    &*self.store,
                    &self.limiter,
                    &record.account,
                    Guess::PushEntry,
                    now,
                )
                .await?;
                tracing::info!(account = %record.account, challenge_id = %id, "wrong number or code: denied");
            }
            Outcome::Fraud => {
                let muted_until = now.saturating_add(self.push_policy.mute_for);
                self.store.mute_pushes(&record.account, muted_until).await?;
                // Someone has the password: no browser skips the second step any more.
                self.revoke_all_trusted_browsers(&record.account).await?;
                tracing::warn!(account = %record.account, challenge_id = %id, "fraud reported; pushes muted");
                self.events.deliver(&Event::FraudReported {
                    account: record.account.clone(),
                    device_id: record.challenge.device_id,
                    challenge_id: id,
                    at: now,
                    muted_until,
                });
            }
            _ => {}
        }
        Ok(to.into())
    }

    /// Moves a pending challenge to `to`; reports the stored state if another call won.
    async fn settle(
        &self,
        record: &ChallengeRecord,
        to: ChallengeState,
        now: u64,
    ) -> Result<ChallengeStatus> {
        let id = &record.challenge.challenge_id;
        if self
            .store
            .resolve_challenge(id, ChallengeState::Pending, to, now)
            .await?
        {
            return Ok(to.into());
        }
        Ok(self
            .store
            .challenge_by_handle(&record.handle_hash)
            .await?
            .map_or(ChallengeStatus::Expired, |r| r.state.into()))
    }

    async fn current_status(&self, handle: &SessionHandle) -> Result<ChallengeStatus> {
        Ok(self
            .store
            .challenge_by_handle(&handle.hash())
            .await?
            .ok_or(Error::UnknownSession)?
            .state
            .into())
    }
}
