//! Enrollment: announce an eid, read registrations, deliver the answer.

use assent_protocol::{EnrollmentAnswer, EnrollmentId, Registration};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query, RawBody};
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::{db_time, DeviceRecord, EnrollmentRecord, StoreError};
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, "/v1/rp/enrollments", announce)
        .at(
            Method::GET,
            "/v1/rp/enrollments/{eid}/registration",
            registration,
        )
        .at(Method::POST, "/v1/rp/enrollments/{eid}/answer", deliver)
        .at(Method::GET, "/v1/rp/registrations", registrations)
}

/// Announces an enrollment id so a phone may register for it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Announce {
    /// The offer's enrollment id (22 characters of base64url).
    #[schema(value_type = String)]
    pub eid: EnrollmentId,
    /// The offer's expiry (Unix seconds). The relay accepts registrations
    /// until then by its own clock, for at most `max_enrollment_ttl_secs`.
    pub expires_at: u64,
}

/// An enrollment as the relay holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentView {
    /// The enrollment id.
    pub eid: String,
    /// `announced`, `registered` or `delivered`.
    pub status: &'static str,
    /// Relay time after which registrations are refused.
    pub expires_at: u64,
    /// The phone's registration (docs/protocol.md §3.2), once it arrived.
    #[schema(value_type = Option<Object>)]
    pub registration: Option<serde_json::Value>,
    /// Relay time the registration arrived.
    pub registered_at: Option<u64>,
}

fn to_u64(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

fn view(record: &EnrollmentRecord) -> AppResult<EnrollmentView> {
    let registration = record
        .registration
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    let status = match (&record.registration, &record.answer) {
        (_, Some(_)) => "delivered",
        (Some(_), None) => "registered",
        (None, None) => "announced",
    };
    Ok(EnrollmentView {
        eid: record.eid.clone(),
        status,
        expires_at: to_u64(record.expires_at),
        registration,
        registered_at: record.registered_at.map(to_u64),
    })
}

fn unknown_enrollment() -> AppError {
    AppError::new(
        ErrorCode::UnknownEnrollment,
        "no such enrollment for this tenant",
    )
}

async fn owned(state: &AppState, auth: &RpAuth, eid: &str) -> AppResult<EnrollmentRecord> {
    EnrollmentId::parse(eid).map_err(|_| unknown_enrollment())?;
    match state.store.enrollment(eid).await? {
        Some(record) if record.tenant_id == auth.tenant_id => Ok(record),
        _ => Err(unknown_enrollment()),
    }
}

/// Announce an enrollment id.
#[utoipa::path(post, path = "/v1/rp/enrollments", tag = "rp",
    security(("api_key" = [])), request_body = Announce,
    responses(
        (status = 201, description = "announced", body = EnrollmentView),
        (status = 409, description = "eid already announced", body = ErrorBody),
    ))]
pub async fn announce(
    State(state): State<AppState>,
    auth: RpAuth,
    Json(body): Json<Announce>,
) -> AppResult<(StatusCode, Json<EnrollmentView>)> {
    let now = state.clock.now();
    if body.expires_at <= now {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "expires_at is not in the future (by the relay's clock)",
        ));
    }
    let expires_at = body
        .expires_at
        .min(now.saturating_add(state.config.limits.max_enrollment_ttl_secs));
    let record = EnrollmentRecord {
        eid: body.eid.to_string(),
        tenant_id: auth.tenant_id,
        created_at: db_time(now),
        expires_at: db_time(expires_at),
        registration: None,
        device_pub: None,
        registered_at: None,
        answer: None,
        device_id: None,
    };
    match state.store.announce_enrollment(&record).await {
        Err(StoreError::Conflict) => Err(AppError::new(
            ErrorCode::AlreadyExists,
            "this enrollment id was already announced",
        )),
        other => other.map_err(AppError::from),
    }?;
    Ok((StatusCode::CREATED, Json(view(&record)?)))
}

/// The phone's registration for `eid`, exactly as it arrived (404
/// `not_ready` until a phone registers); `wait` long-polls for it.
#[utoipa::path(get, path = "/v1/rp/enrollments/{eid}/registration", tag = "rp",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "Registration JSON (docs/protocol.md §3.2)", body = Object),
        (status = 404, description = "unknown eid (unknown_enrollment) or no registration yet (not_ready)", body = ErrorBody),
    ))]
pub async fn registration(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<serde_json::Value>> {
    let mut record = owned(&state, &auth, &eid).await?;
    let timeout = wait.duration(&state, Some(to_u64(record.expires_at)));
    if record.registration.is_none() && !timeout.is_zero() {
        let store = state.store.clone();
        let id = eid.clone();
        state
            .waiters
            .wait(&keys::registration(&eid), timeout, || async move {
                Ok::<_, StoreError>(
                    store
                        .enrollment(&id)
                        .await?
                        .is_some_and(|r| r.registration.is_some()),
                )
            })
            .await?;
        record = owned(&state, &auth, &eid).await?;
    }
    let view = view(&record)?;
    view.registration.map(Json).ok_or_else(|| {
        AppError::new(
            ErrorCode::NotReady,
            "no phone has registered for this enrollment yet",
        )
    })
}

/// Registrations waiting for an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationList {
    /// Oldest first.
    pub registrations: Vec<EnrollmentView>,
}

/// List registrations that have no answer yet; `wait` long-polls for one.
#[utoipa::path(get, path = "/v1/rp/registrations", tag = "rp",
    security(("api_key" = [])), params(WaitQuery),
    responses((status = 200, description = "pending registrations", body = RegistrationList)))]
pub async fn registrations(
    State(state): State<AppState>,
    auth: RpAuth,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<RegistrationList>> {
    let timeout = wait.duration(&state, None);
    if !timeout.is_zero() {
        let store = state.store.clone();
        let tenant = auth.tenant_id.clone();
        let now = db_time(state.clock.now());
        state
            .waiters
            .wait(
                &keys::tenant_registrations(&auth.tenant_id),
                timeout,
                || async move {
                    Ok::<_, StoreError>(
                        !store
                            .pending_registrations(&tenant, now, 1)
                            .await?
                            .is_empty(),
                    )
                },
            )
            .await?;
    }
    let records = state
        .store
        .pending_registrations(&auth.tenant_id, db_time(state.clock.now()), 100)
        .await?;
    let registrations = records.iter().map(view).collect::<AppResult<Vec<_>>>()?;
    Ok(Json(RegistrationList { registrations }))
}

/// The device created by a delivered answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivered {
    /// The enrollment id.
    pub eid: String,
    /// The device id the tenant assigned.
    pub device_id: String,
}

/// Deliver the sealed enrollment answer (docs/protocol.md §3.3); creates the
/// device. Delivering the same answer again is a no-op.
#[utoipa::path(post, path = "/v1/rp/enrollments/{eid}/answer", tag = "rp",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id")),
    request_body(content = Object, description = "EnrollmentAnswer JSON (docs/protocol.md §3.3)"),
    responses(
        (status = 201, description = "delivered; device created", body = Delivered),
        (status = 200, description = "the same answer was already delivered", body = Delivered),
        (status = 404, description = "unknown eid", body = ErrorBody),
        (status = 409, description = "not registered yet, or another answer was delivered", body = ErrorBody),
    ))]
pub async fn deliver(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(eid): Path<String>,
    RawBody(body): RawBody,
) -> AppResult<(StatusCode, Json<Delivered>)> {
    let record = owned(&state, &auth, &eid).await?;
    let answer = EnrollmentAnswer::from_json(&body)?;
    if answer.eid.to_string() != record.eid {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "answer is for another enrollment id",
        ));
    }
    let delivered = Delivered {
        eid: record.eid.clone(),
        device_id: answer.device_id.to_string(),
    };
    let canonical = answer.to_json();
    if let Some(existing) = &record.answer {
        return if *existing == canonical {
            Ok((StatusCode::OK, Json(delivered)))
        } else {
            Err(AppError::new(
                ErrorCode::AlreadyExists,
                "another answer was already delivered for this enrollment",
            ))
        };
    }
    let (Some(registration), Some(device_pub)) = (&record.registration, &record.device_pub) else {
        return Err(AppError::new(
            ErrorCode::NotPending,
            "no registration has arrived for this enrollment yet",
        ));
    };
    if answer.device_pub.as_bytes().as_slice() != device_pub.as_slice() {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "answer names another device key than the registration",
        ));
    }
    let registration = Registration::from_json(registration.as_bytes())
        .map_err(|e| AppError::internal(format!("stored registration unreadable: {e}")))?;
    let now = db_time(state.clock.now());
    let device = DeviceRecord {
        device_id: delivered.device_id.clone(),
        tenant_id: record.tenant_id.clone(),
        device_pub: device_pub.clone(),
        platform: registration.platform.as_str().to_owned(),
        push_token: registration.push_token.clone(),
        push_seq: 0,
        push_token_at: None,
        created_at: now,
        unenroll: None,
        unenroll_at: None,
    };
    match state
        .store
        .deliver_enrollment(&record.eid, &canonical, &device, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return Err(AppError::new(
                ErrorCode::AlreadyExists,
                "another answer was already delivered for this enrollment",
            ))
        }
        Err(StoreError::Conflict) => {
            return Err(AppError::new(
                ErrorCode::AlreadyExists,
                "this device id is already in use",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    state.waiters.wake(&keys::enrollment_answer(&record.eid));
    Ok((StatusCode::CREATED, Json(delivered)))
}
