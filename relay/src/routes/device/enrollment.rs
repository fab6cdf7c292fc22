//! Registration (phone → relay → RP) and the enrollment answer (RP → relay →
//! phone); [`crate::exchange::enrollments`] holds the rules.

use assent_protocol::api::{self, ErrorBody, Registered, WaitQuery};
use assent_protocol::{EnrollmentAnswer, Registration};
use axum::extract::State;
use axum::http::{Method, StatusCode};

use crate::error::AppResult;
use crate::extract::{Json, Path, Query, RawBody};
use crate::routes::responses::{BadRequest, TooLarge, TooManyLongPolls, Unavailable};
use crate::routes::rp::enrollments::status;
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::POST, api::REGISTER, register).at(
        Method::GET,
        api::ENROLLMENT_ANSWER,
        enrollment_answer,
    )
}

/// Register a device for an announced enrollment id (docs/protocol.md §3.2).
/// The first registration wins; sending the same one again is a no-op.
#[utoipa::path(post, path = api::REGISTER, tag = "device",
    request_body(content = Object, description = "Registration JSON (docs/protocol.md §3.2)"),
    responses(
        (status = 201, description = "stored for the RP", body = Registered),
        (status = 200, description = "the same registration was already stored", body = Registered),
        (status = 404, description = "eid not announced", body = ErrorBody),
        (status = 409, description = "another registration arrived first", body = ErrorBody),
        (status = 410, description = "the announcement expired", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn register(
    State(state): State<AppState>,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<Registered>)> {
    // Parsing checks sizes and shape (no key needed).
    let registration = Registration::from_json(&body)?;
    let (registered, stored) = state.register(&registration).await?;
    Ok((status(stored), Json(registered)))
}

/// Fetch the sealed enrollment answer (docs/protocol.md §3.3). Unsigned:
/// the phone has no device id yet, and the answer is sealed under the
/// channel key only the registering phone holds. 404 `not_ready` until the
/// RP delivers it; `wait` long-polls for the delivery.
#[utoipa::path(get, path = api::ENROLLMENT_ANSWER, tag = "device",
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "EnrollmentAnswer JSON (docs/protocol.md §3.3)", body = Object),
        (status = 404, description = "unknown eid (unknown_enrollment) or not delivered yet (not_ready)", body = ErrorBody),
        BadRequest, TooManyLongPolls, Unavailable,
    ))]
pub async fn enrollment_answer(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<EnrollmentAnswer>> {
    Ok(Json(state.enrollment_answer(&eid, wait.wait).await?))
}
