//! Devices: removal, unenroll requests forwarded from phones, and the RP's
//! sealed confirmations ([`crate::exchange::devices`] holds the rules).

use assent_protocol::api::{self, ErrorBody, Removed, UnenrollList};
use assent_protocol::UnenrollConfirmation;
use axum::extract::State;
use axum::http::Method;

use crate::auth::RpAuth;
use crate::error::AppResult;
use crate::extract::{Json, Path, RawBody};
use crate::routes::responses::{BadRequest, TooLarge, Unauthorized, Unavailable};
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::DELETE, api::RP_DEVICE, remove)
        .at(Method::GET, api::RP_UNENROLL_REQUESTS, unenroll_requests)
        .at(Method::POST, api::RP_UNENROLLED, unenrolled)
}

/// Phones that asked to be unenrolled; the RP verifies each statement.
#[utoipa::path(get, path = api::RP_UNENROLL_REQUESTS, tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "pending unenroll requests", body = UnenrollList), Unauthorized, Unavailable))]
pub async fn unenroll_requests(
    State(state): State<AppState>,
    auth: RpAuth,
) -> AppResult<Json<UnenrollList>> {
    Ok(Json(state.unenroll_requests(&auth.tenant_id).await?))
}

/// Remove a device and its challenges. Idempotent.
#[utoipa::path(delete, path = api::RP_DEVICE, tag = "rp",
    security(("api_key" = [])),
    params(("device_id" = String, Path, description = "device id")),
    responses(
        (status = 200, description = "removed", body = Removed),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
        BadRequest, Unauthorized, Unavailable,
    ))]
pub async fn remove(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(device_id): Path<String>,
) -> AppResult<Json<Removed>> {
    Ok(Json(
        state
            .remove_device(&auth.tenant_id, &device_id, None)
            .await?,
    ))
}

/// Confirm a phone's unenroll request with the sealed confirmation
/// (docs/protocol.md §7) and remove the device. Idempotent.
#[utoipa::path(post, path = api::RP_UNENROLLED, tag = "rp",
    security(("api_key" = [])),
    params(("device_id" = String, Path, description = "device id")),
    request_body(content = Object, description = "UnenrollConfirmation JSON (docs/protocol.md §7)"),
    responses(
        (status = 200, description = "removed; the phone can fetch the confirmation", body = Removed),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
        BadRequest, Unauthorized, TooLarge, Unavailable,
    ))]
pub async fn unenrolled(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(device_id): Path<String>,
    RawBody(body): RawBody,
) -> AppResult<Json<Removed>> {
    let confirmation = UnenrollConfirmation::from_json(&body)?;
    Ok(Json(
        state
            .remove_device(&auth.tenant_id, &device_id, Some(&confirmation))
            .await?,
    ))
}
