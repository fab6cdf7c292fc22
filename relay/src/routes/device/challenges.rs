//! Challenges for the phone: poll, fetch by push id, answer.

use assent_protocol::{Answer, Challenge, PushId};
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use utoipa::ToSchema;

use super::authenticate;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::metrics::ChallengeOutcome;
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::signed::SignedRequest;
use crate::state::AppState;
use crate::store::{db_time, AnswerOutcome, ChallengeRecord, StoreError};
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::GET, "/v1/challenges", poll)
        .at(Method::GET, "/v1/challenges/{push_id}", fetch)
        .at(Method::POST, "/v1/answer", answer)
}

fn stored_challenge(record: &ChallengeRecord) -> AppResult<Challenge> {
    Challenge::from_json(record.challenge.as_bytes())
        .map_err(|e| AppError::internal(format!("stored challenge unreadable: {e}")))
}

/// The device's pending challenges.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingList {
    /// Challenges (docs/protocol.md §4) exactly as the RP made them, oldest
    /// first.
    #[schema(value_type = Vec<Object>)]
    pub challenges: Vec<Challenge>,
}

/// Poll for pending challenges (the path of poll-only phones); `wait`
/// long-polls until one arrives.
#[utoipa::path(get, path = "/v1/challenges", tag = "device",
    params(WaitQuery),
    responses(
        (status = 200, description = "pending challenges", body = PendingList),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    ))]
pub async fn poll(
    State(state): State<AppState>,
    Query(wait): Query<WaitQuery>,
    request: SignedRequest,
) -> AppResult<Json<PendingList>> {
    let device = authenticate(&state, &request).await?;
    let timeout = wait.duration(&state, None);
    if !timeout.is_zero() {
        let store = state.store.clone();
        let id = device.device_id.clone();
        let now = db_time(state.clock.now());
        state
            .waiters
            .wait(&keys::device(&device.device_id), timeout, || async move {
                Ok::<_, StoreError>(store.count_pending(&id, now).await? > 0)
            })
            .await?;
    }
    let now = state.clock.now();
    let records = state
        .store
        .pending_challenges(&device.device_id, db_time(now))
        .await?;
    let challenges = records
        .iter()
        .map(stored_challenge)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(PendingList { challenges }))
}

fn unknown_challenge() -> AppError {
    AppError::new(
        ErrorCode::UnknownChallenge,
        "no such challenge for this device",
    )
}

/// Fetch one challenge by the push id a notification carried.
#[utoipa::path(get, path = "/v1/challenges/{push_id}", tag = "device",
    params(("push_id" = String, Path, description = "per-push id")),
    responses(
        (status = 200, description = "Challenge JSON (docs/protocol.md §4)", body = Object),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device or challenge", body = ErrorBody),
    ))]
pub async fn fetch(
    State(state): State<AppState>,
    Path(push_id): Path<String>,
    request: SignedRequest,
) -> AppResult<Json<Challenge>> {
    PushId::parse(&push_id).map_err(|_| unknown_challenge())?;
    let device = authenticate(&state, &request).await?;
    match state.store.challenge_by_push_id(&push_id).await? {
        Some(record) if record.device_id == device.device_id => {
            Ok(Json(stored_challenge(&record)?))
        }
        _ => Err(unknown_challenge()),
    }
}

/// What became of an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerReceipt {
    /// Always `answered`: the first answer is kept.
    pub state: &'static str,
}

fn same_answer(a: &Answer, b: &Answer) -> bool {
    a.device_id == b.device_id
        && a.challenge_id == b.challenge_id
        && a.decision == b.decision
        && a.entered == b.entered
        && a.uv_done == b.uv_done
}

/// Answer a challenge (docs/protocol.md §5). Stored only while the challenge
/// is pending and unexpired; sending the same answer again returns the first
/// result.
#[utoipa::path(post, path = "/v1/answer", tag = "device",
    request_body(content = Object, description = "Answer JSON (docs/protocol.md §5)"),
    responses(
        (status = 200, description = "stored (or already stored)", body = AnswerReceipt),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device or challenge", body = ErrorBody),
        (status = 409, description = "a different answer was stored first", body = ErrorBody),
        (status = 410, description = "the challenge expired", body = ErrorBody),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<AnswerReceipt>> {
    let device = authenticate(&state, &request).await?;
    let answer = Answer::from_json(request.body())?;
    if answer.device_id != request.auth.device_id {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "answer names another device than the request",
        ));
    }
    let challenge_id = answer.challenge_id.to_string();
    let text = answer.to_json();
    let now = state.clock.now();
    let outcome = state
        .store
        .answer_challenge(&device.device_id, &challenge_id, &text, db_time(now))
        .await?;
    match outcome {
        AnswerOutcome::Stored => {
            state.metrics.challenge(ChallengeOutcome::Answered);
            state.waiters.wake(&keys::challenge(&challenge_id));
            crate::features::answer_received(&state, &device.tenant_id, &challenge_id);
        }
        AnswerOutcome::AlreadyAnswered(first) => {
            let first = Answer::from_json(first.as_bytes())
                .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))?;
            if !same_answer(&first, &answer) {
                return Err(AppError::new(
                    ErrorCode::NotPending,
                    "the challenge was already answered differently",
                ));
            }
        }
        AnswerOutcome::Expired => {
            return Err(AppError::new(ErrorCode::Expired, "the challenge expired"))
        }
        AnswerOutcome::Unknown => return Err(unknown_challenge()),
    }
    Ok(Json(AnswerReceipt { state: "answered" }))
}
