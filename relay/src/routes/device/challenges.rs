//! Challenges for the phone: poll, fetch by push id, answer
//! ([`crate::exchange::challenges`] holds the rules).

use assent_protocol::api::{self, AnswerReceipt, ErrorBody, PendingList, WaitQuery};
use assent_protocol::{Answer, Challenge};
use axum::extract::State;
use axum::http::Method;

use super::authenticate;
use crate::error::AppResult;
use crate::extract::{Json, Path, Query};
use crate::routes::responses::{BadRequest, TooLarge, TooManyLongPolls, Unavailable};
use crate::routes::Routes;
use crate::signed::SignedRequest;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::GET, api::CHALLENGES, poll)
        .at(Method::GET, api::CHALLENGE, fetch)
        .at(Method::POST, api::ANSWER, answer)
}

/// Poll for pending challenges (the path of poll-only phones); `wait`
/// long-polls until one arrives.
#[utoipa::path(get, path = api::CHALLENGES, tag = "device",
    params(WaitQuery),
    responses(
        (status = 200, description = "pending challenges", body = PendingList),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
        BadRequest, TooLarge, TooManyLongPolls, Unavailable,
    ))]
pub async fn poll(
    State(state): State<AppState>,
    Query(wait): Query<WaitQuery>,
    request: SignedRequest,
) -> AppResult<Json<PendingList>> {
    let device = authenticate(&state, &request).await?;
    Ok(Json(state.pending_challenges(&device, wait.wait).await?))
}

/// Fetch one challenge by the push id a notification carried.
#[utoipa::path(get, path = api::CHALLENGE, tag = "device",
    params(("push_id" = String, Path, description = "per-push id")),
    responses(
        (status = 200, description = "Challenge JSON (docs/protocol.md §4)", body = Object),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device or challenge", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn fetch(
    State(state): State<AppState>,
    Path(push_id): Path<String>,
    request: SignedRequest,
) -> AppResult<Json<Challenge>> {
    // A malformed push id is refused before the signature is checked.
    state.check_push_id(&push_id)?;
    let device = authenticate(&state, &request).await?;
    Ok(Json(state.challenge_by_push_id(&device, &push_id).await?))
}

/// Answer a challenge (docs/protocol.md §5). Stored only while the challenge
/// is pending and unexpired; sending the same answer again returns the first
/// result.
#[utoipa::path(post, path = api::ANSWER, tag = "device", operation_id = "device_answer",
    request_body(content = Object, description = "Answer JSON (docs/protocol.md §5)"),
    responses(
        (status = 200, description = "stored (or already stored)", body = AnswerReceipt),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device or challenge", body = ErrorBody),
        (status = 409, description = "a different answer was stored first", body = ErrorBody),
        (status = 410, description = "the challenge expired", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn answer(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<AnswerReceipt>> {
    let device = authenticate(&state, &request).await?;
    let answer = Answer::from_json(request.body())?;
    Ok(Json(state.answer_challenge(&device, &answer).await?))
}
