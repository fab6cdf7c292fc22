//! [`InProcessRelay`]: the RP library's [`RelayApi`] over this relay's own
//! exchange, for managed mode. Each call runs the same handler as the
//! matching `/v1/rp/...` route, with the managed tenant's identity, so the
//! tenant checks, limits, long-poll wake-ups and push fan-out are exactly
//! those of an end-to-end RP; nothing goes over the network.

use std::time::Duration;

use assent_protocol::{
    Answer, Challenge, ChallengeId, DeviceId, EnrollmentAnswer, EnrollmentId, PushId, Registration,
    UnenrollConfirmation, UnenrollRequest,
};
use assent_rp::{RelayApi, RelayError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::auth::RpAuth;
use crate::error::{AppError, ErrorCode};
use crate::extract::{Json, Path, Query, RawBody};
use crate::routes::rp::{challenges, devices, enrollments};
use crate::routes::wait::WaitQuery;
use crate::state::AppState;

/// The relay's RP API called in process for one managed tenant.
#[derive(Clone)]
pub struct InProcessRelay {
    state: AppState,
    auth: RpAuth,
}

impl std::fmt::Debug for InProcessRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessRelay")
            .field("tenant_id", &self.auth.tenant_id)
            .finish()
    }
}

impl InProcessRelay {
    /// The exchange of `state`, acting as `auth`'s tenant.
    pub fn new(state: AppState, auth: RpAuth) -> Self {
        Self { state, auth }
    }
}

fn rejected(err: AppError) -> RelayError {
    RelayError::refused(err.code())
}

fn unreadable(what: &str) -> RelayError {
    RelayError::Unavailable(format!("stored {what} unreadable"))
}

#[async_trait::async_trait]
impl RelayApi for InProcessRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        enrollments::announce(
            State(self.state.clone()),
            self.auth.clone(),
            Json(enrollments::Announce {
                eid: *eid,
                expires_at,
            }),
        )
        .await
        .map(|_| ())
        .map_err(rejected)
    }

    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        let record = self
            .state
            .store
            .enrollment(&eid.to_string())
            .await
            .map_err(|e| rejected(e.into()))?;
        match record {
            Some(r) if r.tenant_id == self.auth.tenant_id => r
                .registration
                .map(|text| {
                    Registration::from_json(text.as_bytes()).map_err(|_| unreadable("registration"))
                })
                .transpose(),
            _ => Err(RelayError::refused(ErrorCode::UnknownEnrollment)),
        }
    }

    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        // The library re-seals (fresh nonce) when asked again; the phone needs
        // only the first, which opens just the same.
        let existing = self
            .state
            .store
            .enrollment(&answer.eid.to_string())
            .await
            .map_err(|e| rejected(e.into()))?;
        if let Some(record) = existing {
            if record.tenant_id == self.auth.tenant_id
                && record.answer.is_some()
                && record.device_id.as_deref() == Some(answer.device_id.to_string().as_str())
            {
                return Ok(());
            }
        }
        enrollments::deliver(
            State(self.state.clone()),
            self.auth.clone(),
            Path(answer.eid.to_string()),
            RawBody(answer.to_json().into()),
        )
        .await
        .map(|_| ())
        .map_err(rejected)
    }

    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        let body = format!(
            "{{\"challenge\":{},\"push_id\":\"{push_id}\"}}",
            challenge.to_json()
        );
        challenges::create(
            State(self.state.clone()),
            self.auth.clone(),
            RawBody(body.into()),
        )
        .await
        .map(|_| ())
        .map_err(rejected)
    }

    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        let response = challenges::answer(
            State(self.state.clone()),
            self.auth.clone(),
            Path(challenge_id.to_string()),
            Query(WaitQuery {
                wait: Some(wait.as_secs()),
            }),
        )
        .await
        .map_err(rejected)?
        .into_response();
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .map_err(|_| unreadable("answer"))?;
        Answer::from_json(&body)
            .map(Some)
            .map_err(|_| unreadable("answer"))
    }

    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        devices::remove(
            State(self.state.clone()),
            self.auth.clone(),
            Path(device_id.to_string()),
        )
        .await
        .map(|_| ())
        .map_err(rejected)
    }

    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        let devices = self
            .state
            .store
            .unenroll_requests(&self.auth.tenant_id, 100)
            .await
            .map_err(|e| rejected(e.into()))?;
        devices
            .iter()
            .filter_map(|d| d.unenroll.as_deref())
            .map(|text| {
                UnenrollRequest::from_json(text.as_bytes()).map_err(|_| unreadable("request"))
            })
            .collect()
    }

    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        devices::unenrolled(
            State(self.state.clone()),
            self.auth.clone(),
            Path(confirmation.device_id.to_string()),
            RawBody(confirmation.to_json().into()),
        )
        .await
        .map(|_| ())
        .map_err(rejected)
    }
}
