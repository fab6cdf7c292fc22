//! The router, built in one place from a table of routes so that the OpenAPI
//! document can be checked against exactly what is served.

pub mod device;
pub mod managed;
pub mod openapi;
pub mod ops;
pub(crate) mod responses;
pub mod rp;
mod track;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// Response header carrying the relay's clock (Unix seconds) on every
/// response, so phones can sign with the relay's time.
pub const TIME_HEADER: HeaderName = HeaderName::from_static(assent_protocol::api::headers::TIME);

/// Routes being registered, remembered as (method, path template).
pub(crate) struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    pub(crate) fn at<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            Method::POST => MethodFilter::POST,
            Method::PUT => MethodFilter::PUT,
            Method::DELETE => MethodFilter::DELETE,
            Method::PATCH => MethodFilter::PATCH,
            _ => MethodFilter::GET,
        };
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path));
        self
    }
}

fn routes() -> Routes {
    let routes = ops::routes(Routes::new());
    let routes = rp::routes(routes);
    let routes = managed::routes(routes);
    device::routes(routes)
}

/// Every (method, path template) the router serves.
#[cfg(test)]
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().table
}

async fn route_not_found() -> AppError {
    AppError::new(ErrorCode::RouteNotFound, "no such route")
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

async fn stamp_time(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&state.clock.now().to_string()) {
        response.headers_mut().insert(TIME_HEADER, value);
    }
    response
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    AppError::new(ErrorCode::Internal, "internal error").into_response()
}

/// The relay's HTTP application.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    routes()
        .router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: a panic still becomes a JSON 500 that is counted,
        // logged and time-stamped by the outer layers.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), stamp_time))
        .layer(middleware::from_fn_with_state(state.clone(), track::track))
        .with_state(state)
}
