//! Assent mobile core: the offline half of the phone app.
//!
//! - [`vault`]: the accounts vault: add an account from an `otpauth://` URI
//!   or from fields, list, rename, reorder, remove, and get what a code
//!   screen shows ([`CodeView`]: the code, seconds left, the next code).
//!   HOTP counters advance only on request, and the advance is persisted.
//! - [`storage`]: the host's named-blob storage ([`SecureStorage`]), a
//!   file-backed ([`FileStorage`], atomic replace) and an in-memory
//!   ([`MemoryStorage`]) implementation, the vault's encrypted format
//!   (AES-256-GCM, key from a [`VaultKeySource`]) and its migrations.
//! - [`keys`]: device keys for push accounts (ECDSA P-256/SHA-256) behind
//!   the [`KeyStore`] trait, with [`SoftwareKeyStore`] as the default.
//! - [`clock`]: time through the [`Clock`] trait; codes use the clock plus
//!   the vault's stored TOTP offset.
//! - [`push`]: push approval on the phone ([`PushClient`]): enrollment from
//!   an offer (QR URI or in-app JSON), challenges from a push or a poll,
//!   signed answers, push-token updates and removal, and the clock
//!   corrections (relay time for requests; TOTP display moved only by
//!   authenticated challenges, at most one step).
//! - [`import`]: other authenticators' exports (Aegis, 2FAS, andOTP,
//!   FreeOTP+, Bitwarden, Ente Auth, Authenticator Pro, Proton, Google
//!   Authenticator migration URIs, otpauth lists) into the vault, with a
//!   per-entry [`ImportReport`]; [`export`]: otpauth URIs, Google migration
//!   payloads and Aegis vault files. Steam accounts are
//!   [`AccountKind::Steam`] with Steam codes.
//! - [`backup`]: password-encrypted backup files of the whole vault
//!   (argon2id, AES-256-GCM; docs/backup.md) and their restore, push
//!   accounts coming back as [`ReactivationItem`]s to enroll again.
//! - [`transport`]: the [`RelayTransport`] trait through which the core
//!   reaches the relay (the host, or a test, moves the bytes).
//!
//! The crate does no FFI and no network I/O; storage, keys, time and
//! randomness all come through traits or arguments, so hosts (the uniffi
//! bindings, the `assent` CLI, tests) decide what backs them.
//!
//! ```
//! use std::sync::Arc;
//! use assent_core::{MemoryStorage, StaticKey, Vault, VaultEnv, VaultKey};
//!
//! let env = VaultEnv::new(
//!     Arc::new(MemoryStorage::new()),
//!     Arc::new(StaticKey(VaultKey::from_bytes([7; 32]))),
//! );
//! let mut vault = Vault::open_or_create(env)?;
//! let id = vault.add_uri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")?;
//! let view = vault.code(&id)?;
//! assert_eq!(view.code.to_string().len(), 6);
//! # Ok::<(), assent_core::Error>(())
//! ```

pub mod backup;
pub mod clock;
mod error;
pub mod export;
#[cfg(feature = "https")]
pub mod https;
pub mod import;
pub mod keys;
pub mod push_client;
mod random;
pub mod storage;
pub mod transport;
pub mod vault;

pub use backup::{
    BackupError, KdfParams, ReactivationItem, RestoreEntry, RestoreOutcome, RestoreReport,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, HandoverError, Result};
pub use export::{ExportFormat, Exported};
pub use import::{ImportError, ImportFormat, ImportReport};
pub use keys::{DevicePublicKey, KeyStore, KeyStoreError, KeyStoreSigner, SoftwareKeyStore};
pub use push_client::{
    ChallengeView, ClockStatus, DeviceInfo, Entry, HandoverPreview, HandoverProgress,
    IncomingHandover, OutgoingHandover, PendingChallenges, PendingEnrollment, PreviewAccount,
    PreviewKind, PushClient, Received, Refused, Sent, WebPushReceiver, WEBPUSH_KEYS_BLOB,
};
pub use random::RandomSource;
pub use storage::{
    FileStorage, KeyFile, MemoryStorage, SecureStorage, StaticKey, StorageError, VaultKey,
    VaultKeySource,
};
pub use transport::{DeviceCall, Method, RelayReply, RelayTransport, TransportError};
pub use vault::{
    Account, AccountFields, AccountId, AccountKind, CodeTiming, CodeView, PushEnrollment,
    PushHandover, Vault, VaultEnv,
};

/// The OTP crate, re-exported for hosts that build [`AccountFields`].
pub use assent_otp as otp;
/// The protocol crate, re-exported for hosts (ids, kinds, decisions).
pub use assent_protocol as protocol;
pub use assent_protocol::{ApprovalKind, Custody, Decision, Platform};
