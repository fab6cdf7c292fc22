//! Enrollment: announce an eid, read registrations, deliver the answer
//! ([`crate::exchange::enrollments`] holds the rules).

use assent_protocol::api::{
    self, Announce, Delivered, EnrollmentView, ErrorBody, RegistrationList, WaitQuery,
};
use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::exchange::enrollments::Stored;
use crate::extract::{Json, Path, Query, RawBody};
use crate::routes::responses::{
    BadRequest, NotJson, TooLarge, TooManyLongPolls, Unauthorized, Unavailable,
};
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, api::RP_ENROLLMENTS, announce)
        .at(Method::GET, api::RP_REGISTRATION, registration)
        .at(Method::POST, api::RP_ENROLLMENT_ANSWER, deliver)
        .at(Method::GET, api::RP_REGISTRATIONS, registrations)
}

/// Announce an enrollment id.
#[utoipa::path(post, path = api::RP_ENROLLMENTS, tag = "rp",
    security(("api_key" = [])), request_body = Announce,
    responses(
        (status = 201, description = "announced", body = EnrollmentView, links(
            ("registration" = (operation_id = "registration",
                parameters(("eid" = "$response.body#/eid")),
                description = "the phone's registration for this eid")),
            ("deliver" = (operation_id = "deliver",
                parameters(("eid" = "$response.body#/eid")),
                description = "deliver the enrollment answer for this eid")),
            ("enrollment_answer" = (operation_id = "enrollment_answer",
                parameters(("eid" = "$response.body#/eid")),
                description = "the phone fetches the enrollment answer")),
        )),
        (status = 409, description = "eid already announced", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn announce(
    State(state): State<AppState>,
    auth: RpAuth,
    Json(body): Json<Announce>,
) -> AppResult<(StatusCode, Json<EnrollmentView>)> {
    let view = state.announce(&auth.tenant_id, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The phone's registration for `eid`, exactly as it arrived (404
/// `not_ready` until a phone registers); `wait` long-polls for it.
#[utoipa::path(get, path = api::RP_REGISTRATION, tag = "rp",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "Registration JSON (docs/protocol.md §3.2)", body = Object),
        (status = 404, description = "unknown eid (unknown_enrollment) or no registration yet (not_ready)", body = ErrorBody),
        BadRequest, Unauthorized, TooManyLongPolls, Unavailable,
    ))]
pub async fn registration(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Response> {
    let text = state
        .registration(&auth.tenant_id, &eid, wait.wait)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotReady,
                "no phone has registered for this enrollment yet",
            )
        })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// List registrations that have no answer yet; `wait` long-polls for one.
#[utoipa::path(get, path = api::RP_REGISTRATIONS, tag = "rp",
    security(("api_key" = [])), params(WaitQuery),
    responses((status = 200, description = "pending registrations", body = RegistrationList), BadRequest, Unauthorized, TooManyLongPolls, Unavailable))]
pub async fn registrations(
    State(state): State<AppState>,
    auth: RpAuth,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<RegistrationList>> {
    Ok(Json(state.registrations(&auth.tenant_id, wait.wait).await?))
}

/// Deliver the sealed enrollment answer (docs/protocol.md §3.3); creates the
/// device. Delivering the same answer again is a no-op.
#[utoipa::path(post, path = api::RP_ENROLLMENT_ANSWER, tag = "rp",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id")),
    request_body(content = Object, description = "EnrollmentAnswer JSON (docs/protocol.md §3.3)"),
    responses(
        (status = 201, description = "delivered; device created", body = Delivered),
        (status = 200, description = "the same answer was already delivered", body = Delivered),
        (status = 404, description = "unknown eid", body = ErrorBody),
        (status = 409, description = "not registered yet, or another answer was delivered", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ))]
pub async fn deliver(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(eid): Path<String>,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<Delivered>)> {
    let (delivered, stored) = state.deliver_json(&auth.tenant_id, &eid, &body).await?;
    Ok((status(stored), Json(delivered)))
}

/// 201 for something stored now, 200 for the same thing stored before.
pub(crate) fn status(stored: Stored) -> StatusCode {
    match stored {
        Stored::New => StatusCode::CREATED,
        Stored::Again => StatusCode::OK,
    }
}
