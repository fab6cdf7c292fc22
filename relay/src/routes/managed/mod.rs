//! `/v1/managed/...`: the HTTP API of managed mode (API key of a managed
//! tenant). The relay acts as the tenant's RP ([`crate::managed`]) and gives
//! verdicts, so the tenant trusts it; an end-to-end tenant gets 403
//! `not_managed` on every one of these routes.
//!
//! Request bodies carry codes and session handles: they are never logged.

pub mod challenges;
pub mod codes;
pub mod devices;
pub mod enrollments;

use assent_protocol::api;
use assent_rp::Rp;
use axum::http::Method;

use super::Routes;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::managed::{Managed, ManagedTenant};
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::POST, api::MANAGED_ENROLLMENTS, enrollments::offer)
        .at(
            Method::GET,
            api::MANAGED_ENROLLMENT,
            enrollments::enrollment,
        )
        .at(Method::POST, api::MANAGED_ACTIVATE, enrollments::activate)
        .at(Method::GET, api::MANAGED_DEVICES, devices::devices)
        .at(Method::DELETE, api::MANAGED_DEVICE, devices::remove_device)
        .at(Method::POST, api::MANAGED_CHALLENGES, challenges::start)
        .at(Method::POST, api::MANAGED_VERDICT, challenges::verdict)
        .at(Method::POST, api::MANAGED_REDEEM, challenges::redeem)
        .at(Method::POST, api::MANAGED_TOTP_VERIFY, codes::verify_totp)
        .at(Method::POST, api::MANAGED_BACKUP_CODES, codes::backup_codes)
        .at(
            Method::POST,
            api::MANAGED_BACKUP_CODE_VERIFY,
            codes::verify_backup_code,
        )
}

/// The RP library acting for `tenant`.
async fn rp_for(state: &AppState, tenant: &ManagedTenant) -> AppResult<Rp> {
    managed(state)?.rp(state, tenant).await
}

/// The managed-mode RP state, or `not_managed` when the relay runs without it.
fn managed(state: &AppState) -> AppResult<&Managed> {
    state
        .features
        .as_ref()
        .map(|f| f.managed.as_ref())
        .ok_or_else(|| AppError::new(ErrorCode::NotManaged, "managed mode is not enabled"))
}
