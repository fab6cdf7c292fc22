//! The crate's error type.
//!
//! No variant carries secret material: messages name what went wrong and,
//! at most, an account id or a blob name.

use assent_protocol::{ApprovalKind, SignError};

use crate::keys::KeyStoreError;
use crate::push_client::Entry;
use crate::storage::StorageError;
use crate::transport::TransportError;
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
    /// An import file as a whole was refused (nothing was written).
    #[error("import: {0}")]
    Import(crate::import::ImportError),
    /// A backup file was refused as a whole, or could not be made (nothing
    /// was written).
    #[error("backup: {0}")]
    Backup(crate::backup::BackupError),
    /// A password was given for an export format without encryption.
    #[error("this export format cannot be encrypted (only Aegis exports take a password)")]
    ExportPasswordUnsupported,
    /// The HOTP counter cannot advance further.
    #[error("HOTP counter exhausted")]
    CounterOverflow,

    /// The account is being handed over to another phone; its HOTP counter
    /// is not advanced here meanwhile.
    #[error("account {0} is being moved to another phone")]
    HandoverInProgress(AccountId),

    /// A handover message or step was refused (what and why, no secrets).
    #[error("handover: {0}")]
    Handover(HandoverError),

    // ----- push: relay and protocol -----
    /// The relay could not be reached (no reply).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The relay replied with an error status; `code` is its error code
    /// (e.g. `unknown_challenge`, `expired`), if it sent a readable one.
    #[error("relay refused the request: HTTP {status}{}", code.map(|c| format!(" ({c})")).unwrap_or_default())]
    Relay {
        /// The HTTP status.
        status: u16,
        /// The relay's error code (`None`: no error body of the relay's API, or a code
        /// this build does not know).
        code: Option<assent_protocol::api::ErrorCode>,
    },
    /// A message from the relay or the app was not a valid protocol message.
    #[error("invalid protocol message: {0}")]
    Protocol(assent_protocol::Error),
    /// The device key could not sign (gone, user verification cancelled...).
    #[error("device key could not sign: {0}")]
    Sign(SignError),
    /// The account is not enrolled for push.
    #[error("account {0} is not a push account")]
    NotPush(AccountId),

    /// The Web Push endpoint is not acceptable (not `https://`, too long, user info…).
    #[error("Web Push endpoint refused: {0}")]
    WebPushEndpoint(assent_protocol::Error),

    // ----- push: enrollment -----
    /// The enrollment offer was refused: expired, non-HTTPS relay, duplicate
    /// or unknown parameter, malformed...
    #[error("enrollment offer refused: {0}")]
    Offer(assent_protocol::Error),
    /// This phone already holds an account enrolled from this offer.
    #[error("this enrollment offer was already used on this phone")]
    AlreadyEnrolled,
    /// The enrollment answer is for another enrollment (eid).
    #[error("enrollment answer is for another enrollment")]
    AnswerForAnotherEnrollment,
    /// The enrollment answer names another device key than this phone's.
    #[error("enrollment answer names another device key")]
    AnswerForAnotherDeviceKey,
    /// The enrollment answer does not open under this phone's channel key.
    #[error("enrollment answer was tampered with")]
    EnrollmentTampered,

    // ----- push: challenges -----
    /// The relay of the push account a push is for does not know its push id.
    #[error("no challenge found for this push")]
    ChallengeNotFound,
    /// A push whose routing tag matches no push account of this phone (forged,
    /// or for an account removed since); no relay was asked.
    #[error("this push is for no account on this phone")]
    UnknownPush,
    /// The challenge names a device id no account of this phone has.
    #[error("challenge is for a device this phone does not have")]
    UnknownDevice,
    /// The challenge has expired (by the phone's estimate of the RP's time).
    #[error("challenge expired")]
    ChallengeExpired,
    /// The challenge header or body was altered, or it was not sealed by the RP.
    #[error("challenge was tampered with or not made by the RP")]
    ChallengeTampered,
    /// The challenge asks for a weaker approval kind than the account's minimum.
    #[error("challenge kind {kind} is below the account's minimum {min}")]
    Downgraded {
        /// The kind the challenge asks for.
        kind: ApprovalKind,
        /// The account's minimum.
        min: ApprovalKind,
    },
    /// This challenge was already shown once.
    #[error("challenge already seen")]
    AlreadySeen,
    /// An approval did not carry what the challenge's kind asks the user to type.
    #[error("approval needs {0}")]
    WrongEntry(Entry),
    /// The RP requires user verification and the app did not verify the user.
    #[error("approval needs user verification (biometric or PIN)")]
    UserVerificationRequired,

    // ----- push: unenroll -----
    /// Removal was not requested for this account (call `request_unenroll`).
    #[error("removal was not requested for account {0}")]
    UnenrollNotRequested(AccountId),
    /// The RP's removal confirmation does not open for this request: forged,
    /// or the confirmation of an older request.
    #[error("removal confirmation is not authentic for this request")]
    UnenrollNotConfirmed,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a handover step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoverError {
    /// The QR is not a valid, current handover invitation.
    #[error("invalid handover QR: {0}")]
    Invite(assent_protocol::Error),
    /// A mailbox message did not open under the session keys: forged,
    /// altered, or for another handover. Nothing was changed.
    #[error("handover message was tampered with or not from the other phone")]
    Tampered,
    /// The step was called out of order (e.g. accept before the offer arrived).
    #[error("handover step out of order: {0}")]
    OutOfOrder(&'static str),
    /// The other phone sent something that does not fit this handover.
    #[error("handover message refused: {0}")]
    Refused(&'static str),
}
