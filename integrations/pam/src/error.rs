//! The module's errors. None carries a secret: they go to syslog and to the admin's
//! terminal.

use std::path::PathBuf;

/// What can go wrong in the module or the admin command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file is missing, unreadable, unsafe or invalid.
    #[error("configuration {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file named by the configuration could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The API key file may be read by someone other than root.
    #[error("{0}: the API key file must be owned by root and readable by root only (chmod 600)")]
    KeyFileExposed(PathBuf),
    /// libpam refused a call.
    #[error("PAM: {0}")]
    Pam(&'static str),
    /// The conversation function failed or is missing.
    #[error("PAM conversation failed")]
    Conversation,
    /// The RP library (store, relay, protocol).
    #[error(transparent)]
    Rp(#[from] assent_rp::Error),
    /// The relay client could not be made.
    #[error(transparent)]
    Relay(#[from] assent_rp::RelayError),
    /// The operating system's random generator failed.
    #[error("random generator failed")]
    Rng,
    /// The operating system (runtime threads, the admin command's terminal).
    #[error("{0}")]
    Os(#[from] std::io::Error),
    /// The admin command cannot go on.
    #[error("{0}")]
    Admin(String),
}

/// The module's result.
pub type Result<T> = std::result::Result<T, Error>;
