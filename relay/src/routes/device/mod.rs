//! Device API (docs/protocol.md §3.2, §4–§7). Registration is unsigned (the
//! device has no id yet; the eid must have been announced); every other
//! request is signed by the device key ([`crate::signed`]). Cheap checks —
//! header syntax, timestamp, sizes, known ids — come before the signature.

pub mod challenges;
pub mod enrollment;
pub mod lifecycle;
pub mod webpush;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::signed::SignedRequest;
use crate::state::AppState;
use crate::store::DeviceRecord;

use super::Routes;

pub(crate) fn routes(routes: Routes) -> Routes {
    let routes = enrollment::routes(routes);
    let routes = challenges::routes(routes);
    let routes = lifecycle::routes(routes);
    webpush::routes(routes)
}

/// Looks up the signing device (known id) and verifies the signature.
pub(crate) async fn authenticate(
    state: &AppState,
    request: &SignedRequest,
) -> AppResult<DeviceRecord> {
    let device = state
        .store
        .device(&request.device_id())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::UnknownDevice, "unknown device"))?;
    request.verify(state, &device.device_pub)?;
    Ok(device)
}
