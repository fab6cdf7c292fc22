//! Assent relay: the untrusted store-and-forward server that carries
//! protocol messages between relying parties (login servers) and phones.
//!
//! Embed it with [`Relay::builder`] (in process through its router, or served
//! over TLS as a [`RunningRelay`]); bring a push provider of your own through
//! [`PushProvider`]. [`cli`] is the binary's command line ([`cli::run`]) and
//! [`config`] its configuration. Everything else is internal: see
//! ARCHITECTURE.md for the layout (routes → exchange → store).

pub(crate) mod admin;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub(crate) mod connections;
pub mod embed;
pub(crate) mod error;
pub(crate) mod exchange;
pub(crate) mod extract;
pub(crate) mod features;
pub(crate) mod managed;
pub(crate) mod metrics;
pub(crate) mod notify;
pub(crate) mod purge;
pub(crate) mod random;
pub(crate) mod rate;
pub(crate) mod routes;
pub(crate) mod server;
pub(crate) mod settings;
pub(crate) mod signed;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod tls;
pub(crate) mod waiters;
pub(crate) mod webhook;

#[cfg(test)]
mod tests;

pub use embed::{ApiKey, EmbedError, Relay, RelayBuilder, RunningRelay};
pub use notify::{PushOutcome, PushProvider, PushTarget};
