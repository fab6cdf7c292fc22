//! Managed enrollment: offers, where an enrollment stands, activation.

use assent_protocol::api::managed::{
    ActivateBody, ActivationView, DeviceStatus, DeviceView, EnrollmentProgress,
    EnrollmentStatusView, OfferBody, OfferView,
};
use assent_protocol::api::{self, ErrorBody, WaitQuery};
use assent_rp::{
    ActivationResult, ApprovalKind, Custody, DeviceInfo, DeviceState, EnrollmentAuthorization,
    EnrollmentId, EnrollmentState, OfferRequest, RegistrationStatus, Verification,
};
use axum::extract::State;
use axum::http::StatusCode;

use super::{managed, rp_for};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::managed::{relay_url, rng, rp_error, ManagedTenant};
use crate::routes::responses::{
    BadRequest, NotJson, TooLarge, TooManyLongPolls, Unauthorized, Unavailable,
};
use crate::state::AppState;
use crate::store::StoreError;
use crate::waiters::{keys, Owner};

fn proof_refused(v: &Verification) -> AppError {
    match v {
        Verification::Throttled { retry_after } => AppError::new(
            ErrorCode::LimitExceeded,
            format!("too many failures: retry after {} s", retry_after.as_secs()),
        ),
        _ => AppError::new(
            ErrorCode::SecondFactorRequired,
            "the second-factor code was not accepted",
        ),
    }
}

/// Make an enrollment offer (`custody=relay`) for an account. When the account
/// already has a second factor, the body must carry its TOTP code or a backup
/// code. **Managed mode: the relay holds this RP's keys and is trusted by it.**
#[utoipa::path(post, path = api::MANAGED_ENROLLMENTS, tag = "managed",
    security(("api_key" = [])), request_body = OfferBody,
    responses(
        (status = 201, description = "offer made and announced", body = OfferView, links(
            ("enrollment" = (operation_id = "enrollment",
                parameters(("eid" = "$response.body#/eid")),
                description = "where this enrollment stands")),
        )),
        (status = 403, description = "not a managed tenant (not_managed), or the account's second factor is required (second_factor_required)", body = ErrorBody),
        (status = 409, description = "a TOTP code was given but the account has no TOTP secret (`not_pending`)", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn offer(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<OfferBody>,
) -> AppResult<(StatusCode, Json<OfferView>)> {
    let key = tenant.account_key(&body.account)?;
    let rp = rp_for(&state, &tenant).await?;
    let min = match body.min.as_deref() {
        None => ApprovalKind::Number,
        Some(word) => ApprovalKind::parse(word)
            .map_err(|_| AppError::new(ErrorCode::InvalidBody, "min must be number or code"))?,
    };
    let auth = if let Some(code) = body.totp_code {
        match rp.prove_with_totp(&key, &code).await.map_err(rp_error)? {
            Ok(proof) => EnrollmentAuthorization::Proven(proof),
            Err(v) => return Err(proof_refused(&v)),
        }
    } else if let Some(code) = body.backup_code {
        let (rp2, key2) = (rp.clone(), key.clone());
        match managed(&state)?
            .hashing(move || async move {
                rp2.prove_with_backup_code(&key2, &code)
                    .await
                    .map_err(rp_error)
            })
            .await?
        {
            Ok(proof) => EnrollmentAuthorization::Proven(proof),
            Err(v) => return Err(proof_refused(&v)),
        }
    } else {
        EnrollmentAuthorization::NoSecondFactorYet
    };
    let mut request = OfferRequest::new(
        body.issuer.as_deref().unwrap_or(tenant.rp_id.as_str()),
        body.account_label.as_deref().unwrap_or(&body.account),
    );
    request.min = min;
    request.uv = body.uv.unwrap_or(false);
    request.custody = Custody::Relay;
    let made = rp
        .make_offer(&key, &request, &relay_url(&state), auth, &mut rng()?)
        .await
        .map_err(offer_error)?;
    let qr = made.qr().map_err(rp_error)?;
    let offer: serde_json::Value = serde_json::from_str(&made.json).map_err(AppError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(OfferView {
            eid: made.offer.eid.to_string(),
            uri: made.uri.to_string(),
            offer,
            qr_svg: qr.svg().to_string(),
            expires_at: made.offer.expires_at,
            custody: Custody::Relay,
        }),
    ))
}

/// [`rp_error`], except that an issuer or account label the offer refuses (empty, too
/// long, control characters) is the caller's `invalid_body`, not an internal error.
fn offer_error(err: assent_rp::Error) -> AppError {
    use assent_protocol::Error as P;
    match err {
        assent_rp::Error::Protocol(p @ (P::Invalid { .. } | P::TooLarge { .. })) => {
            AppError::new(ErrorCode::InvalidBody, format!("invalid offer: {p}"))
        }
        other => rp_error(other),
    }
}

fn unknown_enrollment() -> AppError {
    AppError::new(
        ErrorCode::UnknownEnrollment,
        "no such enrollment for this tenant",
    )
}

async fn owned_enrollment(
    rp: &assent_rp::Rp,
    tenant: &ManagedTenant,
    eid: &str,
) -> AppResult<(EnrollmentId, EnrollmentState)> {
    let eid = EnrollmentId::parse(eid).map_err(|_| unknown_enrollment())?;
    match rp.store().enrollment(&eid).await.map_err(rp_error)? {
        Some(record) if tenant.owns(&record.account) => Ok((eid, record.state)),
        _ => Err(unknown_enrollment()),
    }
}

async fn owned_eid(
    rp: &assent_rp::Rp,
    tenant: &ManagedTenant,
    eid: &str,
) -> AppResult<EnrollmentId> {
    Ok(owned_enrollment(rp, tenant, eid).await?.0)
}

/// Takes the registration if one arrived (and re-delivers the answer when
/// already taken), or says where the enrollment stands.
async fn enrollment_now(
    rp: &assent_rp::Rp,
    tenant: &ManagedTenant,
    eid: &str,
) -> AppResult<EnrollmentStatusView> {
    let (id, state) = owned_enrollment(rp, tenant, eid).await?;
    Ok(match state {
        EnrollmentState::Offered | EnrollmentState::Registered => status_view(
            rp.complete_registration(&id, &mut rng()?)
                .await
                .map_err(rp_error)?,
        ),
        // Another request is verifying it right now.
        EnrollmentState::Claimed => status_view(RegistrationStatus::Waiting),
        EnrollmentState::Activated => EnrollmentStatusView {
            status: EnrollmentProgress::Activated,
            device: None,
        },
        _ => EnrollmentStatusView {
            status: EnrollmentProgress::Dead,
            device: None,
        },
    })
}

fn status_view(status: RegistrationStatus) -> EnrollmentStatusView {
    match status {
        RegistrationStatus::AwaitingActivation(info) => EnrollmentStatusView {
            status: EnrollmentProgress::AwaitingActivation,
            device: Some(device_view(&info)),
        },
        RegistrationStatus::Waiting => EnrollmentStatusView {
            status: EnrollmentProgress::Waiting,
            device: None,
        },
    }
}

/// Where an enrollment stands; takes the phone's registration when it
/// arrived. `wait` long-polls for the registration.
#[utoipa::path(get, path = api::MANAGED_ENROLLMENT, tag = "managed",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "status", body = EnrollmentStatusView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown (or another tenant's) enrollment", body = ErrorBody),
        BadRequest, Unauthorized, TooManyLongPolls, Unavailable,
    ))]
pub async fn enrollment(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<EnrollmentStatusView>> {
    let rp = rp_for(&state, &tenant).await?;
    let mut status = enrollment_now(&rp, &tenant, &eid).await?;
    let timeout = state.wait_for(wait.wait, None);
    if status.status == EnrollmentProgress::Waiting && !timeout.is_zero() {
        let _slot = state.long_poll_slot(Owner::Tenant(&tenant.tenant_id))?;
        let store = state.store.clone();
        let text = eid.clone();
        state
            .waiters
            .wait(&keys::registration(&eid), timeout, || async {
                Ok::<_, StoreError>(
                    store
                        .enrollment(&text)
                        .await?
                        .is_some_and(|r| r.registration.is_some()),
                )
            })
            .await?;
        status = enrollment_now(&rp, &tenant, &eid).await?;
    }
    Ok(Json(status))
}

/// Activate the phone with the code it shows (one guess per offer).
#[utoipa::path(post, path = api::MANAGED_ACTIVATE, tag = "managed",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id")),
    request_body = ActivateBody,
    responses(
        (status = 200, description = "activated, or rejected (the offer is dead)", body = ActivationView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown (or another tenant's) enrollment", body = ErrorBody),
        (status = 409, description = "not awaiting activation", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn activate(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Json(body): Json<ActivateBody>,
) -> AppResult<Json<ActivationView>> {
    let key = tenant.account_key(&body.account)?;
    let rp = rp_for(&state, &tenant).await?;
    let id = owned_eid(&rp, &tenant, &eid).await?;
    let mut rng = rng()?;
    let result = managed(&state)?
        .hashing(move || async move {
            rp.activate(&key, &id, &body.code, &mut rng)
                .await
                .map_err(rp_error)
        })
        .await?;
    Ok(Json(match result {
        ActivationResult::Activated(done) => ActivationView {
            activated: true,
            device: Some(device_view(&done.device)),
            backup_codes: done
                .backup_codes
                .as_ref()
                .map(|codes| codes.iter().map(str::to_owned).collect()),
        },
        ActivationResult::Rejected => ActivationView {
            activated: false,
            device: None,
            backup_codes: None,
        },
    }))
}

/// An account's phones.
/// A phone as the login page may show it.
pub(crate) fn device_view(d: &DeviceInfo) -> DeviceView {
    DeviceView {
        device_id: d.device_id.to_string(),
        name: d.name.clone(),
        platform: d.platform,
        state: match d.state {
            DeviceState::Pending => DeviceStatus::Pending,
            DeviceState::Active => DeviceStatus::Active,
            DeviceState::Removed => DeviceStatus::Removed,
        },
        min: d.min,
        created_at: d.created_at,
        activated_at: d.activated_at,
    }
}
