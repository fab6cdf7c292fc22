//! Challenges: create (with a random per-push id) and read the signed answer
//! with long-poll ([`crate::exchange::challenges`] holds the rules). The relay
//! returns the phone's signed answer, never a verdict.

use assent_protocol::api::{self, ChallengeCreated, CreateChallenge, ErrorBody, WaitQuery};
use assent_protocol::MAX_MESSAGE_BYTES;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{parse_json, Json, Path, Query, RawBody};
use crate::routes::responses::{BadRequest, TooLarge, TooManyLongPolls, Unauthorized, Unavailable};
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::POST, api::RP_CHALLENGES, create).at(
        Method::GET,
        api::RP_CHALLENGE_ANSWER,
        answer,
    )
}

/// Hand a challenge (docs/protocol.md §4) to the relay for its device.
#[utoipa::path(post, path = api::RP_CHALLENGES, tag = "rp",
    security(("api_key" = [])),
    request_body(content = Object,
        description = "`{\"challenge\": Challenge (docs/protocol.md §4), \"push_id\": random 16-byte id}`"),
    responses(
        (status = 201, description = "stored; the phone is notified", body = ChallengeCreated, links(
            ("answer" = (operation_id = "rp_challenge_answer",
                parameters(("challenge_id" = "$response.body#/challenge_id")),
                description = "the phone's signed answer")),
            ("fetch" = (operation_id = "fetch",
                parameters(("push_id" = "$response.body#/push_id")),
                description = "the phone fetches the challenge by its push id")),
        )),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
        (status = 409, description = "challenge id or push id already used", body = ErrorBody),
        (status = 429, description = "too many pending challenges for the device, or too many in its window (`limit_exceeded`)", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: RpAuth,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<ChallengeCreated>)> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(AppError::new(
            ErrorCode::BodyTooLarge,
            format!("body over {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    let body: CreateChallenge = parse_json(&body)?;
    let created = state.create_challenge(&auth.tenant_id, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The phone's signed answer (docs/protocol.md §5), never a verdict; the RP
/// verifies it. `wait` holds the request until the answer arrives (woken at
/// once), the challenge expires by the relay's clock, or the wait ends;
/// 204 when no answer arrived.
#[utoipa::path(get, path = api::RP_CHALLENGE_ANSWER, tag = "rp", operation_id = "rp_challenge_answer",
    security(("api_key" = [])),
    params(("challenge_id" = String, Path, description = "challenge id"), WaitQuery),
    responses(
        (status = 200, description = "Answer JSON (docs/protocol.md §5)", body = Object),
        (status = 204, description = "no answer (yet); the `Assent-Push` header says what happened to the push (`sent`, `failed`, `dead_token`) once known"),
        (status = 404, description = "unknown (or another tenant's) challenge", body = ErrorBody),
        BadRequest, Unauthorized, TooManyLongPolls, Unavailable,
    ))]
pub async fn answer(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(challenge_id): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Response> {
    let read = state
        .read_answer(&auth.tenant_id, &challenge_id, wait.wait)
        .await?;
    Ok(match read.answer {
        Some(answer) => Json(answer).into_response(),
        None => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Some(push) = read.push {
                response
                    .headers_mut()
                    .insert(api::headers::PUSH, HeaderValue::from_static(push.as_str()));
            }
            response
        }
    })
}
