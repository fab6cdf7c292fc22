//! The crate's internal error type.
//!
//! No variant ever carries a secret, a code or a password: what an error names
//! is the kind of failure and, where useful, a public identifier.

use crate::Factor;

/// Everything that can go wrong in the RP library, other than a wrong code
/// (which is a [`Verification::Rejected`](crate::Verification::Rejected), not
/// an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQLite store failed (I/O, locking, constraint).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of this library.
    #[error("database schema version {found} is newer than this library supports ({supported})")]
    SchemaTooNew {
        /// `user_version` found in the database file.
        found: u32,
        /// Highest version this library knows.
        supported: u32,
    },
    /// A stored value is out of range or malformed (e.g. a negative counter).
    #[error("corrupt stored value: {0}")]
    Corrupt(&'static str),
    /// The account has no credential of this kind.
    #[error("account has no {0} set up")]
    NotEnrolled(Factor),
    /// The application password name is empty, too long or has control characters.
    #[error("invalid application password name")]
    InvalidName,
    /// An OTP parameter was refused by `assent-otp` (secret length, digits, period).
    #[error("otp: {0}")]
    Otp(#[from] assent_otp::OtpError),
    /// Password hashing failed or a stored hash could not be parsed.
    #[error("password hash: {0}")]
    PasswordHash(argon2::password_hash::Error),
    /// Argon2 parameters are invalid or below the OWASP minimum.
    #[error("argon2 parameters refused: {0}")]
    HashParams(&'static str),
    /// The operating system's random generator failed.
    #[error("random generator failed")]
    Rng,
    /// The data does not fit in a QR code.
    #[error("qr code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// PNG encoding failed.
    #[error("png encoding: {0}")]
    Png(#[from] png::EncodingError),
    /// Some id generation kept colliding (practically impossible with a working RNG).
    #[error("could not draw a unique {0} id")]
    IdExhausted(&'static str),
}

impl From<argon2::password_hash::Error> for Error {
    fn from(e: argon2::password_hash::Error) -> Self {
        Error::PasswordHash(e)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
