//! Push-token updates and unenrollment.

use assent_protocol::{PushTokenUpdate, UnenrollConfirmation, UnenrollRequest};
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use utoipa::ToSchema;

use super::authenticate;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::routes::Routes;
use crate::signed::SignedRequest;
use crate::state::AppState;
use crate::store::db_time;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, "/v1/push-token", push_token)
        .at(Method::POST, "/v1/unenroll", unenroll)
        .at(Method::GET, "/v1/unenroll", unenroll_status)
}

/// Whether a push-token update was applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushTokenApplied {
    /// False when the stored `seq` is not smaller (a replay or a reordering).
    pub applied: bool,
}

/// Update the push target (docs/protocol.md §6.1); applied only if `seq` is
/// greater than the stored one.
#[utoipa::path(post, path = "/v1/push-token", tag = "device",
    request_body(content = Object, description = "PushTokenUpdate JSON (docs/protocol.md §6.1)"),
    responses(
        (status = 200, description = "applied or not", body = PushTokenApplied),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    ))]
pub async fn push_token(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<PushTokenApplied>> {
    let device = authenticate(&state, &request).await?;
    let update = PushTokenUpdate::from_json(request.body())?;
    let seq = i64::try_from(update.seq)
        .map_err(|_| AppError::new(ErrorCode::InvalidBody, "seq is too large"))?;
    let applied = state
        .store
        .update_push_token(
            &device.device_id,
            update.platform.as_str(),
            &update.push_token,
            seq,
            // When this token was registered: an APNs 410 older than this is
            // about an earlier registration and does not kill the token.
            db_time(state.clock.now()),
        )
        .await?;
    Ok(Json(PushTokenApplied { applied }))
}

/// An unenroll request was recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnenrollRequested {
    /// Always `requested`: the RP confirms through `GET /v1/unenroll`.
    pub status: &'static str,
}

/// Ask the RP to remove this device (docs/protocol.md §7). Idempotent.
#[utoipa::path(post, path = "/v1/unenroll", tag = "device",
    request_body(content = Object, description = "UnenrollRequest JSON (docs/protocol.md §7)"),
    responses(
        (status = 200, description = "forwarded to the RP", body = UnenrollRequested),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    ))]
pub async fn unenroll(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<UnenrollRequested>> {
    let device = authenticate(&state, &request).await?;
    let statement = UnenrollRequest::from_json(request.body())?;
    if statement.device_id != request.auth.device_id {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "statement names another device than the request",
        ));
    }
    state
        .store
        .request_unenroll(
            &device.device_id,
            &statement.to_json(),
            db_time(state.clock.now()),
        )
        .await?;
    if device.unenroll.is_none() {
        crate::features::unenroll_requested(&state, &device.tenant_id, &device.device_id);
    }
    Ok(Json(UnenrollRequested {
        status: "requested",
    }))
}

fn not_confirmed() -> AppError {
    AppError::new(
        ErrorCode::NotReady,
        "the RP has not confirmed the removal yet",
    )
}

/// The RP's sealed confirmation (docs/protocol.md §7); 404 `not_ready`
/// until the RP confirms. Works after removal: the removal record keeps the
/// device key that signs this request.
#[utoipa::path(get, path = "/v1/unenroll", tag = "device",
    responses(
        (status = 200, description = "UnenrollConfirmation JSON (docs/protocol.md §7)", body = Object),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device, or not confirmed yet (not_ready)", body = ErrorBody),
    ))]
pub async fn unenroll_status(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<UnenrollConfirmation>> {
    let device_id = request.device_id();
    if let Some(device) = state.store.device(&device_id).await? {
        request.verify(&state, &device.device_pub)?;
        return Err(not_confirmed());
    }
    let removal = state
        .store
        .removal(&device_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::UnknownDevice, "unknown device"))?;
    request.verify(&state, &removal.device_pub)?;
    let text = removal.confirmation.ok_or_else(not_confirmed)?;
    let confirmation = UnenrollConfirmation::from_json(text.as_bytes())
        .map_err(|e| AppError::internal(format!("stored confirmation unreadable: {e}")))?;
    Ok(Json(confirmation))
}
