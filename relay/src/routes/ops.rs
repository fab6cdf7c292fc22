//! Operations endpoints: liveness, readiness, metrics, the API document.

use assent_protocol::api::{self, ErrorBody, Health, HealthStatus};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::response::IntoResponse;

use super::Routes;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::Json;
use crate::state::AppState;

pub(crate) fn routes(routes: Routes) -> Routes {
    routes
        .at(Method::GET, api::HEALTHZ, healthz)
        .at(Method::GET, api::READYZ, readyz)
        .at(Method::GET, api::METRICS, metrics)
        .at(Method::GET, api::OPENAPI, openapi)
}

/// The process is up.
#[utoipa::path(get, path = api::HEALTHZ, tag = "ops",
    responses((status = 200, description = "alive", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
        time: state.clock.now(),
    })
}

/// The database answers.
#[utoipa::path(get, path = api::READYZ, tag = "ops",
    responses(
        (status = 200, description = "ready", body = Health),
        (status = 503, description = "database unreachable", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        AppError::new(ErrorCode::Unavailable, "database unreachable")
    })?;
    Ok(Json(Health {
        status: HealthStatus::Ok,
        time: state.clock.now(),
    }))
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = api::METRICS, tag = "ops",
    responses((status = 200, description = "OpenMetrics text exposition",
        content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> AppResult<impl IntoResponse> {
    let text = state.metrics.render().map_err(AppError::internal)?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = api::OPENAPI, tag = "ops",
    responses((status = 200, description = "OpenAPI document", body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    axum::Json(crate::routes::openapi::document())
}
