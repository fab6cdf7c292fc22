//! The one error body of the relay's HTTP API: `{"error":{"code":"…","message":"…"}}`,
//! with a stable snake_case [`ErrorCode`] that fixes the HTTP status. Clients match on
//! the code, never on the message (human-readable, may change) nor on strings.

use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes of the HTTP API: every code a client can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The referenced handover mailbox or replacement does not exist (or expired).
    UnknownHandover,
    /// The thing asked for exists but has not arrived yet (e.g. the
    /// enrollment answer before the RP delivered it).
    NotReady,
    /// The resource already exists.
    AlreadyExists,
    /// The challenge (or enrollment) is no longer, or not yet, in the state the request
    /// needs: e.g. answered already, or no registration to answer.
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
    /// Every code, in declaration order (for tests and documentation).
    pub const ALL: [ErrorCode; 28] = [
        Self::MalformedJson,
        Self::InvalidBody,
        Self::InvalidQuery,
        Self::InvalidPath,
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::Unauthorized,
        Self::BadSignature,
        Self::StaleTimestamp,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::UnknownTenant,
        Self::UnknownKey,
        Self::UnknownEnrollment,
        Self::UnknownDevice,
        Self::UnknownChallenge,
        Self::UnknownHandover,
        Self::NotReady,
        Self::AlreadyExists,
        Self::NotPending,
        Self::Expired,
        Self::LimitExceeded,
        Self::Unavailable,
        Self::Internal,
        Self::NotManaged,
        Self::SecondFactorRequired,
        Self::NoActiveDevice,
        Self::NotRedeemable,
    ];

    /// The HTTP status this code is always sent with.
    pub const fn status(self) -> u16 {
        match self {
            Self::MalformedJson | Self::InvalidBody | Self::InvalidQuery | Self::InvalidPath => 400,
            Self::UnsupportedMediaType => 415,
            Self::BodyTooLarge => 413,
            Self::Unauthorized | Self::BadSignature | Self::StaleTimestamp => 401,
            Self::RouteNotFound
            | Self::UnknownTenant
            | Self::UnknownKey
            | Self::UnknownEnrollment
            | Self::UnknownDevice
            | Self::UnknownChallenge
            | Self::UnknownHandover
            | Self::NotReady => 404,
            Self::MethodNotAllowed => 405,
            Self::AlreadyExists | Self::NotPending | Self::NoActiveDevice | Self::NotRedeemable => {
                409
            }
            Self::Expired => 410,
            Self::LimitExceeded => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
            Self::NotManaged | Self::SecondFactorRequired => 403,
        }
    }

    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
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
            Self::UnknownHandover => "unknown_handover",
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

    /// The code of a wire name; `None` for a name this build does not know (a newer
    /// relay, or not a relay at all).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON error body: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and human-readable message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains internals.
    pub message: String,
}

impl ErrorBody {
    /// A body with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }

    /// The code of a reply body, if it is this API's error body with a known code
    /// (anything else, e.g. a proxy's HTML page, is `None`).
    pub fn code_of(body: &[u8]) -> Option<ErrorCode> {
        #[derive(Deserialize)]
        struct Outer {
            error: Inner,
        }
        #[derive(Deserialize)]
        struct Inner {
            code: String,
        }
        let outer: Outer = serde_json::from_slice(body).ok()?;
        ErrorCode::from_wire(&outer.error.code)
    }

    /// The body as JSON bytes.
    pub fn to_json(&self) -> String {
        // Two strings and an enum of unit variants: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names_and_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn bodies_round_trip_and_foreign_bodies_have_no_code() {
        let body = ErrorBody::new(ErrorCode::NotPending, "answered already");
        let json = body.to_json();
        assert_eq!(
            json,
            r#"{"error":{"code":"not_pending","message":"answered already"}}"#
        );
        assert_eq!(
            ErrorBody::code_of(json.as_bytes()),
            Some(ErrorCode::NotPending)
        );
        assert_eq!(ErrorBody::code_of(b"<html>bad gateway</html>"), None);
        assert_eq!(
            ErrorBody::code_of(br#"{"error":{"code":"already_answered","message":""}}"#),
            None
        );
        assert_eq!(
            ErrorBody::code_of(br#"{"error":{"code":"Evil\nHeader","message":""}}"#),
            None
        );
    }
}
