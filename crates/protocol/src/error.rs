//! The crate's error type. No variant ever carries secret material: messages name
//! what was wrong (a field, a parameter, a check), never the bytes involved.

use crate::kinds::ApprovalKind;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong while building, parsing, verifying or opening a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- encoding and parsing -----
    /// A field was not canonical unpadded base64url.
    #[error("{field}: not canonical unpadded base64url")]
    Base64 {
        /// Which field.
        field: &'static str,
    },
    /// A field had the wrong length.
    #[error("{field}: expected {expected} bytes, got {actual}")]
    Length {
        /// Which field.
        field: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// A field's value is not acceptable (the reason says why).
    #[error("{field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A JSON message did not parse. Only the position and category are kept: serde's own
    /// message may quote input, and input can hold secrets.
    #[error("malformed JSON ({category} error at line {line}, column {column})")]
    Json {
        /// "syntax", "data", "eof" or "io".
        category: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A message is larger than [`crate::MAX_MESSAGE_BYTES`] or a field's size limit.
    #[error("{field}: too large (limit {limit} bytes)")]
    TooLarge {
        /// Which field or message.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// An encoded (binary) plaintext did not have the expected shape.
    #[error("malformed encoding: {0}")]
    Malformed(&'static str),

    // ----- offer URI -----
    /// The offer is not an `assent://enroll?…` URI.
    #[error("not an assent://enroll URI")]
    NotAnOffer,
    /// The offer names a protocol version this crate does not speak.
    #[error("unsupported protocol version")]
    UnsupportedVersion,
    /// A URI parameter appears more than once.
    #[error("duplicate parameter {0}")]
    DuplicateParameter(String),
    /// A required URI parameter is missing.
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    /// A relay URL is not https.
    #[error("relay URL must use https")]
    NotHttps,
    /// The offer's `exp` has passed.
    #[error("offer expired")]
    OfferExpired,

    // ----- cryptographic checks -----
    /// The registration's bind MAC does not match (altered in transit, or a forgery
    /// without the enrollment secret).
    #[error("registration bind MAC does not match")]
    BindMismatch,
    /// An ECDSA signature did not verify under the pinned device key.
    #[error("signature does not verify")]
    BadSignature,
    /// The wrapped channel key did not open (wrong RP key, altered wrap, or wrapped for
    /// another device key).
    #[error("wrapped channel key does not open")]
    UnwrapFailed,
    /// A sealed message did not open: its ciphertext or any authenticated field changed,
    /// or it was sealed under another channel key.
    #[error("sealed message was tampered with or is not for this channel")]
    Tampered,
    /// A challenge asks for a weaker approval kind than the enrollment's minimum.
    #[error("approval kind {kind} is below the enrollment minimum {min}")]
    Downgraded {
        /// The kind the challenge asked for.
        kind: ApprovalKind,
        /// The enrollment's minimum.
        min: ApprovalKind,
    },
    /// A challenge or answer is past its expiry.
    #[error("expired")]
    Expired,
    /// A signed request's timestamp is outside the accepted skew.
    #[error("request timestamp outside the accepted clock skew")]
    ClockSkew,
    /// A message names another device than the one expected.
    #[error("message is for another device")]
    WrongDevice,
    /// An answer names another challenge than the one expected.
    #[error("answer is for another challenge")]
    WrongChallenge,
    /// The enrollment answer names another device key than this phone's.
    #[error("enrollment answer names another device key")]
    WrongDeviceKey,
    /// The enrollment answer belongs to another enrollment.
    #[error("message is for another enrollment")]
    WrongEnrollment,
    /// The signer (key store) failed.
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
    /// A cryptographic primitive failed in a way that is not the input's fault.
    #[error("internal cryptographic failure")]
    Crypto,
}

/// What a [`crate::Signer`] (the phone's key store) reports when it cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key is gone (deleted, or invalidated by a biometric change).
    #[error("device key unavailable")]
    KeyUnavailable,
    /// The user cancelled or failed user verification.
    #[error("user verification failed or was cancelled")]
    UserVerification,
    /// Anything else the key store reports (never secret material).
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub(crate) fn json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let category = match e.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
        };
        Error::Json {
            category,
            line: e.line(),
            column: e.column(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: &'static str) -> Self {
        Error::Invalid { field, reason }
    }
}
