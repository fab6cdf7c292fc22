//! Relying-party API (API key). The tenant of every enrollment, device and
//! challenge is read from the stored record and compared with the caller's;
//! another tenant's record answers exactly like a missing one (404).

pub mod challenges;
pub mod devices;
pub mod enrollments;
pub mod tenant;
pub mod webhook;

use super::Routes;

pub(crate) fn routes(routes: Routes) -> Routes {
    let routes = tenant::routes(routes);
    let routes = enrollments::routes(routes);
    let routes = challenges::routes(routes);
    let routes = devices::routes(routes);
    webhook::routes(routes)
}
