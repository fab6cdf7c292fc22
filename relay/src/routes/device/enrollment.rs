//! Registration (phone → relay → RP) and the enrollment answer (RP → relay →
//! phone).

use assent_protocol::{EnrollmentAnswer, EnrollmentId, Registration};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query, RawBody};
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::db_time;
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::POST, "/v1/register", register).at(
        Method::GET,
        "/v1/enrollments/{eid}/answer",
        enrollment_answer,
    )
}

/// A stored registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// The enrollment id.
    pub eid: String,
    /// Always `registered`.
    pub status: &'static str,
}

fn unknown_enrollment() -> AppError {
    AppError::new(
        ErrorCode::UnknownEnrollment,
        "this enrollment id was not announced (or has been purged)",
    )
}

/// Register a device for an announced enrollment id (docs/protocol.md §3.2).
/// The first registration wins; sending the same one again is a no-op.
#[utoipa::path(post, path = "/v1/register", tag = "device",
    request_body(content = Object, description = "Registration JSON (docs/protocol.md §3.2)"),
    responses(
        (status = 201, description = "stored for the RP", body = Registered),
        (status = 200, description = "the same registration was already stored", body = Registered),
        (status = 404, description = "eid not announced", body = ErrorBody),
        (status = 409, description = "another registration arrived first", body = ErrorBody),
        (status = 410, description = "the announcement expired", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<Registered>)> {
    // Parsing checks sizes and shape (no key needed).
    let registration = Registration::from_json(&body)?;
    let eid = registration.eid.to_string();
    let record = state
        .store
        .enrollment(&eid)
        .await?
        .ok_or_else(unknown_enrollment)?;
    let canonical = registration.to_json();
    let registered = Registered {
        eid: eid.clone(),
        status: "registered",
    };
    if let Some(existing) = &record.registration {
        return if *existing == canonical {
            Ok((StatusCode::OK, Json(registered)))
        } else {
            Err(AppError::new(
                ErrorCode::AlreadyExists,
                "another registration already arrived for this enrollment",
            ))
        };
    }
    let now = state.clock.now();
    if db_time(now) >= record.expires_at {
        return Err(AppError::new(ErrorCode::Expired, "the enrollment expired"));
    }
    let stored = state
        .store
        .register(
            &eid,
            &canonical,
            registration.device_pub.as_bytes(),
            db_time(now),
        )
        .await?;
    if !stored {
        return Err(AppError::new(
            ErrorCode::AlreadyExists,
            "another registration already arrived for this enrollment",
        ));
    }
    state.waiters.wake(&keys::registration(&eid));
    state
        .waiters
        .wake(&keys::tenant_registrations(&record.tenant_id));
    crate::features::registration_received(&state, &record.tenant_id, &eid);
    Ok((StatusCode::CREATED, Json(registered)))
}

/// Fetch the sealed enrollment answer (docs/protocol.md §3.3). Unsigned:
/// the phone has no device id yet, and the answer is sealed under the
/// channel key only the registering phone holds. 404 `not_ready` until the
/// RP delivers it; `wait` long-polls for the delivery.
#[utoipa::path(get, path = "/v1/enrollments/{eid}/answer", tag = "device",
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "EnrollmentAnswer JSON (docs/protocol.md §3.3)", body = Object),
        (status = 404, description = "unknown eid (unknown_enrollment) or not delivered yet (not_ready)", body = ErrorBody),
    ))]
pub async fn enrollment_answer(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<EnrollmentAnswer>> {
    EnrollmentId::parse(&eid).map_err(|_| unknown_enrollment())?;
    let record = state
        .store
        .enrollment(&eid)
        .await?
        .ok_or_else(unknown_enrollment)?;
    let mut answer = record.answer;
    let timeout = wait.duration(&state, None);
    if answer.is_none() && record.registration.is_some() && !timeout.is_zero() {
        let store = state.store.clone();
        let id = eid.clone();
        state
            .waiters
            .wait(&keys::enrollment_answer(&eid), timeout, || async move {
                Ok::<_, crate::store::StoreError>(
                    store
                        .enrollment(&id)
                        .await?
                        .is_some_and(|r| r.answer.is_some()),
                )
            })
            .await?;
        answer = state.store.enrollment(&eid).await?.and_then(|r| r.answer);
    }
    let text = answer.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotReady,
            "the RP has not delivered the enrollment answer yet",
        )
    })?;
    let answer = EnrollmentAnswer::from_json(text.as_bytes())
        .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))?;
    Ok(Json(answer))
}
