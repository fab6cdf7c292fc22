//! Extractors whose rejections are the relay's JSON error body.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::AppError;

/// JSON body (and response) whose rejections are [`AppError`]s:
/// `malformed_json`, `invalid_body`, `unsupported_media_type`,
/// `body_too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Raw body bytes (for protocol messages parsed by `assent-protocol`) whose
/// rejection is `body_too_large`.
#[derive(Debug, Clone, Default)]
pub struct RawBody(pub Bytes);

impl<S> FromRequest<S> for RawBody
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Ok(Self(Bytes::from_request(request, state).await?))
    }
}

/// Parses JSON bytes with the same error codes as [`Json`] (no content-type
/// check: for bodies read raw).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            AppError::new(
                crate::error::ErrorCode::InvalidBody,
                format!("invalid body: {e}"),
            )
        } else {
            AppError::new(
                crate::error::ErrorCode::MalformedJson,
                "request body is not valid JSON",
            )
        }
    })
}

/// Query string whose rejection is `invalid_query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Path parameters whose rejection is `invalid_path`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::extract::DefaultBodyLimit;
    use axum::http::{Request as HttpRequest, StatusCode};
    use axum::routing::post;
    use axum::Router;
    use serde::Deserialize;
    use tower::ServiceExt;

    #[derive(Deserialize, Serialize)]
    struct Thing {
        n: u8,
    }

    async fn echo(Json(thing): Json<Thing>) -> Json<Thing> {
        Json(thing)
    }

    async fn call(content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, String) {
        let router = Router::new()
            .route("/", post(echo))
            .layer(DefaultBodyLimit::max(1024));
        let mut builder = HttpRequest::builder().method("POST").uri("/");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        let response = router
            .oneshot(builder.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let code = value["error"]["code"].as_str().unwrap_or("").to_owned();
        (status, code)
    }

    #[tokio::test]
    async fn rejections_are_json_errors_with_clear_codes() {
        let json = Some("application/json");
        let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
            (json, b"{\"n\":1}".to_vec(), StatusCode::OK, ""),
            (
                json,
                b"{\"n\":".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
            (
                json,
                b"not json".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
            (
                json,
                b"".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
            (
                json,
                b"{}".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            (
                json,
                b"{\"n\":300}".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            (
                json,
                b"{\"n\":\"1\"}".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            (
                json,
                b"\"n\"".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            (
                None,
                b"{\"n\":1}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                Some("text/plain"),
                b"{\"n\":1}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                json,
                vec![b' '; 2048],
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
            ),
            (
                json,
                vec![0xff, 0xfe],
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
        ];
        for (ct, body, status, code) in cases {
            let shown = String::from_utf8_lossy(&body)
                .chars()
                .take(20)
                .collect::<String>();
            let (got_status, got_code) = call(ct, body).await;
            assert_eq!(
                (got_status, got_code.as_str()),
                (status, code),
                "{ct:?} {shown:?}"
            );
        }
    }
}
