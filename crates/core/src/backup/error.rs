//! Why a backup could not be made or read. No variant carries secret
//! material or quotes the file.

/// A backup file refused as a whole; the vault is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The bytes do not start with the backup magic (`ASSENTBK`).
    #[error("not an Assent backup file")]
    NotABackup,
    /// The file was written by a newer (or unknown) format version.
    #[error("backup format version {0} is not supported by this build")]
    UnsupportedVersion(u16),
    /// The file is shorter than its header says.
    #[error("backup file is truncated")]
    Truncated,
    /// The file is larger than [`MAX_BACKUP_BYTES`](super::MAX_BACKUP_BYTES),
    /// or holds more than [`MAX_BACKUP_ACCOUNTS`](super::MAX_BACKUP_ACCOUNTS).
    #[error("backup file is too large")]
    TooLarge,
    /// The KDF id or parameters are unknown or outside the accepted bounds.
    #[error("backup key derivation parameters refused: {0}")]
    BadKdfParams(&'static str),
    /// The password does not open this backup (or its salt or KDF
    /// parameters were altered, which cannot be told apart).
    #[error("wrong backup password")]
    WrongPassword,
    /// The password is right but the file was altered (authentication failed),
    /// or it has bytes after its end.
    #[error("backup file is corrupted or was altered")]
    Corrupted,
    /// The decrypted payload does not have the expected shape.
    #[error("backup content is malformed: {0}")]
    Malformed(&'static str),
    /// An empty password was given for a new backup.
    #[error("a backup password must not be empty")]
    EmptyPassword,
}
