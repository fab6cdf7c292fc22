//! Managed second-factor codes: TOTP and backup codes.

use std::net::IpAddr;

use assent_protocol::api::managed::{BackupCodesView, CodeBody, CodeCheck, VerifyView};
use assent_protocol::api::{self, ErrorBody};
use assent_rp::{Source, Verification};
use axum::extract::State;
use axum::http::StatusCode;

use super::{managed, rp_for};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{Json, Path};
use crate::managed::{rng, rp_error, ManagedTenant};
use crate::routes::responses::{BadRequest, NotJson, TooLarge, Unauthorized, Unavailable};
use crate::state::AppState;

/// Where a code check comes from: the body's `ip`, or an unknown source.
fn source(body: &CodeBody) -> AppResult<Source> {
    match &body.ip {
        None => Ok(Source::Unknown),
        Some(text) => text
            .parse::<IpAddr>()
            .map(Source::Ip)
            .map_err(|_| AppError::new(ErrorCode::InvalidBody, "ip is not an IP address")),
    }
}

fn verify_view(v: &Verification) -> VerifyView {
    match v {
        Verification::Accepted => VerifyView {
            result: CodeCheck::Accepted,
            retry_after: None,
        },
        Verification::Throttled { retry_after } => VerifyView {
            result: CodeCheck::Throttled,
            retry_after: Some(retry_after.as_secs()),
        },
        _ => VerifyView {
            result: CodeCheck::Rejected,
            retry_after: None,
        },
    }
}

/// Check a TOTP code (each code at most once; growing delays after failures).
#[utoipa::path(post, path = api::MANAGED_TOTP_VERIFY, tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name (1–128 bytes, no control characters)",
        min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")),
    request_body = CodeBody,
    responses(
        (status = 200, description = "checked", body = VerifyView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 409, description = "the account has no TOTP secret (`not_pending`)", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn verify_totp(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
    Json(body): Json<CodeBody>,
) -> AppResult<Json<VerifyView>> {
    let key = tenant.account_key(&account)?;
    let source = source(&body)?;
    let rp = rp_for(&state, &tenant).await?;
    let v = rp
        .from_source(source)
        .verify_totp(&key, &body.code)
        .await
        .map_err(rp_error)?;
    Ok(Json(verify_view(&v)))
}

/// Generate 10 new backup codes, replacing (and invalidating) the old set.
#[utoipa::path(post, path = api::MANAGED_BACKUP_CODES, tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name (1–128 bytes, no control characters)",
        min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")),
    responses(
        (status = 201, description = "generated", body = BackupCodesView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        BadRequest, Unauthorized, Unavailable,
    ))]
pub async fn backup_codes(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> AppResult<(StatusCode, Json<BackupCodesView>)> {
    let key = tenant.account_key(&account)?;
    let rp = rp_for(&state, &tenant).await?;
    let mut rng = rng()?;
    let codes = managed(&state)?
        .hashing(move || async move {
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
#[utoipa::path(post, path = api::MANAGED_BACKUP_CODE_VERIFY, tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name (1–128 bytes, no control characters)",
        min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")),
    request_body = CodeBody,
    responses(
        (status = 200, description = "checked", body = VerifyView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, NotJson, Unavailable,
    ))]
pub async fn verify_backup_code(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
    Json(body): Json<CodeBody>,
) -> AppResult<Json<VerifyView>> {
    let key = tenant.account_key(&account)?;
    let source = source(&body)?;
    let rp = rp_for(&state, &tenant).await?;
    let v = managed(&state)?
        .hashing(move || async move {
            rp.from_source(source)
                .verify_backup_code(&key, &body.code)
                .await
                .map_err(rp_error)
        })
        .await?;
    Ok(Json(verify_view(&v)))
}
