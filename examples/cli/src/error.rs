//! The CLI's error type: one line per failure, no secrets.

use std::io;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// From the core (vault, storage, keys).
    #[error("{0}")]
    Core(#[from] assent_core::Error),
    /// A bad otpauth:// URI.
    #[error("invalid otpauth URI: {0}")]
    Uri(#[from] assent_otp::UriError),
    /// Bad OTP parameters.
    #[error("{0}")]
    Otp(#[from] assent_otp::OtpError),
    /// Terminal or file I/O.
    #[error("I/O error: {0}")]
    Io(io::Error),
    /// Options that do not fit together.
    #[error("{0}")]
    Usage(&'static str),
    /// No home directory could be found.
    #[error("cannot find a data directory; pass --home DIR")]
    NoHome,
    /// stdout was closed by the reader (e.g. `| head`): not an error.
    #[error("broken pipe")]
    BrokenPipe,
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Io(e)
        }
    }
}
