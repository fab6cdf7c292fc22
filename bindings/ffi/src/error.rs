//! The one error type that crosses the FFI boundary, and the one place where
//! the core's rich errors become it.
//!
//! Variants are few and each says what the app should do. Messages come from
//! the core's `Display`, which never contains secrets.

use assent_core::{
    BackupError, Error as Core, HandoverError, ImportError, KeyStoreError, StorageError,
};

/// Everything that can go wrong in an Assent call. Each variant says what
/// the app should do about it; `reason` is a human-readable explanation for
/// logs and error screens (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum AssentError {
    /// Input the user or the app gave cannot be used: a malformed otpauth
    /// URI or enrollment offer, bad OTP parameters, an empty name, a reorder
    /// that is not a permutation, an approval without the number or code the
    /// challenge asks for, an offer already used. Show `reason`; do not retry
    /// unchanged.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// No account has this id, or the account is not enrolled for push.
    /// Refresh the account list.
    #[error("not found: {reason}")]
    NotFound {
        /// What was not found.
        reason: String,
    },
    /// The relay could not be reached (offline, DNS, TLS, timeout). Retry
    /// later; codes keep working offline.
    #[error("network: {reason}")]
    Network {
        /// What failed, without secrets.
        reason: String,
    },
    /// The relay answered with an error status. `code` is its error code
    /// (e.g. `unknown_challenge`, `expired`) when it sent a readable one.
    #[error("relay refused the request: HTTP {status}")]
    Relay {
        /// The HTTP status.
        status: u16,
        /// The relay's error code, if any.
        code: Option<String>,
    },
    /// The challenge can no longer be answered: it expired, was already
    /// shown or answered, or no account knows it. Dismiss it.
    #[error("challenge unavailable: {reason}")]
    ChallengeUnavailable {
        /// Why.
        reason: String,
    },
    /// A message from the relay failed authentication or asks for less than
    /// the account's pinned policy (tampered, downgraded, for another
    /// device, unconfirmed removal). Do not show it; the relay may be
    /// misbehaving.
    #[error("not authentic: {reason}")]
    NotAuthentic {
        /// What failed to verify.
        reason: String,
    },
    /// The user must be verified (biometric or PIN) first: verify, then call
    /// again with `uvDone = true`. Host key stores raise it when the user
    /// cancelled the prompt.
    #[error("user verification required")]
    UserVerificationRequired,
    /// The import file is encrypted: ask the user for its password
    /// (`wrong` = a password was given and does not open it) and call again.
    #[error("password needed: {reason}")]
    Password {
        /// Why.
        reason: String,
        /// A password was given and was wrong.
        wrong: bool,
    },
    /// The secure storage or key store failed, or the vault cannot be read
    /// (wrong key, corrupted, written by a newer version, changed behind this
    /// process's back). Host implementations of `SecureStorage` and
    /// `DeviceKeyStore` raise it for their own failures.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// An unexpected failure: the system random number generator, a host
    /// callback that threw something other than an `AssentError`, or a
    /// misuse such as calling Assent from inside one of its callbacks.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl AssentError {
    pub(crate) fn internal(reason: impl Into<String>) -> Self {
        Self::Internal {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            reason: reason.into(),
        }
    }
}

/// The core's errors, sorted by what the app can do about them.
impl From<Core> for AssentError {
    fn from(e: Core) -> Self {
        let reason = e.to_string();
        match e {
            Core::Uri(_)
            | Core::Otp(_)
            | Core::InvalidName { .. }
            | Core::InvalidOrder
            | Core::NotHotp(_)
            | Core::CounterOverflow
            | Core::Offer(_)
            | Core::WebPushEndpoint(_)
            | Core::AlreadyEnrolled
            | Core::WrongEntry(_)
            | Core::UnenrollNotRequested(_)
            | Core::HandoverInProgress(_)
            | Core::Handover(
                HandoverError::Invite(_) | HandoverError::OutOfOrder(_) | HandoverError::Refused(_),
            )
            | Core::ExportPasswordUnsupported => Self::InvalidInput { reason },
            Core::Import(ImportError::PasswordRequired(_)) => Self::Password {
                reason,
                wrong: false,
            },
            Core::Import(ImportError::WrongPassword(_)) => Self::Password {
                reason,
                wrong: true,
            },
            Core::Import(_) => Self::InvalidInput { reason },
            Core::Backup(BackupError::WrongPassword) => Self::Password {
                reason,
                wrong: true,
            },
            Core::Backup(_) => Self::InvalidInput { reason },
            Core::AccountNotFound(_)
            | Core::NotPush(_)
            | Core::NoVault
            | Core::KeyStore(KeyStoreError::NotFound(_)) => Self::NotFound { reason },
            Core::Transport(t) => Self::Network { reason: t.message },
            Core::Relay { status, code } => Self::Relay {
                status,
                code: code.map(|c| c.as_str().to_owned()),
            },
            Core::ChallengeNotFound
            | Core::UnknownPush
            | Core::ChallengeExpired
            | Core::AlreadySeen => Self::ChallengeUnavailable { reason },
            Core::Protocol(_)
            | Core::AnswerForAnotherEnrollment
            | Core::AnswerForAnotherDeviceKey
            | Core::EnrollmentTampered
            | Core::UnknownDevice
            | Core::ChallengeTampered
            | Core::Downgraded { .. }
            | Core::UnenrollNotConfirmed
            | Core::Handover(HandoverError::Tampered) => Self::NotAuthentic { reason },
            Core::UserVerificationRequired
            | Core::KeyStore(KeyStoreError::UserVerification)
            | Core::Sign(assent_core::protocol::SignError::UserVerification) => {
                Self::UserVerificationRequired
            }
            Core::Storage(_)
            | Core::KeyStore(_)
            | Core::Sign(_)
            | Core::NotAVault
            | Core::Truncated
            | Core::WrongKey
            | Core::Corrupted
            | Core::UnsupportedVersion(_)
            | Core::Malformed(_)
            | Core::ChangedOnStorage
            | Core::VaultExists => Self::Storage { reason },
            Core::Random => Self::Internal { reason },
        }
    }
}

/// A host callback threw something that is not an [`AssentError`]: reported
/// as [`AssentError::Internal`] instead of a panic across the FFI.
impl From<uniffi::UnexpectedUniFFICallbackError> for AssentError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::internal(format!("host callback failed: {}", e.reason))
    }
}

/// What a host `SecureStorage` raised, as the core's storage error.
pub(crate) fn to_storage_error(e: AssentError) -> StorageError {
    StorageError::Host(e.to_string())
}

/// What a host `DeviceKeyStore` raised, as the core's key store error.
pub(crate) fn to_key_store_error(alias: &str, e: AssentError) -> KeyStoreError {
    match e {
        AssentError::UserVerificationRequired => KeyStoreError::UserVerification,
        AssentError::NotFound { .. } => KeyStoreError::NotFound(alias.to_owned()),
        other => KeyStoreError::Host(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_actionable_variants() {
        assert!(matches!(
            AssentError::from(Core::InvalidOrder),
            AssentError::InvalidInput { .. }
        ));
        assert_eq!(
            AssentError::from(Core::Relay {
                status: 410,
                code: Some(assent_core::protocol::api::ErrorCode::Expired)
            }),
            AssentError::Relay {
                status: 410,
                code: Some("expired".into())
            }
        );
        assert!(matches!(
            AssentError::from(Core::ChallengeExpired),
            AssentError::ChallengeUnavailable { .. }
        ));
        assert!(matches!(
            AssentError::from(Core::ChallengeTampered),
            AssentError::NotAuthentic { .. }
        ));
        assert_eq!(
            AssentError::from(Core::KeyStore(KeyStoreError::UserVerification)),
            AssentError::UserVerificationRequired
        );
        assert!(matches!(
            AssentError::from(Core::WrongKey),
            AssentError::Storage { .. }
        ));
    }

    #[test]
    fn host_errors_map_back() {
        assert!(matches!(
            to_key_store_error("k", AssentError::UserVerificationRequired),
            KeyStoreError::UserVerification
        ));
        assert!(matches!(
            to_key_store_error("k", AssentError::NotFound { reason: "x".into() }),
            KeyStoreError::NotFound(a) if a == "k"
        ));
    }
}
