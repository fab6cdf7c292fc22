//! Starting a challenge: device and kind, limits, sealing, sending.

use std::time::Duration;

use assent_protocol::{Challenge, ChallengeParams, LoginContext, PushId};
use rand_core::CryptoRng;

use super::display::draw_display;
use super::{SessionHandle, StartedChallenge};
use crate::error::{Error, Result};
use crate::push_policy::AccountPolicy;
use crate::store::{
    ChallengeAdmission, ChallengeLimits, ChallengeRecord, ChallengeState, DeviceRecord,
    DeviceState, Guess,
};
use crate::Rp;

impl Rp {
    /// Sets the account's approval policy. `simple` is refused unless the RP's policy
    /// allows it ([`Error::KindNotAllowed`]).
    pub async fn set_account_policy(&self, account: &str, policy: AccountPolicy) -> Result<()> {
        self.push_policy.check_kind(policy.kind)?;
        self.store.set_account_policy(account, &policy).await
    }

    /// The account's approval policy (default: `number`, no user verification).
    pub async fn account_policy(&self, account: &str) -> Result<AccountPolicy> {
        Ok(self
            .store
            .account_policy(account)
            .await?
            .unwrap_or_default())
    }

    /// Starts a push challenge for a login of `account` from `context`.
    ///
    /// Errors: [`Error::NoActiveDevice`]; [`Error::Throttled`] while the account's
    /// limiter throttles (nothing is charged); [`Error::Muted`] after a fraud report;
    /// [`Error::ChallengePending`] / [`Error::TooManyChallenges`] for the anti-bombing
    /// limits (checked and stored in one atomic step); [`Error::KindNotAllowed`] if the
    /// account's kind is no longer allowed; a relay error (the challenge is then
    /// cancelled, so it does not count as pending).
    pub async fn start_challenge<R: CryptoRng>(
        &self,
        account: &str,
        context: &LoginContext,
        rng: &mut R,
    ) -> Result<StartedChallenge> {
        let setup = self.push_setup()?;
        let now = self.clock.now();
        // Only wrong entries on the phone hold up a push; guesses at the other kinds do not.
        let limiter = self
            .store
            .limiter(account, &Guess::PushEntry.into())
            .await?;
        if now < limiter.next_allowed {
            return Err(Error::Throttled {
                retry_after: Duration::from_secs(limiter.next_allowed - now),
            });
        }
        let device = self.active_device(account).await?;
        let policy = self.account_policy(account).await?;
        self.push_policy.check_kind(policy.kind)?;
        let kind = policy.kind.max(device.min);
        let uv = policy.uv || device.uv;
        let challenge = Challenge::make(
            &setup.rp_id,
            &device.channel_key,
            &ChallengeParams {
                device_id: device.device_id,
                kind,
                uv,
                created_at: now,
                ttl: self.push_policy.challenge_ttl,
            },
            context,
            rng,
        )?;
        let push_id = PushId::make(rng);
        let display = draw_display(rng, kind);
        let handle = SessionHandle::make(rng);
        let record = ChallengeRecord {
            challenge,
            account: account.to_owned(),
            push_id,
            expected: display.clone(),
            handle_hash: handle.hash(),
            state: ChallengeState::Pending,
            resolved_at: None,
        };
        let limits = ChallengeLimits {
            max_pending: self.push_policy.max_pending,
            window: self.push_policy.window,
            max_per_window: self.push_policy.max_per_window,
        };
        let wait = |until: u64| Duration::from_secs(until.saturating_sub(now));
        match self.store.insert_challenge(&record, &limits, now).await? {
            ChallengeAdmission::Inserted => {}
            ChallengeAdmission::Muted { until } => {
                return Err(Error::Muted {
                    retry_after: wait(until),
                })
            }
            ChallengeAdmission::PendingExists => return Err(Error::ChallengePending),
            ChallengeAdmission::WindowFull { until } => {
                return Err(Error::TooManyChallenges {
                    retry_after: wait(until),
                })
            }
        }
        let challenge = record.challenge;
        if let Err(e) = setup.relay.create_challenge(&challenge, &push_id).await {
            self.store
                .resolve_challenge(
                    &challenge.challenge_id,
                    ChallengeState::Pending,
                    ChallengeState::Cancelled,
                    self.clock.now(),
                )
                .await?;
            return Err(e.into());
        }
        tracing::info!(account, challenge_id = %challenge.challenge_id, kind = kind.as_str(), "challenge started");
        Ok(StartedChallenge {
            handle,
            challenge_id: challenge.challenge_id,
            device_id: device.device_id,
            device_name: device.name,
            kind,
            display,
            expires_at: challenge.expires_at,
        })
    }

    /// The account's most recently activated phone.
    async fn active_device(&self, account: &str) -> Result<DeviceRecord> {
        self.store
            .devices(account)
            .await?
            .into_iter()
            .filter(|d| d.state == DeviceState::Active)
            .max_by_key(|d| d.activated_at)
            .ok_or(Error::NoActiveDevice)
    }
}
