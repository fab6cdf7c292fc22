//! The crate's error type.
//!
//! No variant carries secret material: messages name what went wrong and,
//! at most, an account id or a blob name.

use crate::keys::KeyStoreError;
use crate::storage::StorageError;
use crate::vault::AccountId;

/// Everything that can go wrong in the mobile core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The host's secure storage failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The device key store failed.
    #[error("key store: {0}")]
    KeyStore(#[from] KeyStoreError),
    /// An otpauth:// URI could not be parsed.
    #[error("invalid otpauth URI: {0}")]
    Uri(#[from] assent_otp::UriError),
    /// OTP parameters were invalid (secret, digits, period...).
    #[error("invalid OTP parameters: {0}")]
    Otp(#[from] assent_otp::OtpError),
    /// The random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// The stored blob does not start with the vault header.
    #[error("not an Assent vault (bad header)")]
    NotAVault,
    /// The stored vault is shorter than its header and authentication tag.
    #[error("vault file is truncated")]
    Truncated,
    /// The vault was written with a key other than the one supplied.
    #[error("wrong vault key")]
    WrongKey,
    /// The key matches but the ciphertext failed authentication.
    #[error("vault is corrupted (authentication failed)")]
    Corrupted,
    /// The vault was written by a newer version of Assent.
    #[error("vault format version {0} is newer than this build supports")]
    UnsupportedVersion(u16),
    /// The decrypted vault content does not have the expected shape.
    #[error("vault content is malformed: {0}")]
    Malformed(&'static str),
    /// The stored vault changed since this process read it; the save was refused.
    #[error("vault changed on storage since it was opened; save refused")]
    ChangedOnStorage,
    /// A vault already exists where a new one was to be created.
    #[error("a vault already exists")]
    VaultExists,
    /// No vault exists where one was to be opened.
    #[error("no vault found")]
    NoVault,
    /// No account has this id.
    #[error("no account with id {0}")]
    AccountNotFound(AccountId),
    /// The operation needs an HOTP account.
    #[error("account {0} is not a counter-based (HOTP) account")]
    NotHotp(AccountId),
    /// An account name was empty or too long.
    #[error("account name must be 1 to {max} characters")]
    InvalidName {
        /// The maximum accepted length, in characters.
        max: usize,
    },
    /// A reorder request was not a permutation of the vault's account ids.
    #[error("reorder must list every account id exactly once")]
    InvalidOrder,
    /// The HOTP counter cannot advance further.
    #[error("HOTP counter exhausted")]
    CounterOverflow,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
