//! Devices: removal, unenroll requests forwarded from phones, and the RP's
//! sealed confirmations.

use assent_protocol::{DeviceId, UnenrollConfirmation};
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use utoipa::ToSchema;

use super::unknown_device;
use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, RawBody};
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::{db_time, RemovalRecord};

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::DELETE, "/v1/rp/devices/{device_id}", remove)
        .at(Method::GET, "/v1/rp/unenroll-requests", unenroll_requests)
        .at(
            Method::POST,
            "/v1/rp/devices/{device_id}/unenrolled",
            unenrolled,
        )
}

/// How long a removal record (and its confirmation) stays for the phone.
const REMOVAL_RETENTION_SECS: u64 = 7 * 24 * 3600;

/// Unenroll requests from phones.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnenrollList {
    /// The phones' signed statements (docs/protocol.md §7), oldest first.
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<serde_json::Value>,
}

/// Phones that asked to be unenrolled; the RP verifies each statement.
#[utoipa::path(get, path = "/v1/rp/unenroll-requests", tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "pending unenroll requests", body = UnenrollList)))]
pub async fn unenroll_requests(
    State(state): State<AppState>,
    auth: RpAuth,
) -> AppResult<Json<UnenrollList>> {
    let devices = state.store.unenroll_requests(&auth.tenant_id, 100).await?;
    let requests = devices
        .iter()
        .filter_map(|d| d.unenroll.as_deref())
        .map(serde_json::from_str)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    Ok(Json(UnenrollList { requests }))
}

/// The outcome of a removal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// The removed device.
    pub device_id: String,
    /// Always true (removal is idempotent).
    pub removed: bool,
}

/// Removes the tenant's device (keeping a removal record), or confirms an
/// earlier removal by this tenant; otherwise `unknown_device`.
async fn remove_with(
    state: &AppState,
    auth: &RpAuth,
    device_id: &str,
    confirmation: Option<String>,
) -> AppResult<Removed> {
    DeviceId::parse(device_id).map_err(|_| unknown_device())?;
    let removed = Removed {
        device_id: device_id.to_owned(),
        removed: true,
    };
    let Some(device) = state.store.device(device_id).await? else {
        return match state.store.removal(device_id).await? {
            Some(r) if r.tenant_id == auth.tenant_id => {
                if let Some(confirmation) = confirmation {
                    state
                        .store
                        .confirm_removal(&auth.tenant_id, device_id, &confirmation)
                        .await?;
                }
                Ok(removed)
            }
            _ => Err(unknown_device()),
        };
    };
    if device.tenant_id != auth.tenant_id {
        return Err(unknown_device());
    }
    let now = state.clock.now();
    let record = RemovalRecord {
        device_id: device_id.to_owned(),
        tenant_id: auth.tenant_id.clone(),
        device_pub: device.device_pub,
        confirmation,
        removed_at: db_time(now),
        expires_at: db_time(now.saturating_add(REMOVAL_RETENTION_SECS)),
    };
    state
        .store
        .remove_device(&auth.tenant_id, device_id, &record)
        .await?;
    Ok(removed)
}

/// Remove a device and its challenges. Idempotent.
#[utoipa::path(delete, path = "/v1/rp/devices/{device_id}", tag = "rp",
    security(("api_key" = [])),
    params(("device_id" = String, Path, description = "device id")),
    responses(
        (status = 200, description = "removed", body = Removed),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(device_id): Path<String>,
) -> AppResult<Json<Removed>> {
    Ok(Json(remove_with(&state, &auth, &device_id, None).await?))
}

/// Confirm a phone's unenroll request with the sealed confirmation
/// (docs/protocol.md §7) and remove the device. Idempotent.
#[utoipa::path(post, path = "/v1/rp/devices/{device_id}/unenrolled", tag = "rp",
    security(("api_key" = [])),
    params(("device_id" = String, Path, description = "device id")),
    request_body(content = Object, description = "UnenrollConfirmation JSON (docs/protocol.md §7)"),
    responses(
        (status = 200, description = "removed; the phone can fetch the confirmation", body = Removed),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
    ))]
pub async fn unenrolled(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(device_id): Path<String>,
    RawBody(body): RawBody,
) -> AppResult<Json<Removed>> {
    let confirmation = UnenrollConfirmation::from_json(&body)?;
    if confirmation.device_id.to_string() != device_id {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "confirmation is for another device",
        ));
    }
    let text = confirmation.to_json();
    Ok(Json(
        remove_with(&state, &auth, &device_id, Some(text)).await?,
    ))
}
