//! Operations endpoints: liveness, readiness, metrics, the API document.

use assent_protocol::api::{self, ErrorBody, Health, HealthStatus};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;

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

/// The database answers and, on PostgreSQL, this instance's wake-up listener
/// is connected (otherwise answers through other instances would not end
/// long-polls here before their timeout).
#[utoipa::path(get, path = api::READYZ, tag = "ops",
    responses(
        (status = 200, description = "ready", body = Health),
        (status = 503, description = "database unreachable, or the wake-up listener \
            is not connected", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        AppError::new(ErrorCode::Unavailable, "database unreachable")
    })?;
    if !state.store.wake_listener_ready() {
        tracing::warn!("readiness check failed: the wake-up listener is not connected");
        return Err(AppError::new(
            ErrorCode::Unavailable,
            "the wake-up listener is not connected",
        ));
    }
    Ok(Json(Health {
        status: HealthStatus::Ok,
        time: state.clock.now(),
    }))
}

/// Prometheus metrics (OpenMetrics text), on this listener only with the operator's
/// metrics token (`--metrics-token`); without one configured there is no such route
/// here, and the metrics listener (`--metrics-listen`, loopback by default) serves them.
#[utoipa::path(get, path = api::METRICS, tag = "ops",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "OpenMetrics text exposition",
            content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "no or wrong metrics token", body = ErrorBody),
        (status = 404, description = "no metrics token configured: served on the metrics \
            listener only", body = ErrorBody),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let Some(token) = &state.config.metrics.token else {
        return Err(AppError::new(ErrorCode::RouteNotFound, "no such route"));
    };
    let authorization = headers.get(AUTHORIZATION).map(|v| v.as_bytes());
    if !token.admits(authorization) {
        return Err(AppError::new(
            ErrorCode::Unauthorized,
            "the metrics token is missing or wrong",
        ));
    }
    exposition(&state)
}

/// The metrics listener's application: `/metrics` without authentication (the
/// listener is bound to loopback or an internal network), and every other path
/// `route_not_found`.
pub fn metrics_app(state: AppState) -> Router {
    async fn open_metrics(State(state): State<AppState>) -> AppResult<Response> {
        exposition(&state)
    }
    async fn not_found() -> AppError {
        AppError::new(ErrorCode::RouteNotFound, "no such route")
    }
    Router::new()
        .route(api::METRICS, axum::routing::get(open_metrics))
        .fallback(not_found)
        .with_state(state)
}

fn exposition(state: &AppState) -> AppResult<Response> {
    if let Some(usage) = state.store.pool_usage() {
        state.metrics.db.pool(usage);
    }
    let text = state.metrics.render().map_err(AppError::internal)?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = api::OPENAPI, tag = "ops",
    responses((status = 200, description = "OpenAPI document", body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    axum::Json(crate::routes::openapi::document_json())
}
