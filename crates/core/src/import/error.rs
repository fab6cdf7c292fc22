//! Why a file as a whole could not be imported (nothing was written).
//!
//! No variant carries secret material or text quoted from the file.

use super::report::ImportFormat;

/// A file-level import failure: the vault is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is larger than [`MAX_IMPORT_BYTES`](super::MAX_IMPORT_BYTES).
    #[error("import file is too large (limit {limit} bytes)")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The file holds more than [`MAX_IMPORT_ENTRIES`](super::MAX_IMPORT_ENTRIES) entries.
    #[error("import file has too many entries (limit {limit})")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// The content matches no supported export format.
    #[error("not a supported authenticator export")]
    UnknownFormat,
    /// The file is of a known format but damaged or not shaped as expected.
    #[error("{format} export is malformed: {what}")]
    Malformed {
        /// The detected format.
        format: ImportFormat,
        /// What was wrong (never quotes the file).
        what: &'static str,
    },
    /// The file is encrypted and no password was given.
    #[error("{0} export is encrypted: a password is needed")]
    PasswordRequired(ImportFormat),
    /// The password does not open the file (or the file was altered).
    #[error("wrong password for the {0} export (or the file was altered)")]
    WrongPassword(ImportFormat),
    /// A variant of a known format that this build cannot read.
    #[error("{format} export not supported: {what}")]
    Unsupported {
        /// The detected format.
        format: ImportFormat,
        /// What is not supported.
        what: &'static str,
    },
}

/// The import module's result type.
pub type ImportResult<T> = std::result::Result<T, ImportError>;
