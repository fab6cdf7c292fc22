//! Challenges: create (with a random per-push id) and read the signed answer
//! with long-poll. The relay returns the phone's signed answer, never a
//! verdict.

use assent_protocol::{
    Answer, Challenge, ChallengeId, PushId, MAX_MESSAGE_BYTES, SEALED_CONTEXT_LEN,
};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{parse_json, Json, Path, Query, RawBody};
use crate::metrics::ChallengeOutcome;
use crate::push::PushTarget;
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::{db_time, ChallengeRecord, ChallengeState, StoreError};
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::POST, "/v1/rp/challenges", create).at(
        Method::GET,
        "/v1/rp/challenges/{challenge_id}/answer",
        answer,
    )
}

/// `{"challenge": Challenge, "push_id"}` (docs/protocol.md §10).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    challenge: Challenge,
    push_id: PushId,
}

/// A stored challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The challenge id.
    pub challenge_id: String,
    /// The random per-push id the push (or poll) carries.
    pub push_id: String,
    /// Relay time after which the challenge can no longer be answered.
    pub expires_at: u64,
}

/// Hand a challenge (docs/protocol.md §4) to the relay for its device.
#[utoipa::path(post, path = "/v1/rp/challenges", tag = "rp",
    security(("api_key" = [])),
    request_body(content = Object,
        description = "`{\"challenge\": Challenge (docs/protocol.md §4), \"push_id\": random 16-byte id}`"),
    responses(
        (status = 201, description = "stored; the phone is notified", body = Created),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
        (status = 409, description = "challenge id or push id already used", body = ErrorBody),
        (status = 429, description = "too many pending challenges for the device", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: RpAuth,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<Created>)> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(AppError::new(
            ErrorCode::BodyTooLarge,
            format!("body over {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    let CreateBody { challenge, push_id } = parse_json(&body)?;
    let push_id = push_id.to_string();
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
    let device = match state.store.device(&device_id).await? {
        Some(device) if device.tenant_id == auth.tenant_id => device,
        _ => {
            return Err(AppError::new(
                ErrorCode::UnknownDevice,
                "no such device for this tenant",
            ))
        }
    };
    let now = state.clock.now();
    let pending = state.store.count_pending(&device_id, db_time(now)).await?;
    if pending >= state.config.limits.max_pending_per_device {
        return Err(AppError::new(
            ErrorCode::LimitExceeded,
            "too many pending challenges for this device",
        ));
    }
    // Expiry by the relay's own clock: the RP's lifetime, capped.
    let ttl = (challenge.expires_at - challenge.created_at)
        .min(state.config.limits.max_challenge_ttl_secs);
    let expires_at = now.saturating_add(ttl);
    let record = ChallengeRecord {
        challenge_id: challenge.challenge_id.to_string(),
        push_id: push_id.clone(),
        tenant_id: auth.tenant_id,
        device_id: device_id.clone(),
        challenge: challenge.to_json(),
        created_at: db_time(now),
        expires_at: db_time(expires_at),
        state: ChallengeState::Pending,
        answer: None,
        answered_at: None,
    };
    match state.store.create_challenge(&record).await {
        Err(StoreError::Conflict) => {
            return Err(AppError::new(
                ErrorCode::AlreadyExists,
                "this challenge id or push id was already used",
            ))
        }
        other => other?,
    }
    state.metrics.challenge(ChallengeOutcome::Created);
    state.waiters.wake(&keys::device(&device_id));
    if device.platform != "poll" && state.push.enabled() {
        let push = state.push.clone();
        let target = PushTarget {
            platform: device.platform,
            token: device.push_token,
        };
        let push_id = push_id.clone();
        tokio::spawn(async move {
            let outcome = push.notify(&target, &push_id).await;
            tracing::debug!(provider = push.name(), ?outcome, "push");
        });
    }
    Ok((
        StatusCode::CREATED,
        Json(Created {
            challenge_id: record.challenge_id,
            push_id,
            expires_at,
        }),
    ))
}

fn unknown_challenge() -> AppError {
    AppError::new(
        ErrorCode::UnknownChallenge,
        "no such challenge for this tenant",
    )
}

async fn owned(state: &AppState, auth: &RpAuth, id: &str) -> AppResult<ChallengeRecord> {
    ChallengeId::parse(id).map_err(|_| unknown_challenge())?;
    match state.store.challenge(id).await? {
        Some(record) if record.tenant_id == auth.tenant_id => Ok(record),
        _ => Err(unknown_challenge()),
    }
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

/// The phone's signed answer (docs/protocol.md §5), never a verdict; the RP
/// verifies it. `wait` holds the request until the answer arrives (woken at
/// once), the challenge expires by the relay's clock, or the wait ends;
/// 204 when no answer arrived.
#[utoipa::path(get, path = "/v1/rp/challenges/{challenge_id}/answer", tag = "rp",
    security(("api_key" = [])),
    params(("challenge_id" = String, Path, description = "challenge id"), WaitQuery),
    responses(
        (status = 200, description = "Answer JSON (docs/protocol.md §5)", body = Object),
        (status = 204, description = "no answer (yet)"),
        (status = 404, description = "unknown (or another tenant's) challenge", body = ErrorBody),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(challenge_id): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Response> {
    let mut record = owned(&state, &auth, &challenge_id).await?;
    let expires_at = u64::try_from(record.expires_at).unwrap_or(0);
    let timeout = wait.duration(&state, Some(expires_at));
    if record.state == ChallengeState::Pending && !timeout.is_zero() {
        let store = state.store.clone();
        let id = challenge_id.clone();
        state
            .waiters
            .wait(&keys::challenge(&challenge_id), timeout, || async move {
                Ok::<_, StoreError>(
                    store
                        .challenge(&id)
                        .await?
                        .is_some_and(|c| c.state == ChallengeState::Answered),
                )
            })
            .await?;
        record = owned(&state, &auth, &challenge_id).await?;
    }
    Ok(match stored_answer(&record)? {
        Some(answer) => Json(answer).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
