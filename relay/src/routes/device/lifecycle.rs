//! Push-token updates and unenrollment.

use assent_protocol::{PushTokenUpdate, UnenrollConfirmation, UnenrollRequest};
use axum::extract::State;
use axum::http::{Method, StatusCode};
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
        )
        .await?;
    Ok(Json(PushTokenApplied { applied }))
}

/// State of an unenrollment.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnenrollStatus {
    /// `requested` (waiting for the RP) or `removed`.
    pub status: &'static str,
    /// The RP's sealed confirmation (docs/protocol.md §7), once removed with
    /// one; the phone reports success only when it opens.
    #[schema(value_type = Option<Object>)]
    pub confirmation: Option<serde_json::Value>,
}

/// Ask the RP to remove this device (docs/protocol.md §7). Idempotent.
#[utoipa::path(post, path = "/v1/unenroll", tag = "device",
    request_body(content = Object, description = "UnenrollRequest JSON (docs/protocol.md §7)"),
    responses(
        (status = 202, description = "forwarded to the RP", body = UnenrollStatus),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    ))]
pub async fn unenroll(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<(StatusCode, Json<UnenrollStatus>)> {
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
    Ok((
        StatusCode::ACCEPTED,
        Json(UnenrollStatus {
            status: "requested",
            confirmation: None,
        }),
    ))
}

/// Whether the RP removed this device, with its confirmation. Works after
/// removal (the removal record keeps the device key).
#[utoipa::path(get, path = "/v1/unenroll", tag = "device",
    responses(
        (status = 200, description = "requested or removed", body = UnenrollStatus),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
    ))]
pub async fn unenroll_status(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<UnenrollStatus>> {
    let device_id = request.device_id();
    if let Some(device) = state.store.device(&device_id).await? {
        request.verify(&state, &device.device_pub)?;
        return Ok(Json(UnenrollStatus {
            status: "requested",
            confirmation: None,
        }));
    }
    let removal = state
        .store
        .removal(&device_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::UnknownDevice, "unknown device"))?;
    request.verify(&state, &removal.device_pub)?;
    let confirmation = removal
        .confirmation
        .map(|text| {
            UnenrollConfirmation::from_json(text.as_bytes())
                .map_err(|e| AppError::internal(format!("stored confirmation unreadable: {e}")))
                .and_then(|c| serde_json::to_value(c).map_err(AppError::internal))
        })
        .transpose()?;
    Ok(Json(UnenrollStatus {
        status: "removed",
        confirmation,
    }))
}
