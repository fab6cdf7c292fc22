//! `/v1/managed/...`: the HTTP API of managed mode (API key of a managed
//! tenant). The relay acts as the tenant's RP and gives verdicts, so the
//! tenant trusts it; an end-to-end tenant gets 403 `not_managed` on every
//! one of these routes.
//!
//! Request bodies carry codes and session handles: they are never logged.

use std::net::IpAddr;
use std::time::Duration;

use assent_protocol::{b64_decode, sha256};
use assent_rp::{
    ActivationResult, ApprovalKind, ChallengeStatus, Custody, DeviceId, DeviceInfo,
    EnrollmentAuthorization, EnrollmentId, EnrollmentState, LoginContext, OfferRequest,
    RegistrationStatus, SessionHandle, Verification,
};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{blocking, relay_url, rng, rp_error, verification_word, ManagedTenant};
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::routes::wait::WaitQuery;
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::StoreError;
use crate::waiters::keys;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, "/v1/managed/enrollments", offer)
        .at(Method::GET, "/v1/managed/enrollments/{eid}", enrollment)
        .at(
            Method::POST,
            "/v1/managed/enrollments/{eid}/activate",
            activate,
        )
        .at(
            Method::GET,
            "/v1/managed/accounts/{account}/devices",
            devices,
        )
        .at(
            Method::DELETE,
            "/v1/managed/accounts/{account}/devices/{device_id}",
            remove_device,
        )
        .at(Method::POST, "/v1/managed/challenges", start)
        .at(Method::POST, "/v1/managed/challenges/verdict", verdict)
        .at(Method::POST, "/v1/managed/challenges/redeem", redeem)
        .at(
            Method::POST,
            "/v1/managed/accounts/{account}/totp/verify",
            verify_totp,
        )
        .at(
            Method::POST,
            "/v1/managed/accounts/{account}/backup-codes",
            backup_codes,
        )
        .at(
            Method::POST,
            "/v1/managed/accounts/{account}/backup-codes/verify",
            verify_backup_code,
        )
}

fn managed(state: &AppState) -> AppResult<&super::Managed> {
    state
        .features
        .as_ref()
        .map(|f| f.managed.as_ref())
        .ok_or_else(|| AppError::new(ErrorCode::NotManaged, "managed mode is not enabled"))
}

// ----- enrollment -----

/// Make an enrollment offer for an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    /// The login server's account name (1–128 bytes).
    pub account: String,
    /// What the phone shows for the account (default: `account`).
    pub account_label: Option<String>,
    /// What the phone shows for the service (default: the tenant's RP id).
    pub issuer: Option<String>,
    /// Weakest approval kind the phone will accept: `number` (default) or
    /// `code`.
    pub min: Option<String>,
    /// Require user verification (biometric or PIN) on the phone.
    pub uv: Option<bool>,
    /// The account's current TOTP code, required when it already has a second
    /// factor (a TOTP secret or an active phone).
    pub totp_code: Option<String>,
    /// Or one of its backup codes (spent when accepted).
    pub backup_code: Option<String>,
}

/// A fresh offer: show the QR code (or hand the JSON to the app over its
/// authenticated session), then poll the enrollment.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    /// The enrollment id.
    pub eid: String,
    /// `assent://enroll?...` (contains the one-time enrollment secret: show it
    /// once, do not log it).
    pub uri: String,
    /// The same offer as JSON, for the in-app flow.
    #[schema(value_type = Object)]
    pub offer: serde_json::Value,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
    /// Offer expiry (Unix seconds).
    pub expires_at: u64,
    /// Always `relay`: the relay holds this RP's keys; the phone shows it.
    pub custody: &'static str,
}

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
#[utoipa::path(post, path = "/v1/managed/enrollments", tag = "managed",
    security(("api_key" = [])), request_body = OfferBody,
    responses(
        (status = 201, description = "offer made and announced", body = OfferView),
        (status = 403, description = "not a managed tenant (not_managed), or the account's second factor is required (second_factor_required)", body = ErrorBody),
    ))]
pub async fn offer(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<OfferBody>,
) -> AppResult<(StatusCode, Json<OfferView>)> {
    let key = tenant.account_key(&body.account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
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
        match blocking(move || async move {
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
        .map_err(rp_error)?;
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
            custody: "relay",
        }),
    ))
}

/// A phone as the login page may show it (no keys, no secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    /// Device id.
    pub device_id: String,
    /// The name the phone gave ("Alice's iPhone").
    pub name: String,
    /// `ios`, `android` or `poll`.
    pub platform: &'static str,
    /// `pending` (awaiting activation) or `active`.
    pub state: &'static str,
    /// Weakest approval kind it accepts.
    pub min: &'static str,
    /// Registration time.
    pub created_at: u64,
    /// Activation time.
    pub activated_at: Option<u64>,
}

impl From<&DeviceInfo> for DeviceView {
    fn from(d: &DeviceInfo) -> Self {
        Self {
            device_id: d.device_id.to_string(),
            name: d.name.clone(),
            platform: d.platform.as_str(),
            state: d.state.as_str(),
            min: d.min.as_str(),
            created_at: d.created_at,
            activated_at: d.activated_at,
        }
    }
}

/// Where an enrollment stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentStatusView {
    /// `waiting` (no phone yet), `awaiting_activation` (ask the user for the
    /// code the phone shows, then activate), `activated`, or `dead` (wrong
    /// code, expired, or a registration that failed its checks: make a new
    /// offer).
    pub status: &'static str,
    /// The registered phone, once there is one.
    pub device: Option<DeviceView>,
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
            status: "activated",
            device: None,
        },
        _ => EnrollmentStatusView {
            status: "dead",
            device: None,
        },
    })
}

fn status_view(status: RegistrationStatus) -> EnrollmentStatusView {
    match status {
        RegistrationStatus::AwaitingActivation(info) => EnrollmentStatusView {
            status: "awaiting_activation",
            device: Some(DeviceView::from(&info)),
        },
        RegistrationStatus::Waiting => EnrollmentStatusView {
            status: "waiting",
            device: None,
        },
    }
}

/// Where an enrollment stands; takes the phone's registration when it
/// arrived. `wait` long-polls for the registration.
#[utoipa::path(get, path = "/v1/managed/enrollments/{eid}", tag = "managed",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id"), WaitQuery),
    responses(
        (status = 200, description = "status", body = EnrollmentStatusView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown (or another tenant's) enrollment", body = ErrorBody),
    ))]
pub async fn enrollment(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Query(wait): Query<WaitQuery>,
) -> AppResult<Json<EnrollmentStatusView>> {
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let mut status = enrollment_now(&rp, &tenant, &eid).await?;
    let timeout = wait.duration(&state, None);
    if status.status == "waiting" && !timeout.is_zero() {
        let store = state.store.clone();
        let text = eid.clone();
        state
            .waiters
            .wait(&keys::registration(&eid), timeout, || async move {
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

/// The code the phone shows, typed by the user on the login page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The account the offer was made for (the session's own account).
    pub account: String,
    /// The TOTP code the phone shows.
    pub code: String,
}

/// The outcome of an activation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationView {
    /// True: the phone is active. False: wrong code, the offer is dead; make a
    /// new one.
    pub activated: bool,
    /// The phone, when activated.
    pub device: Option<DeviceView>,
    /// 10 backup codes, issued now because the account had none: show them
    /// once.
    pub backup_codes: Option<Vec<String>>,
}

/// Activate the phone with the code it shows (one guess per offer).
#[utoipa::path(post, path = "/v1/managed/enrollments/{eid}/activate", tag = "managed",
    security(("api_key" = [])),
    params(("eid" = String, Path, description = "enrollment id")),
    request_body = ActivateBody,
    responses(
        (status = 200, description = "activated, or rejected (the offer is dead)", body = ActivationView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown (or another tenant's) enrollment", body = ErrorBody),
        (status = 409, description = "not awaiting activation", body = ErrorBody),
    ))]
pub async fn activate(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(eid): Path<String>,
    Json(body): Json<ActivateBody>,
) -> AppResult<Json<ActivationView>> {
    let key = tenant.account_key(&body.account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let id = owned_eid(&rp, &tenant, &eid).await?;
    let mut rng = rng()?;
    let result = blocking(move || async move {
        rp.activate(&key, &id, &body.code, &mut rng)
            .await
            .map_err(rp_error)
    })
    .await?;
    Ok(Json(match result {
        ActivationResult::Activated(done) => ActivationView {
            activated: true,
            device: Some(DeviceView::from(&done.device)),
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
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    /// Oldest first.
    pub devices: Vec<DeviceView>,
}

/// The account's phones (active or awaiting activation).
#[utoipa::path(get, path = "/v1/managed/accounts/{account}/devices", tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name")),
    responses(
        (status = 200, description = "phones", body = DeviceList),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
    ))]
pub async fn devices(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> AppResult<Json<DeviceList>> {
    let key = tenant.account_key(&account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let devices = rp.devices(&key).await.map_err(rp_error)?;
    Ok(Json(DeviceList {
        devices: devices.iter().map(DeviceView::from).collect(),
    }))
}

/// A removal.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedView {
    /// The device.
    pub device_id: String,
    /// True if it was live until now (false: removed before; the phone is
    /// told again).
    pub removed: bool,
}

/// Remove one of the account's phones; the phone gets a sealed removal
/// notice. Idempotent.
#[utoipa::path(delete, path = "/v1/managed/accounts/{account}/devices/{device_id}", tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name"),
           ("device_id" = String, Path, description = "device id")),
    responses(
        (status = 200, description = "removed", body = RemovedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "no such device for this account", body = ErrorBody),
    ))]
pub async fn remove_device(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path((account, device_id)): Path<(String, String)>,
) -> AppResult<Json<RemovedView>> {
    let key = tenant.account_key(&account)?;
    let id = DeviceId::parse(&device_id)
        .map_err(|_| AppError::new(ErrorCode::UnknownDevice, "no such device"))?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let removed = rp
        .remove_device(&key, &id, &mut rng()?)
        .await
        .map_err(rp_error)?;
    Ok(Json(RemovedView { device_id, removed }))
}

// ----- challenges -----

/// Start a push challenge for a login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The account logging in.
    pub account: String,
    /// The browser or app, e.g. "Firefox 126 on Windows" (≤ 200 bytes).
    pub client: String,
    /// The requester's IP address.
    pub ip: String,
    /// Approximate place, e.g. "Bern, CH" (≤ 120 bytes; may be empty).
    pub location: Option<String>,
}

/// A challenge just sent to the phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedView {
    /// The challenge id (public; for logs).
    pub challenge_id: String,
    /// Keep this in the browser session only (server side or an HttpOnly
    /// cookie); ask for the verdict and redeem with it. Never log it.
    pub handle: String,
    /// `number`, `code` or `simple`.
    pub kind: &'static str,
    /// Show this on the login page: the user types it on the phone.
    pub display: String,
    /// The phone asked.
    pub device_id: String,
    /// Its name ("Approve on Alice's iPhone").
    pub device_name: String,
    /// Deadline (Unix seconds).
    pub expires_at: u64,
}

/// Send a push challenge to the account's phone. Returns the number (or code)
/// to show and the session handle to keep.
#[utoipa::path(post, path = "/v1/managed/challenges", tag = "managed",
    security(("api_key" = [])), request_body = StartBody,
    responses(
        (status = 201, description = "sent", body = StartedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 409, description = "the account has no active phone", body = ErrorBody),
        (status = 429, description = "a challenge is pending, too many, muted or throttled", body = ErrorBody),
    ))]
pub async fn start(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<StartBody>,
) -> AppResult<(StatusCode, Json<StartedView>)> {
    let key = tenant.account_key(&body.account)?;
    let ip: IpAddr = body
        .ip
        .parse()
        .map_err(|_| AppError::new(ErrorCode::InvalidBody, "ip is not an IP address"))?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let context = LoginContext::new(
        &body.client,
        ip,
        body.location.as_deref().unwrap_or(""),
        rp.now(),
    );
    let started = rp
        .start_challenge(&key, &context, &mut rng()?)
        .await
        .map_err(rp_error)?;
    Ok((
        StatusCode::CREATED,
        Json(StartedView {
            challenge_id: started.challenge_id.to_string(),
            handle: started.handle.to_base64url().to_string(),
            kind: started.kind.as_str(),
            display: started.display.to_string(),
            device_id: started.device_id.to_string(),
            device_name: started.device_name,
            expires_at: started.expires_at,
        }),
    ))
}

/// A session handle, in the body (never in a URL: URLs get logged).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleBody {
    /// The handle from `POST /v1/managed/challenges`.
    pub handle: String,
    /// Seconds to wait for the phone's answer (0–30); 0 or absent answers at
    /// once. Only for the verdict.
    pub wait: Option<u64>,
}

impl std::fmt::Debug for HandleBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandleBody")
            .field("handle", &"<redacted>")
            .field("wait", &self.wait)
            .finish()
    }
}

fn unknown_session() -> AppError {
    AppError::new(
        ErrorCode::UnknownChallenge,
        "no challenge for this session handle",
    )
}

/// Parses the handle and checks that its challenge is this tenant's (the RP
/// library keys challenges by SHA-256 of the handle).
async fn owned_handle(
    rp: &assent_rp::Rp,
    tenant: &ManagedTenant,
    text: &str,
) -> AppResult<SessionHandle> {
    let handle = SessionHandle::parse(text)
        .map_err(|_| AppError::new(ErrorCode::InvalidBody, "malformed session handle"))?;
    let raw = b64_decode(text, "session handle").map_err(|_| unknown_session())?;
    match rp
        .store()
        .challenge_by_handle(&sha256(&raw))
        .await
        .map_err(rp_error)?
    {
        Some(record) if tenant.owns(&record.account) => Ok(handle),
        _ => Err(unknown_session()),
    }
}

/// The verdict on a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictView {
    /// `pending`, `approved` (redeem it now), `denied` (also a wrong number or
    /// code), `fraud` ("this wasn't me": pushes are muted), `expired`,
    /// `cancelled` (the phone was removed), `redeemed`.
    pub status: &'static str,
}

fn status_word(status: ChallengeStatus) -> &'static str {
    match status {
        ChallengeStatus::Pending => "pending",
        ChallengeStatus::Approved => "approved",
        ChallengeStatus::Denied => "denied",
        ChallengeStatus::FraudReported => "fraud",
        ChallengeStatus::Expired => "expired",
        ChallengeStatus::Cancelled => "cancelled",
        ChallengeStatus::Redeemed => "redeemed",
        _ => "unknown",
    }
}

/// The verdict on the challenge of this session handle, waiting up to `wait`
/// seconds for the phone. **Managed mode only: the relay verified the phone's
/// signed answer as this tenant's RP; end-to-end tenants never get a verdict
/// from the relay.**
#[utoipa::path(post, path = "/v1/managed/challenges/verdict", tag = "managed",
    security(("api_key" = [])), request_body = HandleBody,
    responses(
        (status = 200, description = "the verdict", body = VerdictView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown handle", body = ErrorBody),
    ))]
pub async fn verdict(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<HandleBody>,
) -> AppResult<Json<VerdictView>> {
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let handle = owned_handle(&rp, &tenant, &body.handle).await?;
    let wait = Duration::from_secs(body.wait.unwrap_or(0).min(state.config.max_wait_secs));
    let status = rp.poll_challenge(&handle, wait).await.map_err(rp_error)?;
    Ok(Json(VerdictView {
        status: status_word(status),
    }))
}

/// A redeemed approval: log the session in.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeemedView {
    /// The account that approved.
    pub account: String,
    /// The phone that approved.
    pub device_id: String,
    /// The challenge.
    pub challenge_id: String,
}

/// Turn an approval into a login, once, for the session that started it.
#[utoipa::path(post, path = "/v1/managed/challenges/redeem", tag = "managed",
    security(("api_key" = [])), request_body = HandleBody,
    responses(
        (status = 200, description = "redeemed: log the session in", body = RedeemedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown handle", body = ErrorBody),
        (status = 409, description = "not an unredeemed approval (not_redeemable)", body = ErrorBody),
    ))]
pub async fn redeem(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<HandleBody>,
) -> AppResult<Json<RedeemedView>> {
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let handle = owned_handle(&rp, &tenant, &body.handle).await?;
    let done = rp.redeem(&handle).await.map_err(rp_error)?;
    Ok(Json(RedeemedView {
        account: tenant.account_name(&done.account).to_owned(),
        device_id: done.device_id.to_string(),
        challenge_id: done.challenge_id.to_string(),
    }))
}

// ----- codes -----

/// A typed code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// What the user typed.
    pub code: String,
}

impl std::fmt::Debug for CodeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeBody(<redacted>)")
    }
}

/// The result of a code check.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    /// `accepted`, `rejected` (never saying why) or `throttled`.
    pub result: &'static str,
    /// With `throttled`: seconds until the next attempt is admitted.
    pub retry_after: Option<u64>,
}

fn verify_view(v: &Verification) -> VerifyView {
    let (result, retry_after) = verification_word(v);
    VerifyView {
        result,
        retry_after,
    }
}

/// Check a TOTP code (each code at most once; growing delays after failures).
#[utoipa::path(post, path = "/v1/managed/accounts/{account}/totp/verify", tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name")),
    request_body = CodeBody,
    responses(
        (status = 200, description = "checked", body = VerifyView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
    ))]
pub async fn verify_totp(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
    Json(body): Json<CodeBody>,
) -> AppResult<Json<VerifyView>> {
    let key = tenant.account_key(&account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let v = rp.verify_totp(&key, &body.code).await.map_err(rp_error)?;
    Ok(Json(verify_view(&v)))
}

/// New backup codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodesView {
    /// 10 single-use codes; show them once (they are stored hashed only).
    pub codes: Vec<String>,
}

/// Generate 10 new backup codes, replacing (and invalidating) the old set.
#[utoipa::path(post, path = "/v1/managed/accounts/{account}/backup-codes", tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name")),
    responses(
        (status = 201, description = "generated", body = BackupCodesView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
    ))]
pub async fn backup_codes(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> AppResult<(StatusCode, Json<BackupCodesView>)> {
    let key = tenant.account_key(&account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let mut rng = rng()?;
    let codes = blocking(move || async move {
        rp.generate_backup_codes(&key, &mut rng)
            .await
            .map_err(rp_error)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(BackupCodesView {
            codes: codes.iter().map(str::to_owned).collect(),
        }),
    ))
}

/// Check a backup code (spent when accepted; same limiter as TOTP).
#[utoipa::path(post, path = "/v1/managed/accounts/{account}/backup-codes/verify", tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name")),
    request_body = CodeBody,
    responses(
        (status = 200, description = "checked", body = VerifyView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
    ))]
pub async fn verify_backup_code(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
    Json(body): Json<CodeBody>,
) -> AppResult<Json<VerifyView>> {
    let key = tenant.account_key(&account)?;
    let rp = managed(&state)?.rp(&state, &tenant).await?;
    let v = blocking(move || async move {
        rp.verify_backup_code(&key, &body.code)
            .await
            .map_err(rp_error)
    })
    .await?;
    Ok(Json(verify_view(&v)))
}
