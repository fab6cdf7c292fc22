//! The relay's one public error body and its internal error type.
//!
//! Every failure a client sees is `{"error":{"code":"...","message":"..."}}`
//! with a stable snake_case `code` (see [`ErrorCode`]) and an HTTP status that
//! the code fixes. Internal details (SQL, I/O) are logged, never returned.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

/// Stable machine-readable error codes of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not syntactically valid JSON.
    MalformedJson,
    /// The body is JSON but not of the expected shape or values.
    InvalidBody,
    /// A query-string parameter is missing or invalid.
    InvalidQuery,
    /// A path parameter is invalid.
    InvalidPath,
    /// The request lacks `Content-Type: application/json`.
    UnsupportedMediaType,
    /// The body exceeds the configured limit.
    BodyTooLarge,
    /// Missing, malformed, unknown or revoked API key.
    Unauthorized,
    /// A signed device request failed its signature or timestamp check.
    BadSignature,
    /// The request timestamp is outside the accepted window.
    StaleTimestamp,
    /// No such route.
    RouteNotFound,
    /// The method is not allowed on this route.
    MethodNotAllowed,
    /// The referenced tenant does not exist.
    UnknownTenant,
    /// The referenced API key does not exist.
    UnknownKey,
    /// The referenced enrollment does not exist (or expired).
    UnknownEnrollment,
    /// The referenced device does not exist.
    UnknownDevice,
    /// The referenced challenge does not exist (or expired).
    UnknownChallenge,
    /// The thing asked for exists but has not arrived yet (e.g. the
    /// enrollment answer before the RP delivered it).
    NotReady,
    /// The resource already exists.
    AlreadyExists,
    /// The challenge is no longer pending.
    NotPending,
    /// The challenge or enrollment has expired.
    Expired,
    /// A configured limit was reached.
    LimitExceeded,
    /// The service (database) is not available.
    Unavailable,
    /// An internal error; details are in the relay's log only.
    Internal,
    /// A `/v1/managed/...` route was called for a tenant that is not in
    /// managed mode (end-to-end tenants never get verdicts from the relay).
    NotManaged,
    /// Enrolling a phone on this account needs its existing second factor
    /// (a TOTP or backup code in the request).
    SecondFactorRequired,
    /// The account has no active phone to send a challenge to.
    NoActiveDevice,
    /// The challenge is not an unredeemed approval of this session.
    NotRedeemable,
}

impl ErrorCode {
    /// The HTTP status this code is always sent with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::MalformedJson | Self::InvalidBody | Self::InvalidQuery | Self::InvalidPath => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized | Self::BadSignature | Self::StaleTimestamp => {
                StatusCode::UNAUTHORIZED
            }
            Self::RouteNotFound
            | Self::UnknownTenant
            | Self::UnknownKey
            | Self::UnknownEnrollment
            | Self::UnknownDevice
            | Self::UnknownChallenge
            | Self::NotReady => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::AlreadyExists | Self::NotPending => StatusCode::CONFLICT,
            Self::Expired => StatusCode::GONE,
            Self::LimitExceeded => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotManaged | Self::SecondFactorRequired => StatusCode::FORBIDDEN,
            Self::NoActiveDevice | Self::NotRedeemable => StatusCode::CONFLICT,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidBody => "invalid_body",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidPath => "invalid_path",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::BodyTooLarge => "body_too_large",
            Self::Unauthorized => "unauthorized",
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp => "stale_timestamp",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnknownTenant => "unknown_tenant",
            Self::UnknownKey => "unknown_key",
            Self::UnknownEnrollment => "unknown_enrollment",
            Self::UnknownDevice => "unknown_device",
            Self::UnknownChallenge => "unknown_challenge",
            Self::NotReady => "not_ready",
            Self::AlreadyExists => "already_exists",
            Self::NotPending => "not_pending",
            Self::Expired => "expired",
            Self::LimitExceeded => "limit_exceeded",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::NotManaged => "not_managed",
            Self::SecondFactorRequired => "second_factor_required",
            Self::NoActiveDevice => "no_active_device",
            Self::NotRedeemable => "not_redeemable",
        }
    }
}

/// The JSON error body: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and human-readable message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains internals.
    pub message: String,
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

    /// The error's message.
    pub fn message(&self) -> &str {
        &self.message
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
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (status, axum::Json(body)).into_response()
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
            StoreError::Internal(detail) => Self::internal(detail),
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
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::BodyTooLarge,
            ErrorCode::UnknownChallenge,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
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
