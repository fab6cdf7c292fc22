//! An account's phones: list and remove.

use assent_protocol::api::managed::{DeviceList, RemovedView};
use assent_protocol::api::{self, ErrorBody};
use assent_rp::DeviceId;
use axum::extract::State;

use super::enrollments::device_view;
use super::rp_for;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{Json, Path};
use crate::managed::{rng, rp_error, ManagedTenant};
use crate::routes::responses::{BadRequest, Unauthorized, Unavailable};
use crate::state::AppState;

/// The account's phones (active or awaiting activation).
#[utoipa::path(get, path = api::MANAGED_DEVICES, tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name (1–128 bytes, no control characters)",
        min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")),
    responses(
        (status = 200, description = "phones", body = DeviceList),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        BadRequest, Unauthorized, Unavailable,
    ))]
pub async fn devices(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> AppResult<Json<DeviceList>> {
    let key = tenant.account_key(&account)?;
    let rp = rp_for(&state, &tenant).await?;
    let devices = rp.devices(&key).await.map_err(rp_error)?;
    Ok(Json(DeviceList {
        devices: devices.iter().map(device_view).collect(),
    }))
}

/// Remove one of the account's phones; the phone gets a sealed removal
/// notice. Idempotent.
#[utoipa::path(delete, path = api::MANAGED_DEVICE, tag = "managed",
    security(("api_key" = [])),
    params(("account" = String, Path, description = "account name (1–128 bytes, no control characters)",
        min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
           ("device_id" = String, Path, description = "device id")),
    responses(
        (status = 200, description = "removed", body = RemovedView),
        (status = 403, description = "not a managed tenant", body = ErrorBody),
        (status = 404, description = "no such device for this account", body = ErrorBody),
        BadRequest, Unauthorized, Unavailable,
    ))]
pub async fn remove_device(
    tenant: ManagedTenant,
    State(state): State<AppState>,
    Path((account, device_id)): Path<(String, String)>,
) -> AppResult<Json<RemovedView>> {
    let key = tenant.account_key(&account)?;
    let id = DeviceId::parse(&device_id)
        .map_err(|_| AppError::new(ErrorCode::UnknownDevice, "no such device"))?;
    let rp = rp_for(&state, &tenant).await?;
    let removed = rp
        .remove_device(&key, &id, &mut rng()?)
        .await
        .map_err(rp_error)?;
    Ok(Json(RemovedView { device_id, removed }))
}
