//! Relying-party endpoints about the calling tenant itself.

use assent_protocol::api::{self, TenantInfo};
use axum::extract::State;
use axum::http::Method;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::Json;
use crate::routes::responses::{Unauthorized, Unavailable};
use crate::routes::Routes;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes.at(Method::GET, api::RP_TENANT, whoami)
}

/// Which tenant this API key belongs to (a cheap way to test a key).
#[utoipa::path(get, path = api::RP_TENANT, tag = "rp",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the key's tenant", body = TenantInfo),
        Unauthorized, Unavailable,
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
