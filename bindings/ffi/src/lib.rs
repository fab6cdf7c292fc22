//! uniffi bindings of the Assent mobile core: the API that Kotlin (Android),
//! Swift (iOS) and Python see. This is the only crate that knows uniffi; it
//! wraps `assent-core` thinly, one file per exported concept:
//!
//! - [`Assent`] (`assent.rs`): the one object an app holds; its calls are
//!   spread over `accounts.rs` (accounts and codes, synchronous),
//!   `enrollment.rs` (enrollment and removal, async), `challenge.rs`
//!   (pushes, polls, answers, async), `device.rs` (push tokens) and
//!   `webpush.rs` (UnifiedPush: Web Push keys and messages) and
//!   `import_export.rs` (other authenticators' exports, both ways).
//! - Host capabilities, as traits the app implements: [`SecureStorage`]
//!   (Keychain / Keystore), [`DeviceKeyStore`] (Secure Enclave /
//!   StrongBox), [`Clock`] (optional). Software defaults:
//!   [`file_storage`], [`memory_storage`], [`software_key_store`].
//! - One error type, [`AssentError`], converted from the core's errors in
//!   `error.rs` only.
//!
//! Network calls are async (run on a tokio runtime owned by uniffi); codes
//! and parsing are synchronous. Nothing here panics: a panic across the FFI
//! would kill the app.

uniffi::setup_scaffolding!();

mod account;
mod accounts;
mod assent;
mod backup;
mod challenge;
mod clock;
mod device;
mod enrollment;
mod error;
mod handover;
mod import_export;
mod key_store;
mod kinds;
mod storage;
mod webpush;

pub use account::{Account, CodeView, PushEnrollment};
pub use assent::Assent;
pub use backup::{ReactivationItem, RestoreEntry, RestoreOutcome, RestoreReport};
pub use challenge::{Challenge, ChallengeInfo, PendingChallenges, RefusedChallenge};
pub use clock::{Clock, ClockStatus};
pub use device::{DeviceInfo, PushTokenFailure};
pub use enrollment::PendingEnrollment;
pub use error::AssentError;
pub use import_export::{Export, ExportFormat, ImportEntry, ImportOutcome, ImportReport};
pub use key_store::{software_key_store, DeviceKeyStore};
pub use kinds::{ApprovalKind, Custody, Decision, Entry, Platform};
pub use storage::{file_storage, memory_storage, SecureStorage};
pub use webpush::WebPushKeys;
