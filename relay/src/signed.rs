//! Signed device requests (docs/protocol.md §6).
//!
//! The [`SignedRequest`] extractor does the cheap checks (header syntax,
//! timestamp within ±60 s of the relay's clock, body size) and keeps the body
//! bytes; the handler then looks up the device (known id) and only then calls
//! [`SignedRequest::verify`], which hashes the body and checks the signature
//! with the protocol crate.

use assent_protocol::{
    DevicePublicKey, RequestAuth, HEADER_DEVICE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use crate::error::{AppError, ErrorCode};
use crate::exchange::Exchange;
use crate::state::AppState;

/// A device request whose headers and timestamp passed the cheap checks.
#[derive(Debug)]
pub struct SignedRequest {
    /// The parsed `Assent-*` headers.
    pub auth: RequestAuth,
    method: String,
    path: String,
    body: Bytes,
}

fn bad_headers() -> AppError {
    AppError::new(
        ErrorCode::BadSignature,
        "missing or malformed Assent-Device, Assent-Timestamp or Assent-Signature header",
    )
}

impl FromRequest<AppState> for SignedRequest {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = request.into_parts();
        let header = |name: &str| -> Result<String, AppError> {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(bad_headers)
        };
        let auth = RequestAuth::from_headers(
            &header(HEADER_DEVICE)?,
            &header(HEADER_TIMESTAMP)?,
            &header(HEADER_SIGNATURE)?,
        )
        .map_err(|_| bad_headers())?;
        auth.check_time(state.clock.now())?;
        let body = axum::body::to_bytes(body, state.config.body_limit)
            .await
            .map_err(|_| AppError::new(ErrorCode::BodyTooLarge, "request body too large"))?;
        // The signed path is the API path relative to the relay's public URL
        // (docs/protocol.md §10), with the query: what the router receives
        // once a proxy has stripped any path prefix of the public URL.
        let path = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Ok(Self {
            auth,
            method: parts.method.as_str().to_owned(),
            path,
            body,
        })
    }
}

impl SignedRequest {
    /// Checks the signature with the stored device key (SEC1 bytes).
    pub fn verify(&self, exchange: &Exchange, device_pub: &[u8]) -> Result<(), AppError> {
        let key = DevicePublicKey::from_sec1(device_pub)
            .map_err(|e| AppError::internal(format!("stored device key unusable: {e}")))?;
        self.auth.verify(
            &key,
            &exchange.config.public_origin,
            &self.method,
            &self.path,
            &self.body,
            exchange.clock.now(),
        )?;
        Ok(())
    }

    /// The body bytes (verified only after [`SignedRequest::verify`]).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The device id the request names, as canonical text.
    pub fn device_id(&self) -> String {
        self.auth.device_id.to_string()
    }
}
