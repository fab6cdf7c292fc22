//! Relying-party endpoints about the calling tenant itself.

use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::GET, "/v1/rp/tenant", whoami)
}

/// The tenant an API key acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantInfo {
    /// Tenant id.
    pub id: String,
    /// Tenant name.
    pub name: String,
    /// The relay's clock, Unix seconds.
    pub time: u64,
}

/// Which tenant this API key belongs to (a cheap way to test a key).
#[utoipa::path(get, path = "/v1/rp/tenant", tag = "rp",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the key's tenant", body = TenantInfo),
        (status = 401, description = "missing, invalid or revoked key", body = ErrorBody),
    ))]
pub async fn whoami(State(state): State<AppState>, auth: RpAuth) -> AppResult<Json<TenantInfo>> {
    let tenant = state
        .store
        .tenant(&auth.tenant_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::UnknownTenant, "tenant no longer exists"))?;
    Ok(Json(TenantInfo {
        id: tenant.id,
        name: tenant.name,
        time: state.clock.now(),
    }))
}
