//! Devices: unenroll requests forwarded from phones, and removal.

use assent_protocol::{DeviceId, UnenrollConfirmation};
use axum::extract::State;
use axum::http::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path};
use crate::routes::Routes;
use crate::state::AppState;
use crate::store::{db_time, RemovalRecord};

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::GET, "/v1/rp/unenrollments", unenrollments)
        .at(Method::POST, "/v1/rp/devices/{device_id}/remove", remove)
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
#[utoipa::path(get, path = "/v1/rp/unenrollments", tag = "rp",
    security(("api_key" = [])),
    responses((status = 200, description = "pending unenroll requests", body = UnenrollList)))]
pub async fn unenrollments(
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

/// Removal, with the confirmation sealed for the phone when it asked.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Remove {
    /// The sealed confirmation (docs/protocol.md §7) for a phone that asked.
    #[schema(value_type = Option<Object>)]
    pub confirmation: Option<serde_json::Value>,
}

/// The outcome of a removal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// The removed device.
    pub device_id: String,
    /// Always true (removal is idempotent).
    pub removed: bool,
}

fn unknown_device() -> AppError {
    AppError::new(ErrorCode::UnknownDevice, "no such device for this tenant")
}

/// Remove a device with its challenges. Idempotent.
#[utoipa::path(post, path = "/v1/rp/devices/{device_id}/remove", tag = "rp",
    security(("api_key" = [])),
    params(("device_id" = String, Path, description = "device id")),
    request_body = Remove,
    responses(
        (status = 200, description = "removed", body = Removed),
        (status = 404, description = "unknown (or another tenant's) device", body = ErrorBody),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    auth: RpAuth,
    Path(device_id): Path<String>,
    Json(body): Json<Remove>,
) -> AppResult<Json<Removed>> {
    let parsed = DeviceId::parse(&device_id).map_err(|_| unknown_device())?;
    let confirmation = match body.confirmation {
        Some(value) => {
            let text = value.to_string();
            let confirmation = UnenrollConfirmation::from_json(text.as_bytes())?;
            if confirmation.device_id != parsed {
                return Err(AppError::new(
                    ErrorCode::InvalidBody,
                    "confirmation is for another device",
                ));
            }
            Some(confirmation.to_json())
        }
        None => None,
    };
    let removed = Removed {
        device_id: device_id.clone(),
        removed: true,
    };
    let Some(device) = state.store.device(&device_id).await? else {
        return match state.store.removal(&device_id).await? {
            Some(r) if r.tenant_id == auth.tenant_id => Ok(Json(removed)),
            _ => Err(unknown_device()),
        };
    };
    if device.tenant_id != auth.tenant_id {
        return Err(unknown_device());
    }
    let now = state.clock.now();
    let record = RemovalRecord {
        device_id: device_id.clone(),
        tenant_id: auth.tenant_id.clone(),
        device_pub: device.device_pub,
        confirmation,
        removed_at: db_time(now),
        expires_at: db_time(now.saturating_add(REMOVAL_RETENTION_SECS)),
    };
    state
        .store
        .remove_device(&auth.tenant_id, &device_id, &record)
        .await?;
    Ok(Json(removed))
}
