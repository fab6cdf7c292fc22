//! Push-token updates and unenrollment ([`crate::exchange::devices`] holds the rules).

use assent_protocol::api::{self, ErrorBody, PushTokenApplied, UnenrollRequested};
use assent_protocol::{PushTokenUpdate, UnenrollConfirmation, UnenrollRequest};
use axum::extract::State;
use axum::http::Method;

use super::authenticate;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::exchange::devices::Unenrollment;
use crate::extract::Json;
use crate::routes::responses::{BadRequest, TooLarge, Unavailable};
use crate::routes::Routes;
use crate::signed::SignedRequest;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, api::PUSH_TOKEN, push_token)
        .at(Method::POST, api::UNENROLL, unenroll)
        .at(Method::GET, api::UNENROLL, unenroll_status)
}

/// Update the push target (docs/protocol.md §6.1); applied only if `seq` is
/// greater than the stored one.
#[utoipa::path(post, path = api::PUSH_TOKEN, tag = "device",
    request_body(content = Object, description = "PushTokenUpdate JSON (docs/protocol.md §6.1)"),
    responses(
        (status = 200, description = "applied or not", body = PushTokenApplied),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn push_token(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<PushTokenApplied>> {
    let device = authenticate(&state, &request).await?;
    let update = PushTokenUpdate::from_json(request.body())?;
    Ok(Json(state.update_push_token(&device, &update).await?))
}

/// Ask the RP to remove this device (docs/protocol.md §7). Idempotent.
#[utoipa::path(post, path = api::UNENROLL, tag = "device",
    request_body(content = Object, description = "UnenrollRequest JSON (docs/protocol.md §7)"),
    responses(
        (status = 200, description = "forwarded to the RP", body = UnenrollRequested),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn unenroll(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<UnenrollRequested>> {
    let device = authenticate(&state, &request).await?;
    let statement = UnenrollRequest::from_json(request.body())?;
    Ok(Json(state.request_unenroll(&device, &statement).await?))
}

/// The RP's sealed confirmation (docs/protocol.md §7); 404 `not_ready`
/// until the RP confirms. Works after removal: the removal record keeps the
/// device key that signs this request.
#[utoipa::path(get, path = api::UNENROLL, tag = "device",
    responses(
        (status = 200, description = "UnenrollConfirmation JSON (docs/protocol.md §7)", body = Object),
        (status = 401, description = "bad signature or timestamp", body = ErrorBody),
        (status = 404, description = "unknown device, or not confirmed yet (not_ready)", body = ErrorBody),
        BadRequest, TooLarge, Unavailable,
    ))]
pub async fn unenroll_status(
    State(state): State<AppState>,
    request: SignedRequest,
) -> AppResult<Json<UnenrollConfirmation>> {
    let confirmation = match state.unenrollment(&request.device_id()).await? {
        Unenrollment::Enrolled { device_pub } => {
            request.verify(&state, &device_pub)?;
            None
        }
        Unenrollment::Removed {
            device_pub,
            confirmation,
        } => {
            request.verify(&state, &device_pub)?;
            confirmation
        }
    };
    confirmation.map(Json).ok_or_else(|| {
        AppError::new(
            ErrorCode::NotReady,
            "the RP has not confirmed the removal yet",
        )
    })
}
