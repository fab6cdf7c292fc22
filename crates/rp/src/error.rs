//! The crate's internal error type.
//!
//! No variant ever carries a secret, a code or a password: what an error names
//! is the kind of failure and, where useful, a public identifier.

use std::time::Duration;

use assent_protocol::ApprovalKind;

use crate::relay::RelayError;
use crate::Factor;

/// Everything that can go wrong in the RP library, other than a wrong code
/// (which is a [`Verification::Rejected`](crate::Verification::Rejected), not
/// an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQL store failed (I/O, connection, locking, constraint, pool). The message names only
    /// the kind of failure, never a statement or a stored value; the driver's error
    /// stays reachable as the `source` for the server's own logs.
    #[error("database error: {}", database_failure(.0))]
    Database(#[from] sqlx::Error),
    /// The database was written (migrated) by a newer version of this library.
    #[error("database schema version {found} is newer than this library supports ({supported})")]
    SchemaTooNew {
        /// The version found in the database (SQLite's `user_version`; the highest in
        /// the `assent_rp_schema` table of PostgreSQL).
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
    /// The organization name is empty, too long or has control characters.
    #[error("invalid organization name")]
    InvalidOrganization,
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

    // ----- push: configuration -----
    /// A push method was called on an [`Rp`](crate::Rp) without
    /// [`Rp::with_push`](crate::Rp::with_push).
    #[error("push is not configured (call Rp::with_push)")]
    PushNotConfigured,
    /// The approval kind is not allowed by the RP's policy (`simple` needs
    /// `PushPolicy::allow_simple`).
    #[error("approval kind {0} is not allowed by the RP's policy")]
    KindNotAllowed(ApprovalKind),
    /// A protocol message could not be built, or one the relay returned failed a check
    /// (bind, signature, unwrap, tampering). Names the check, never the bytes.
    #[error("protocol: {0}")]
    Protocol(#[from] assent_protocol::Error),
    /// The relay could not be reached or refused the request.
    #[error("relay: {0}")]
    Relay(#[from] RelayError),

    // ----- enrollment -----
    /// The account already has a second factor, and no proof of it was given.
    #[error("enrolling a phone on this account requires its existing second factor")]
    SecondFactorRequired,
    /// The second-factor proof is for another account or too old.
    #[error("second-factor proof refused: {0}")]
    ProofRefused(&'static str),
    /// No offer with this enrollment id.
    #[error("unknown enrollment")]
    UnknownEnrollment,
    /// The offer already took its one registration, was activated or was killed.
    #[error("enrollment already used or killed")]
    EnrollmentUsed,
    /// The offer (or the wait for the activation code) has expired.
    #[error("enrollment expired")]
    EnrollmentExpired,
    /// The enrollment is not waiting for an activation code.
    #[error("enrollment is not awaiting activation")]
    NotAwaitingActivation,
    /// No such device (or not this account's).
    #[error("unknown device")]
    UnknownDevice,

    // ----- challenges -----
    /// The account has no active phone to push to.
    #[error("account has no active phone")]
    NoActiveDevice,
    /// Pushes for the account are muted after a fraud report.
    #[error("pushes muted for this account after a fraud report (for {retry_after:?})")]
    Muted {
        /// Time until pushes are allowed again.
        retry_after: Duration,
    },
    /// The account already has a pending challenge.
    #[error("the account already has a pending challenge")]
    ChallengePending,
    /// Too many challenges for the account in the current window.
    #[error("too many challenges for this account (retry after {retry_after:?})")]
    TooManyChallenges {
        /// Time until one more is allowed.
        retry_after: Duration,
    },
    /// The account's limiter is throttling after failures: no push is sent.
    #[error("account throttled after failures (retry after {retry_after:?})")]
    Throttled {
        /// Time until the next attempt is admitted.
        retry_after: Duration,
    },
    /// No challenge belongs to this session handle.
    #[error("no challenge for this session")]
    UnknownSession,
    /// The challenge is not an unredeemed approval (denied, pending, expired, or
    /// already redeemed).
    #[error("challenge is not redeemable")]
    NotRedeemable,
    /// The relay returned an answer that fails verification (wrong ids, bad signature,
    /// malformed); the challenge is left pending.
    #[error("relay returned an answer that does not verify: {0}")]
    InvalidAnswer(assent_protocol::Error),
}

/// What kind of database failure `err` is, in words that quote no SQL and no value.
fn database_failure(err: &sqlx::Error) -> &'static str {
    use sqlx::error::ErrorKind;
    match err {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => "unique constraint violated",
            ErrorKind::ForeignKeyViolation => "foreign key constraint violated",
            ErrorKind::NotNullViolation => "not-null constraint violated",
            ErrorKind::CheckViolation => "check constraint violated",
            _ => refused(db.as_ref()),
        },
        sqlx::Error::Io(_) => "I/O error",
        sqlx::Error::Tls(_) => "TLS error",
        sqlx::Error::Protocol(_) => "the database broke its wire protocol",
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection",
        sqlx::Error::PoolClosed => "the connection pool is closed",
        sqlx::Error::RowNotFound => "row not found",
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => "a stored value could not be read",
        sqlx::Error::Configuration(_) => "invalid database configuration",
        _ => "database driver failure",
    }
}

/// A statement the database refused, by the backend's own code where it says more
/// than "refused".
fn refused(db: &dyn sqlx::error::DatabaseError) -> &'static str {
    // SQLITE_BUSY / SQLITE_LOCKED (primary code of the extended one), past the busy
    // timeout.
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6))
    {
        return "database is locked";
    }
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        if let Some(kind) = postgres_failure(pg.code()) {
            return kind;
        }
    }
    "the database refused the statement"
}

/// The PostgreSQL SQLSTATEs worth telling apart: the server gone or refusing the
/// connection, and the conflicts a retry may cure.
#[cfg(feature = "postgres")]
fn postgres_failure(sqlstate: &str) -> Option<&'static str> {
    Some(match sqlstate {
        code if code.starts_with("08") => "the connection to the database failed",
        "28000" | "28P01" => "the database refused the credentials",
        "3D000" => "the database does not exist",
        "53300" => "the database has no free connection slot",
        "57P01" | "57P02" | "57P03" => "the database server is shutting down or starting up",
        "40001" | "40P01" => "the transaction conflicted with another (serialization or deadlock)",
        "55P03" => "database is locked",
        "57014" => "the statement was cancelled",
        _ => return None,
    })
}

impl From<argon2::password_hash::Error> for Error {
    fn from(e: argon2::password_hash::Error) -> Self {
        Error::PasswordHash(e)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
