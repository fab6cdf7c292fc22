//! # assent-demo — a small login site on Assent
//!
//! Sign up with a password; turn on two-step verification by scanning a QR
//! code with the Assent app; then log in with the password and approve on the
//! phone (typing the number the page shows), or type the app's TOTP code, or a
//! backup code. The security page lists phones, backup codes and application
//! passwords. See docs/demo.md.
//!
//! The site is the RP: it uses `assent-rp` for everything second-factor, and
//! talks to the relay through an injected [`assent_rp::RelayApi`]: the real
//! relay started in process ([`embedded`], the default) or a running relay
//! (`--relay-url`). A simulated phone ([`sim`]) is served at `/phone` unless a
//! running relay is used.
//!
//! Layout: [`routes`] (one file per page group), [`session`] and [`csrf`]
//! (cookies, tokens), [`db`] (users, sessions, notices), [`org_db`] (organization
//! admins, the mail outbox), [`html`] (escaping and layout), [`events`] (RP events →
//! notices and mail), [`state`], [`config`].

pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded;
pub mod error;
pub mod events;
pub mod gate;
pub mod html;
pub mod org_db;
pub mod routes;
pub mod session;
pub mod sim;
pub mod state;

pub use routes::app;
pub use state::{make_rp, AppState, Settings};
