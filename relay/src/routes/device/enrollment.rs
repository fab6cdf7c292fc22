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
use crate::signed::SignedRequest;
use crate::state::AppState;
use crate::store::db_time;
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::POST, "/v1/register", register).at(
        Method::GET,
        "/v1/register/{eid}",
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
    Ok((StatusCode::CREATED, Json(registered)))
}

/// The enrollment answer, once the RP delivered it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentAnswerView {
    /// `pending` or `delivered`.
    pub status: &'static str,
    /// The RP's sealed answer (docs/protocol.md §3.3), once delivered.
    #[schema(value_type = Option<Object>)]
    pub answer: Option<serde_json::Value>,
}

/// Fetch the enrollment answer. Signed like every device request, with the
/// enrollment id in `Assent-Device` (the device has no id yet) and the
/// registered device key; `wait` long-polls for the delivery.
#[utoipa::path(get, path = "/v1/register/{eid}", tag = "device",
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "pending or delivered", body = EnrollmentAnswerView),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown or unregistered eid", body = ErrorBody),
    ))]
pub async fn enrollment_answer(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
    request: SignedRequest,
) -> AppResult<Json<EnrollmentAnswerView>> {
    let parsed = EnrollmentId::parse(&eid).map_err(|_| unknown_enrollment())?;
    if parsed.as_bytes() != request.auth.device_id.as_bytes() {
        return Err(AppError::new(
            ErrorCode::BadSignature,
            "Assent-Device must carry the enrollment id of the path",
        ));
    }
    let record = state
        .store
        .enrollment(&eid)
        .await?
        .ok_or_else(unknown_enrollment)?;
    let device_pub = record
        .device_pub
        .as_deref()
        .ok_or_else(unknown_enrollment)?;
    request.verify(&state, device_pub)?;
    let mut answer = record.answer;
    let timeout = wait.duration(&state, None);
    if answer.is_none() && !timeout.is_zero() {
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
    let answer = answer
        .map(|text| {
            EnrollmentAnswer::from_json(text.as_bytes())
                .map_err(|e| AppError::internal(format!("stored answer unreadable: {e}")))
                .and_then(|a| serde_json::to_value(a).map_err(AppError::internal))
        })
        .transpose()?;
    Ok(Json(EnrollmentAnswerView {
        status: if answer.is_some() {
            "delivered"
        } else {
            "pending"
        },
        answer,
    }))
}
