//! # pam_assent — push approval for SSH, sudo and console logins
//!
//! A PAM module (`libpam_assent.so`, installed as `pam_assent.so`) on the Assent RP
//! library in end-to-end mode: after the password (or key) step, it sends a push challenge
//! to the user's phone through the relay, with the login's context (host, service,
//! remote address, user), shows in the PAM conversation the number or code to type on the
//! phone, and waits (bounded by the configured timeout) for the phone's signed answer,
//! which the library verifies with the key it pinned at enrollment. Denial, "this wasn't
//! me" and no answer fail the login. In the same conversation the user may type a TOTP
//! code or a backup code instead. See docs/pam.md for the setup.
//!
//! - [`config`]: the configuration file (`/etc/assent/pam.toml`, or `config=/path`).
//! - [`authenticate`]: one login, over a [`Conversation`].
//! - `entry`: the C entry points (`pam_sm_authenticate`, `pam_sm_setcred`); every panic
//!   is caught there, every outcome mapped to a PAM code.
//! - `pam` and `ffi`: the handle, conversation and syslog, over a minimal hand-written FFI.
//! - [`setup`]: the [`assent_rp::Rp`] for a configuration, shared with the admin command
//!   (`assent-pam-admin`: enroll, list, remove, backup-codes).
//!
//! Nothing secret reaches syslog: lines name the user, the service, challenge and device
//! ids and outcomes, never a typed code, the number shown, or a key.

pub mod authenticate;
pub mod config;
mod conversation;
mod entry;
pub mod error;
mod ffi;
mod pam;
pub mod setup;

pub use conversation::Conversation;
pub use error::{Error, Result};
