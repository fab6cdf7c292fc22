//! Assent relay: the untrusted store-and-forward server that carries
//! protocol messages between relying parties (login servers) and phones.
//!
//! [`app`] builds the HTTP application from an [`AppState`]; [`server`] runs
//! it with graceful shutdown and the expiry purge; [`admin`] manages tenants
//! and API keys.

pub mod admin;
pub mod admin_features;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod embed;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod features;
pub mod managed;
pub mod metrics;
pub mod openapi;
pub mod purge;
pub mod push;
pub mod random;
pub mod rate;
pub mod routes;
pub mod server;
pub mod settings;
pub mod signed;
pub mod state;
pub mod store;
pub mod tls;
pub mod waiters;
pub mod webhook;

pub use embed::{ApiKey, EmbedError, Relay, RelayBuilder, RunningRelay};
pub use routes::app;
pub use state::AppState;
