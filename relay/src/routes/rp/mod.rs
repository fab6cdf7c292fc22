//! Relying-party API (API key). The tenant of every enrollment, device and
//! challenge is read from the stored record and compared with the caller's;
//! another tenant's record answers exactly like a missing one (404).

pub mod challenges;
pub mod devices;
pub mod enrollments;
pub mod tenant;

use super::Routes;
use crate::error::{AppError, ErrorCode};

pub(crate) fn routes(routes: Routes) -> Routes {
    let routes = tenant::routes(routes);
    let routes = enrollments::routes(routes);
    let routes = challenges::routes(routes);
    devices::routes(routes)
}

/// The answer for a device that does not exist or is another tenant's.
pub(crate) fn unknown_device() -> AppError {
    AppError::new(ErrorCode::UnknownDevice, "no such device for this tenant")
}
