//! Challenges: the RP creates one for its device (sealed context of the fixed size, the
//! lifetime capped by the relay's own clock, the per-device window and pending limit),
//! the phone is pushed a random push id or polls, fetches the challenge and answers it
//! (exactly once), and the RP reads the signed answer with a long-poll. The relay never
//! gives a verdict: the RP verifies the answer.

use assent_protocol::api::{
    AnswerReceipt, AnswerState, ChallengeCreated, CreateChallenge, PendingList, PushRoute,
    PushState,
};
use assent_protocol::{
    Answer, Challenge, ChallengeId, DevicePublicKey, PushId, PushPayload, SEALED_CONTEXT_LEN,
};

use super::{to_u64, Exchange};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::metrics::ChallengeOutcome;
use crate::notify::{PushOutcome, PushTarget};
use crate::rate::ChallengeWindow;
use crate::store::{
    db_time, Admission, AnswerOutcome, ChallengeRecord, ChallengeState, CreateOutcome,
    DeviceRecord, StoreError,
};
use crate::waiters::{keys, Owner};

/// The RP's read of a challenge: the phone's signed answer once there is one, and
/// otherwise what became of its push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRead {
    /// The answer exactly as the phone signed it.
    pub answer: Option<Answer>,
    /// What happened to the push (`None` while in flight or when none was tried).
    pub push: Option<PushState>,
}

/// The answer for a device that does not exist or is another tenant's.
pub(crate) fn unknown_device() -> AppError {
    AppError::new(ErrorCode::UnknownDevice, "no such device for this tenant")
}

fn unknown_challenge() -> AppError {
    AppError::new(
        ErrorCode::UnknownChallenge,
        "no such challenge for this tenant",
    )
}

fn unknown_device_challenge() -> AppError {
    AppError::new(
        ErrorCode::UnknownChallenge,
        "no such challenge for this device",
    )
}

fn stored_challenge(record: &ChallengeRecord) -> AppResult<Challenge> {
    Challenge::from_json(record.challenge.as_bytes())
        .map_err(|e| AppError::internal(format!("stored challenge unreadable: {e}")))
}

fn stored_answer(record: &ChallengeRecord) -> AppResult<Option<Answer>> {
    record
        .answer
        .as_deref()
        .map(|text| {
            Answer::from_json(text.as_bytes())
                .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))
        })
        .transpose()
}

fn same_answer(a: &Answer, b: &Answer) -> bool {
    a.device_id == b.device_id
        && a.challenge_id == b.challenge_id
        && a.decision == b.decision
        && a.entered == b.entered
        && a.uv_done == b.uv_done
}

impl Exchange {
    /// The RP hands a challenge to the relay for its device. Refused unless the sealed
    /// context has the fixed size, the device is the tenant's, the device's window
    /// (`device_challenge_limit` per `device_challenge_window_secs`) and pending limit
    /// (`max_pending_per_device`) allow one more, and the ids are fresh. The lifetime is
    /// the RP's, capped at `max_challenge_ttl_secs` and counted on the relay's clock.
    /// The phone is woken (long-poll) and pushed if it has a token for a served platform.
    pub async fn create_challenge(
        &self,
        tenant_id: &str,
        body: CreateChallenge,
    ) -> AppResult<ChallengeCreated> {
        let CreateChallenge { challenge, push_id } = body;
        if challenge.created_at >= challenge.expires_at {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "expires_at must be after created_at",
            ));
        }
        if challenge.sealed.len() != SEALED_CONTEXT_LEN {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                format!("sealed must be exactly {SEALED_CONTEXT_LEN} bytes"),
            ));
        }
        let device_id = challenge.device_id.to_string();
        // Known id first (cheap, usually cached); the store checks the tenant
        // again atomically with the insert.
        let device = match self.store.device(&device_id).await? {
            Some(device) if device.tenant_id == tenant_id => device,
            _ => return Err(unknown_device()),
        };
        let limits = &self.config.limits;
        let now = self.clock.now();
        let ttl = (challenge.expires_at - challenge.created_at).min(limits.max_challenge_ttl_secs);
        let expires_at = now.saturating_add(ttl);
        let record = ChallengeRecord {
            challenge_id: challenge.challenge_id.to_string(),
            push_id: push_id.to_string(),
            tenant_id: tenant_id.to_owned(),
            device_id: device_id.clone(),
            challenge: challenge.to_json(),
            created_at: db_time(now),
            expires_at: db_time(expires_at),
            state: ChallengeState::Pending,
            answer: None,
            answered_at: None,
        };
        let admission = Admission {
            max_pending: limits.max_pending_per_device,
            window: ChallengeWindow {
                limit: limits.device_challenge_limit,
                secs: limits.device_challenge_window_secs,
            },
        };
        match self.store.create_challenge(&record, admission).await {
            Ok(CreateOutcome::Created) => {}
            Ok(CreateOutcome::UnknownDevice) => return Err(unknown_device()),
            Ok(CreateOutcome::TooManyPending) => {
                return Err(AppError::new(
                    ErrorCode::LimitExceeded,
                    "too many pending challenges for this device",
                ))
            }
            Ok(CreateOutcome::WindowUsed) => {
                return Err(AppError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "too many challenges for this device: at most {} per {} s",
                        limits.device_challenge_limit, limits.device_challenge_window_secs
                    ),
                ))
            }
            Err(StoreError::Conflict) => {
                return Err(AppError::new(
                    ErrorCode::AlreadyExists,
                    "this challenge id or push id was already used",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.metrics.challenge(ChallengeOutcome::Created);
        self.waiters.wake(&keys::device(&device_id));
        let push = if !device.push_token.is_empty() && self.push.serves(&device.platform) {
            self.spawn_push(device, record.challenge_id.clone(), push_id, expires_at);
            PushRoute::Queued
        } else {
            PushRoute::Poll
        };
        Ok(ChallengeCreated {
            challenge_id: challenge.challenge_id,
            push_id,
            expires_at,
            push,
        })
    }

    /// Sends the push in its own task: a slow or failing provider never delays
    /// the RP's request or another push. The payload carries the push id and its
    /// routing tag for the device's key, so that the phone asks this relay and no
    /// other. A dead token is dropped from the device (it polls from then on); the
    /// outcome is recorded on the challenge.
    fn spawn_push(
        &self,
        device: DeviceRecord,
        challenge_id: String,
        push_id: PushId,
        deadline: u64,
    ) {
        let exchange = self.clone();
        tokio::spawn(async move {
            let registered_at = to_u64(device.push_token_at.unwrap_or(device.created_at));
            let target = PushTarget {
                platform: device.platform,
                token: device.push_token,
                registered_at,
            };
            let outcome = match DevicePublicKey::from_sec1(&device.device_pub) {
                Ok(key) => {
                    let payload = PushPayload::derive(push_id, &key);
                    exchange.push.notify(&target, &payload, deadline).await
                }
                Err(e) => {
                    // Checked at registration: only a damaged store gets here.
                    tracing::error!(error = %e, "stored device key unreadable: no push");
                    PushOutcome::Failed
                }
            };
            tracing::debug!(provider = exchange.push.name(), ?outcome, "push");
            if outcome == PushOutcome::DeadToken {
                match exchange
                    .store
                    .drop_push_token(&device.device_id, &target.token)
                    .await
                {
                    Ok(_) => tracing::info!(
                        platform = %target.platform,
                        "push token reported dead by the provider: the device polls until it sends a new one"
                    ),
                    Err(e) => tracing::warn!(error = %e, "cannot drop a dead push token"),
                }
            }
            if let Some(state) = outcome.as_state() {
                if let Err(e) = exchange
                    .store
                    .set_challenge_push(&challenge_id, state.as_str())
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a push outcome");
                }
            }
        });
    }

    async fn owned_challenge(&self, tenant_id: &str, id: &str) -> AppResult<ChallengeRecord> {
        ChallengeId::parse(id).map_err(|_| unknown_challenge())?;
        match self.store.challenge(id).await? {
            Some(record) if record.tenant_id == tenant_id => Ok(record),
            _ => Err(unknown_challenge()),
        }
    }

    /// The phone's signed answer to the tenant's challenge, waiting up to `wait`
    /// seconds for it (woken at once when it arrives; never past the challenge's
    /// expiry by the relay's clock).
    pub async fn read_answer(
        &self,
        tenant_id: &str,
        challenge_id: &str,
        wait: Option<u64>,
    ) -> AppResult<AnswerRead> {
        let mut record = self.owned_challenge(tenant_id, challenge_id).await?;
        let timeout = self.wait_for(wait, Some(to_u64(record.expires_at)));
        if record.state == ChallengeState::Pending && !timeout.is_zero() {
            let _slot = self.long_poll_slot(Owner::Tenant(tenant_id))?;
            let store = self.store.clone();
            let id = challenge_id.to_owned();
            self.waiters
                .wait(&keys::challenge(challenge_id), timeout, || async {
                    Ok::<_, StoreError>(
                        store
                            .challenge(&id)
                            .await?
                            .is_some_and(|c| c.state == ChallengeState::Answered),
                    )
                })
                .await?;
            record = self.owned_challenge(tenant_id, challenge_id).await?;
        }
        let answer = stored_answer(&record)?;
        let push = if answer.is_none() {
            // Why the phone may not have seen it: the push's outcome.
            match self.store.challenge_push(challenge_id).await {
                Ok(word) => word.as_deref().and_then(PushState::from_wire),
                Err(_) => None,
            }
        } else {
            None
        };
        Ok(AnswerRead { answer, push })
    }

    /// The device's pending challenges (poll mode), waiting up to `wait` seconds for one.
    pub async fn pending_challenges(
        &self,
        device: &DeviceRecord,
        wait: Option<u64>,
    ) -> AppResult<PendingList> {
        let timeout = self.wait_for(wait, None);
        if !timeout.is_zero() {
            let _slot = self.long_poll_slot(Owner::Device(&device.device_id))?;
            let store = self.store.clone();
            let id = device.device_id.clone();
            let now = db_time(self.clock.now());
            self.waiters
                .wait(&keys::device(&device.device_id), timeout, || async {
                    Ok::<_, StoreError>(store.count_pending(&id, now).await? > 0)
                })
                .await?;
        }
        let records = self
            .store
            .pending_challenges(&device.device_id, db_time(self.clock.now()))
            .await?;
        let challenges = records
            .iter()
            .map(stored_challenge)
            .collect::<AppResult<Vec<_>>>()?;
        Ok(PendingList { challenges })
    }

    /// Refuses a push id that is not well-formed (before any signature check).
    pub fn check_push_id(&self, push_id: &str) -> AppResult<()> {
        PushId::parse(push_id)
            .map(drop)
            .map_err(|_| unknown_device_challenge())
    }

    /// One of the device's challenges by the push id a notification carried (a
    /// malformed id is simply not found; [`Exchange::check_push_id`] refuses it earlier).
    pub async fn challenge_by_push_id(
        &self,
        device: &DeviceRecord,
        push_id: &str,
    ) -> AppResult<Challenge> {
        match self.store.challenge_by_push_id(push_id).await? {
            Some(record) if record.device_id == device.device_id => stored_challenge(&record),
            _ => Err(unknown_device_challenge()),
        }
    }

    /// The device answers one of its challenges: stored only while it is pending and
    /// unexpired, exactly once; the same answer again returns the first result, a
    /// different one is refused (`not_pending`). Wakes the RP's long-poll.
    pub async fn answer_challenge(
        &self,
        device: &DeviceRecord,
        answer: &Answer,
    ) -> AppResult<AnswerReceipt> {
        if answer.device_id.to_string() != device.device_id {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "answer names another device than the request",
            ));
        }
        let challenge_id = answer.challenge_id.to_string();
        let now = self.clock.now();
        let outcome = self
            .store
            .answer_challenge(
                &device.device_id,
                &challenge_id,
                &answer.to_json(),
                db_time(now),
            )
            .await?;
        match outcome {
            AnswerOutcome::Stored => {
                self.metrics.challenge(ChallengeOutcome::Answered);
                self.waiters.wake(&keys::challenge(&challenge_id));
                self.events
                    .answer_received(&device.tenant_id, &challenge_id)
                    .await;
            }
            AnswerOutcome::AlreadyAnswered(first) => {
                let first = Answer::from_json(first.as_bytes())
                    .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))?;
                if !same_answer(&first, answer) {
                    return Err(AppError::new(
                        ErrorCode::NotPending,
                        "the challenge was already answered differently",
                    ));
                }
            }
            AnswerOutcome::Expired => {
                return Err(AppError::new(ErrorCode::Expired, "the challenge expired"))
            }
            AnswerOutcome::Unknown => return Err(unknown_device_challenge()),
        }
        Ok(AnswerReceipt {
            state: AnswerState::Answered,
        })
    }
}
