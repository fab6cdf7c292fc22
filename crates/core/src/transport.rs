//! How the core reaches the relay: one HTTP-shaped call at a time, through
//! the [`RelayTransport`] trait the host (or a test) implements.
//!
//! The core builds each [`DeviceCall`] (path from [`assent_protocol::api`],
//! exact body bytes, the signed-request headers of docs/protocol.md §6) and
//! reads the [`RelayReply`] (status, body, the relay's `Assent-Time`). The
//! transport only moves bytes: it never sees a secret the relay may not see,
//! and everything the relay returns is authenticated by the core before use.
//! The real HTTPS client is [`crate::https::HttpsTransport`] (`https` feature).

use assent_protocol::{RelayUrl, RequestAuth};

/// The HTTP methods the device API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT` (a handover mailbox slot).
    Put,
}

impl Method {
    /// The method as sent on the wire: `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// One HTTP-shaped request from the phone to the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCall {
    /// `GET` or `POST`.
    pub method: Method,
    /// The request target (path and query) from [`assent_protocol::api`],
    /// e.g. `api::challenge(&push_id)`; relative to the relay's URL.
    pub path: String,
    /// The exact JSON bytes of the body (empty for `GET`). Signed requests
    /// sign these bytes: send them unchanged.
    pub body: Vec<u8>,
    /// The signed-request headers (`Assent-Device`, `Assent-Timestamp`,
    /// `Assent-Signature`; see [`RequestAuth::to_headers`]); `None` for the
    /// registration and the enrollment answer.
    pub auth: Option<RequestAuth>,
}

/// The relay's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayReply {
    /// The HTTP status.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The `Assent-Time` header (the relay's clock, Unix seconds), if present
    /// and a canonical decimal number.
    pub relay_time: Option<u64>,
}

/// Network-level failure, with no reply: offline, DNS, TLS, timeout. The
/// message is for logs and must not contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("relay unreachable: {message}")]
pub struct TransportError {
    /// What failed, without secrets.
    pub message: String,
}

impl TransportError {
    /// A transport error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Carries device calls to the relay (HTTPS in production, an in-process
/// fake relay in tests).
#[async_trait::async_trait]
pub trait RelayTransport: Send + Sync {
    /// Sends `call` to the relay at `relay` (the offer's canonical HTTPS
    /// origin, to which `call.path` is appended; see [`RelayUrl::join`]).
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_uppercase_words() {
        assert_eq!(Method::Get.as_str(), "GET");
        assert_eq!(Method::Post.as_str(), "POST");
        assert_eq!(
            TransportError::new("offline").to_string(),
            "relay unreachable: offline"
        );
    }
}
