//! The relay's one public error body and its internal error type.
//!
//! Every failure a client sees is `{"error":{"code":"...","message":"..."}}`
//! with a stable snake_case `code` (see [`ErrorCode`]) and an HTTP status that
//! the code fixes; both are `assent_protocol::api` types, shared with the clients.
//! Internal details (SQL, I/O) are logged, never returned.

pub use assent_protocol::api::{ErrorBody, ErrorCode, ErrorDetail};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// The HTTP status of a code (the code fixes it; see [`ErrorCode::status`]).
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error returned by a handler; converts into the stable JSON body.
#[derive(Debug)]
pub struct AppError {
    code: ErrorCode,
    message: String,
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and a client-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An internal failure: the detail goes to the log, the client gets
    /// only `internal`.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        (status, axum::Json(ErrorBody::new(self.code, self.message))).into_response()
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Self::new(ErrorCode::AlreadyExists, "already exists"),
            StoreError::Unavailable(detail) => {
                tracing::error!(error = %detail, "database unavailable");
                Self::new(ErrorCode::Unavailable, "database unavailable")
            }
            StoreError::Schema(detail) | StoreError::Internal(detail) => Self::internal(detail),
        }
    }
}

impl From<crate::random::RandomError> for AppError {
    fn from(err: crate::random::RandomError) -> Self {
        Self::internal(err)
    }
}

impl From<assent_protocol::Error> for AppError {
    /// Protocol errors name a field or a check, never secret bytes, so their
    /// text is safe to return.
    fn from(err: assent_protocol::Error) -> Self {
        use assent_protocol::Error as P;
        match err {
            P::Json {
                category: "data", ..
            } => {
                Self::new(ErrorCode::InvalidBody, err.to_string())
            }
            P::Json { .. } => Self::new(ErrorCode::MalformedJson, err.to_string()),
            P::TooLarge { .. } => Self::new(ErrorCode::BodyTooLarge, err.to_string()),
            P::ClockSkew => Self::new(
                ErrorCode::StaleTimestamp,
                "request timestamp is more than 60 s from the relay's time (see the Assent-Time header)",
            ),
            P::BadSignature => Self::new(ErrorCode::BadSignature, "signature does not verify"),
            P::Expired => Self::new(ErrorCode::Expired, "expired"),
            P::Crypto | P::Sign(_) => Self::internal(err),
            other => Self::new(ErrorCode::InvalidBody, other.to_string()),
        }
    }
}

fn bytes_rejection(rejection: &BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorCode::BodyTooLarge, "request body too large")
    } else {
        AppError::new(ErrorCode::InvalidBody, "could not read request body")
    }
}

impl From<BytesRejection> for AppError {
    fn from(rejection: BytesRejection) -> Self {
        bytes_rejection(&rejection)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => Self::new(ErrorCode::InvalidBody, e.body_text()),
            JsonRejection::JsonSyntaxError(_) => {
                Self::new(ErrorCode::MalformedJson, "request body is not valid JSON")
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) => bytes_rejection(&e),
            other => Self::new(ErrorCode::InvalidBody, other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(ErrorCode::InvalidQuery, rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(ErrorCode::InvalidPath, rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_valid_http_status() {
        for code in ErrorCode::ALL {
            assert_eq!(status_of(code).as_u16(), code.status());
        }
    }

    #[tokio::test]
    async fn internal_errors_hide_details() {
        let response = AppError::internal("SELECT * FROM secret_table").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("SELECT"));
        assert_eq!(
            text,
            r#"{"error":{"code":"internal","message":"internal error"}}"#
        );
    }
}
