//! [`AppError`]: what a handler can fail with. Details go to the log (never a
//! secret: the RP library's errors carry none); the browser gets a stable,
//! plain page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::html;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The site database failed.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The RP library failed (store, relay, protocol).
    #[error("assent-rp: {0}")]
    Rp(#[from] assent_rp::Error),
    /// Missing or wrong CSRF token, or no session for a form post.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Not logged in (or not at this step): go to the login page.
    #[error("login required")]
    LoginRequired,
    /// A request the site cannot serve (bad form, unknown id).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Anything else that should not happen.
    #[error("internal: {0}")]
    Internal(&'static str),
    /// Every hashing slot stayed taken: try again soon.
    #[error("busy: no hashing slot")]
    Busy,
}

/// The site's result type.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                "This form expired or did not come from this site. Go back, reload and try again.",
            ),
            AppError::LoginRequired => {
                return axum::response::Redirect::to("/login").into_response();
            }
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "That request was not valid."),
            AppError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The site is busy. Please try again in a moment.",
            ),
            AppError::Db(_) | AppError::Rp(_) | AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::info!(error = %self, "request refused");
        }
        let body = html::page(
            "Error",
            None,
            &format!(
                r#"<p class="error">{}</p><p><a href="/">Home</a></p>"#,
                message
            ),
        );
        (status, body).into_response()
    }
}
