//! Managed push logins: start, verdict, redeem.

use std::net::IpAddr;

use assent_protocol::api::managed::{
    HandleBody, RedeemedView, StartBody, StartedView, Verdict, VerdictView,
};
use assent_protocol::api::{self, ErrorBody};
use assent_protocol::{b64_decode, sha256};
use assent_rp::{ChallengeStatus, LoginContext, SessionHandle};
use axum::extract::State;
use axum::http::StatusCode;

use super::rp_for;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::Json;
use crate::managed::{rng, rp_error, ManagedTenant};
use crate::routes::responses::{BadRequest, NotJson, TooLarge, Unauthorized, Unavailable};
use crate::state::AppState;

/// Send a push challenge to the account's phone. Returns the number (or code)
/// to show and the session handle to keep.
#[utoipa::path(post, path = api::MANAGED_CHALLENGES, tag = "managed",
    security(("api_key" = [])), request_body = StartBody,
    responses(
        (status = 201, description = "sent", body = StartedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 409, description = "the account has no active phone", body = ErrorBody),
        (status = 429, description = "a challenge is pending, too many, muted or throttled", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
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
    let rp = rp_for(&state, &tenant).await?;
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
            kind: started.kind,
            display: started.display.to_string(),
            device_id: started.device_id.to_string(),
            device_name: started.device_name,
            expires_at: started.expires_at,
        }),
    ))
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

fn verdict_of(status: ChallengeStatus) -> Verdict {
    match status {
        ChallengeStatus::Pending => Verdict::Pending,
        ChallengeStatus::Approved => Verdict::Approved,
        ChallengeStatus::Denied => Verdict::Denied,
        ChallengeStatus::FraudReported => Verdict::Fraud,
        ChallengeStatus::Expired => Verdict::Expired,
        ChallengeStatus::Cancelled => Verdict::Cancelled,
        ChallengeStatus::Redeemed => Verdict::Redeemed,
        // A status a newer library adds: nothing to redeem yet.
        _ => Verdict::Pending,
    }
}

/// The verdict on the challenge of this session handle, waiting up to `wait`
/// seconds for the phone. **Managed mode only: the relay verified the phone's
/// signed answer as this tenant's RP; end-to-end tenants never get a verdict
/// from the relay.**
#[utoipa::path(post, path = api::MANAGED_VERDICT, tag = "managed",
    security(("api_key" = [])), request_body = HandleBody,
    responses(
        (status = 200, description = "the verdict", body = VerdictView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown handle", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn verdict(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<HandleBody>,
) -> AppResult<Json<VerdictView>> {
    let rp = rp_for(&state, &tenant).await?;
    let handle = owned_handle(&rp, &tenant, &body.handle).await?;
    let wait = state.wait_for(body.wait, None);
    let status = rp.poll_challenge(&handle, wait).await.map_err(rp_error)?;
    Ok(Json(VerdictView {
        status: verdict_of(status),
    }))
}

/// Turn an approval into a login, once, for the session that started it.
#[utoipa::path(post, path = api::MANAGED_REDEEM, tag = "managed",
    security(("api_key" = [])), request_body = HandleBody,
    responses(
        (status = 200, description = "redeemed: log the session in", body = RedeemedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "unknown handle", body = ErrorBody),
        (status = 409, description = "not an unredeemed approval (not_redeemable)", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn redeem(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Json(body): Json<HandleBody>,
) -> AppResult<Json<RedeemedView>> {
    let rp = rp_for(&state, &tenant).await?;
    let handle = owned_handle(&rp, &tenant, &body.handle).await?;
    let done = rp.redeem(&handle).await.map_err(rp_error)?;
    Ok(Json(RedeemedView {
        account: tenant.account_name(&done.account).to_owned(),
        device_id: done.device_id.to_string(),
        challenge_id: done.challenge_id.to_string(),
    }))
}
