//! Error types: [`OtpError`] for building generators and secrets,
//! [`UriError`] for parsing `otpauth://` URIs.
//!
//! No error ever carries secret material: not the secret, and not any
//! parameter value of a URI (a malformed URI can smear the secret into a
//! neighbouring value, e.g. `algorithm=SHA1secret=...` with a lost `&`).

use thiserror::Error;

/// Why a secret, HOTP or TOTP generator could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum OtpError {
    /// The secret is shorter than 80 bits (10 bytes), the RFC 4226 minimum.
    #[error("secret is shorter than 80 bits")]
    SecretTooShort,
    /// The secret is not valid base32.
    #[error("secret is not valid base32")]
    BadBase32,
    /// The number of digits is outside 6..=8.
    #[error("{0} digits is not supported (must be 6, 7 or 8)")]
    BadDigits(u8),
    /// The TOTP period is zero.
    #[error("TOTP period must be at least 1 second")]
    BadPeriod,
    /// A TOTP generator was asked of an HOTP URI.
    #[error("this is an HOTP account, not TOTP")]
    NotTotp,
    /// An HOTP generator was asked of a TOTP URI.
    #[error("this is a TOTP account, not HOTP")]
    NotHotp,
}

/// An algorithm name other than SHA1, SHA256 or SHA512.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("unknown algorithm (expected SHA1, SHA256 or SHA512)")]
pub struct UnknownAlgorithm;

/// Why an `otpauth://` URI was refused. Each variant names the part that was
/// wrong; none carries the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum UriError {
    /// The URI does not start with `otpauth://`.
    #[error("not an otpauth:// URI")]
    BadScheme,
    /// The type after `otpauth://` is neither `totp` nor `hotp`.
    #[error("OTP type must be totp or hotp")]
    BadType,
    /// There is no `/label` after the type.
    #[error("the label (issuer:account) is missing")]
    MissingLabel,
    /// A `%` escape is malformed or the decoded bytes are not UTF-8.
    /// `field` is `"label"`, `"parameter name"` or the parameter's name.
    #[error("bad percent-encoding in {field}")]
    BadPercentEncoding {
        /// Which part of the URI was badly encoded.
        field: String,
    },
    /// A parameter appears more than once.
    #[error("parameter {0:?} appears more than once")]
    DuplicateParameter(String),
    /// The `secret` parameter is missing or empty.
    #[error("the secret parameter is missing")]
    MissingSecret,
    /// The `secret` parameter is not base32.
    #[error("the secret parameter is not valid base32")]
    BadSecret,
    /// The secret is shorter than 80 bits.
    #[error("the secret is shorter than 80 bits")]
    SecretTooShort,
    /// The `algorithm` parameter is not SHA1, SHA256 or SHA512.
    #[error("the algorithm parameter must be SHA1, SHA256 or SHA512")]
    BadAlgorithm,
    /// The `digits` parameter is not 6, 7 or 8.
    #[error("the digits parameter must be 6, 7 or 8")]
    BadDigits,
    /// The `period` parameter is not a whole number of seconds >= 1.
    #[error("the period parameter must be a whole number of seconds, at least 1")]
    BadPeriod,
    /// An `hotp` URI has no `counter` parameter.
    #[error("an hotp URI needs a counter parameter")]
    MissingCounter,
    /// The `counter` parameter is not a 64-bit unsigned number.
    #[error("the counter parameter must be a whole number (64-bit)")]
    BadCounter,
}
