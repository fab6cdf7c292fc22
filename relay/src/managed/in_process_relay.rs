//! [`InProcessRelay`]: the RP library's [`RelayApi`] over this relay's own
//! [`Exchange`], for managed mode. Each call is the exchange function the matching
//! `/v1/rp/...` route calls, with the managed tenant's identity, so the tenant checks,
//! limits, long-poll wake-ups and push fan-out are exactly those of an end-to-end RP;
//! nothing goes over the network or through an HTTP handler.

use std::time::Duration;

use assent_protocol::api::{Announce, CreateChallenge, ErrorCode};
use assent_protocol::{
    Answer, Challenge, ChallengeId, DeviceId, EnrollmentAnswer, EnrollmentId, PushId, Registration,
    UnenrollConfirmation, UnenrollRequest,
};
use assent_rp::{RelayApi, RelayError};

use crate::error::AppError;
use crate::exchange::Exchange;

/// The relay's RP API called in process for one managed tenant.
#[derive(Clone)]
pub struct InProcessRelay {
    exchange: Exchange,
    tenant_id: String,
}

impl std::fmt::Debug for InProcessRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessRelay")
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

impl InProcessRelay {
    /// `exchange`, acting as the tenant `tenant_id`.
    pub fn new(exchange: Exchange, tenant_id: String) -> Self {
        Self {
            exchange,
            tenant_id,
        }
    }
}

/// The refusal an RP over HTTP would have read.
fn refused(err: AppError) -> RelayError {
    RelayError::refused(err.code())
}

#[async_trait::async_trait]
impl RelayApi for InProcessRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        let body = Announce {
            eid: *eid,
            expires_at,
        };
        self.exchange
            .announce(&self.tenant_id, &body)
            .await
            .map(drop)
            .map_err(refused)
    }

    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        let text = self
            .exchange
            .registration(&self.tenant_id, &eid.to_string(), None)
            .await
            .map_err(refused)?;
        text.map(|text| {
            Registration::from_json(text.as_bytes())
                .map_err(|_| RelayError::Unavailable("stored registration unreadable".into()))
        })
        .transpose()
    }

    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        // The library re-seals (fresh nonce) when asked again; the phone needs
        // only the first, which opens just the same.
        let device_id = answer.device_id.to_string();
        if self
            .exchange
            .answer_delivered(&self.tenant_id, &answer.eid, &device_id)
            .await
            .map_err(refused)?
        {
            return Ok(());
        }
        self.exchange
            .deliver(&self.tenant_id, &answer.eid.to_string(), answer)
            .await
            .map(drop)
            .map_err(refused)
    }

    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        let body = CreateChallenge {
            challenge: challenge.clone(),
            push_id: *push_id,
        };
        self.exchange
            .create_challenge(&self.tenant_id, body)
            .await
            .map(drop)
            .map_err(refused)
    }

    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        self.exchange
            .read_answer(
                &self.tenant_id,
                &challenge_id.to_string(),
                Some(wait.as_secs()),
            )
            .await
            .map(|read| read.answer)
            .map_err(refused)
    }

    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        self.exchange
            .remove_device(&self.tenant_id, &device_id.to_string(), None)
            .await
            .map(drop)
            .map_err(refused)
    }

    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        self.exchange
            .unenroll_requests(&self.tenant_id)
            .await
            .map(|list| list.requests)
            .map_err(|err| match err.code() {
                ErrorCode::Internal => RelayError::Unavailable("stored request unreadable".into()),
                _ => refused(err),
            })
    }

    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        self.exchange
            .remove_device(
                &self.tenant_id,
                &confirmation.device_id.to_string(),
                Some(confirmation),
            )
            .await
            .map(drop)
            .map_err(refused)
    }

    // TODO(handover, relay work in progress): call the exchange once it stores
    // handover requests.
    async fn handover_requests(
        &self,
    ) -> Result<Vec<assent_protocol::handover::HandoverRequest>, RelayError> {
        Err(RelayError::Unavailable("handover not built yet".into()))
    }

    async fn confirm_handover(
        &self,
        _confirmation: &assent_protocol::handover::HandoverConfirmation,
    ) -> Result<(), RelayError> {
        Err(RelayError::Unavailable("handover not built yet".into()))
    }
}
