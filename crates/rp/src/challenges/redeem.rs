//! Redeeming an approval: once, by the session that started the challenge.

use super::{Redeemed, SessionHandle};
use crate::error::{Error, Result};
use crate::proof::{ProvenBy, SecondFactorProof};
use crate::store::{ChallengeState, Guess, Source};
use crate::Rp;

impl Rp {
    /// Turns the approved challenge started with `handle` into a login: returns the
    /// account, once. Fails with [`Error::NotRedeemable`] for any other handle (another
    /// session's challenge is not this one), a challenge that is not approved, or one
    /// already redeemed, or redeemed later than [`crate::PushPolicy::redeem_grace`]
    /// after the challenge's deadline; the `Approved → Redeemed` step is one
    /// conditional update. A redemption is a successful second factor: it resets the
    /// account's limiter.
    pub async fn redeem(&self, handle: &SessionHandle) -> Result<Redeemed> {
        let record = self
            .store
            .challenge_by_handle(&handle.hash())
            .await?
            .ok_or(Error::NotRedeemable)?;
        let now = self.clock.now();
        let deadline = record
            .challenge
            .expires_at
            .saturating_add(self.push_policy().redeem_grace);
        if record.state != ChallengeState::Approved
            || now >= deadline
            || !self
                .store
                .resolve_challenge(
                    &record.challenge.challenge_id,
                    ChallengeState::Approved,
                    ChallengeState::Redeemed,
                    now,
                )
                .await?
        {
            return Err(Error::NotRedeemable);
        }
        self.succeed(&record.account, Guess::PushEntry, Source::Unknown)
            .await?;
        tracing::info!(account = %record.account, challenge_id = %record.challenge.challenge_id, "approval redeemed");
        Ok(Redeemed {
            proof: SecondFactorProof::new(&record.account, now, ProvenBy::Approval),
            account: record.account,
            device_id: record.challenge.device_id,
            challenge_id: record.challenge.challenge_id,
        })
    }
}
