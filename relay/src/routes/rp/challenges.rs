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

use super::unknown_device;
use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{parse_json, Json, Path, Query, RawBody};
use crate::metrics::ChallengeOutcome;
use crate::push::{PushOutcome, PushTarget};
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::{db_time, ChallengeRecord, ChallengeState, CreateOutcome, StoreError};
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
    /// `queued`: a push goes to the phone's provider (its outcome is the
    /// `Assent-Push` header of the answer read); `poll`: no push (no provider
    /// for the device's platform, no token, or its token was found dead),
    /// the phone must poll.
    pub push: &'static str,
}

/// Header of the answer read (while no answer is there) saying what happened
/// to the challenge's push: `sent`, `failed` or `dead_token` (the device now
/// polls); absent while in flight or when no push was tried.
pub const PUSH_HEADER: &str = "assent-push";

/// Hand a challenge (docs/protocol.md §4) to the relay for its device.
#[utoipa::path(post, path = "/v1/rp/challenges", tag = "rp",
    security(("api_key" = [])),
    request_body(content = Object,
        description = "`{\"challenge\": Challenge (docs/protocol.md §4), \"push_id\": random 16-byte id}`"),
    responses(
        (status = 201, description = "stored; the phone is notified", body = Created),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
        (status = 409, description = "challenge id or push id already used", body = ErrorBody),
        (status = 429, description = "too many pending challenges for the device, or too many in its window (`limit_exceeded`)", body = ErrorBody),
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
    // Known id first (cheap, usually cached); the store checks the tenant
    // again atomically with the insert.
    let device = match state.store.device(&device_id).await? {
        Some(device) if device.tenant_id == auth.tenant_id => device,
        _ => return Err(unknown_device()),
    };
    let now = state.clock.now();
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
    // The per-window cap first (a token, given back if the challenge is not
    // created after all).
    if !state.rates.take(&device_id, now) {
        return Err(AppError::new(
            ErrorCode::LimitExceeded,
            format!(
                "too many challenges for this device: at most {} per {} s",
                state.config.limits.device_challenge_limit,
                state.config.limits.device_challenge_window_secs
            ),
        ));
    }
    let max_pending = state.config.limits.max_pending_per_device;
    let created = state.store.create_challenge(&record, max_pending).await;
    if !matches!(created, Ok(CreateOutcome::Created)) {
        state.rates.give_back(&device_id);
    }
    match created {
        Ok(CreateOutcome::Created) => {}
        Ok(CreateOutcome::UnknownDevice) => return Err(unknown_device()),
        Ok(CreateOutcome::TooManyPending) => {
            return Err(AppError::new(
                ErrorCode::LimitExceeded,
                "too many pending challenges for this device",
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
    state.metrics.challenge(ChallengeOutcome::Created);
    state.waiters.wake(&keys::device(&device_id));
    let push = if !device.push_token.is_empty() && state.push.serves(&device.platform) {
        spawn_push(
            &state,
            device,
            record.challenge_id.clone(),
            push_id.clone(),
            expires_at,
        );
        "queued"
    } else {
        "poll"
    };
    Ok((
        StatusCode::CREATED,
        Json(Created {
            challenge_id: record.challenge_id,
            push_id,
            expires_at,
            push,
        }),
    ))
}

/// Sends the push in its own task: a slow or failing provider never delays
/// the RP's request or another push. A dead token is dropped from the device
/// (it polls from then on); the outcome is recorded on the challenge.
fn spawn_push(
    state: &AppState,
    device: crate::store::DeviceRecord,
    challenge_id: String,
    push_id: String,
    deadline: u64,
) {
    let state = state.clone();
    tokio::spawn(async move {
        let registered_at =
            u64::try_from(device.push_token_at.unwrap_or(device.created_at)).unwrap_or(0);
        let target = PushTarget {
            platform: device.platform,
            token: device.push_token,
            registered_at,
        };
        let outcome = state.push.notify(&target, &push_id, deadline).await;
        tracing::debug!(provider = state.push.name(), ?outcome, "push");
        if outcome == PushOutcome::DeadToken {
            match state
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
        if let Some(word) = outcome.as_state() {
            if let Err(e) = state.store.set_challenge_push(&challenge_id, word).await {
                tracing::warn!(error = %e, "cannot record a push outcome");
            }
        }
    });
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
        (status = 204, description = "no answer (yet); the `Assent-Push` header says what happened to the push (`sent`, `failed`, `dead_token`) once known"),
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
        None => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            // Why the phone may not have seen it: the push's outcome.
            if let Ok(Some(push)) = state.store.challenge_push(&challenge_id).await {
                if let Ok(value) = axum::http::HeaderValue::from_str(&push) {
                    response.headers_mut().insert(PUSH_HEADER, value);
                }
            }
            response
        }
    })
}
