//! The relay's configuration: one typed [`Config`], read once at start from
//! (highest precedence first) command-line flags, `ASSENT_RELAY_*` environment
//! variables, an optional TOML file (`--config`), and built-in defaults.
//!
//! The flags and variables are [`ConfigArgs`] (`args.rs`), the file's shape
//! is in `file.rs`, the layering and the checks in `resolve.rs`, the limits
//! on relying parties and devices are [`Limits`] (`limits.rs`), who may read
//! `/metrics` is [`MetricsAccess`] (`metrics.rs`), and a refused
//! configuration is a [`ConfigError`] (`error.rs`).

mod args;
mod error;
mod file;
mod limits;
mod metrics;
mod network;
pub mod push;
mod resolve;

use std::net::SocketAddr;

use assent_protocol::RelayUrl;
use clap::ValueEnum;
use serde::Deserialize;

pub use args::ConfigArgs;
pub use error::ConfigError;
pub use limits::Limits;
pub use metrics::{MetricsAccess, MetricsListen, MetricsToken, DEFAULT_METRICS_LISTEN};
pub use network::Network;

use crate::config::push::PushSettings;
pub use crate::connections::ConnectionLimits;
use crate::tls::TlsMode;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database URL: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://assent-relay.db";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Pool size.
    pub db_max_connections: u32,
    /// Lifetime of cached API keys and devices, milliseconds (0: off).
    pub cache_ttl_ms: u64,
    /// Public URL covered by device request signatures.
    pub public_origin: RelayUrl,
    /// Maximum body size, bytes.
    pub body_limit: usize,
    /// Connection limits (count, slow and idle clients).
    pub connections: ConnectionLimits,
    /// Seconds between purges.
    pub purge_interval_secs: u64,
    /// Longest long-poll wait, seconds.
    pub max_wait_secs: u64,
    /// Limits.
    pub limits: Limits,
    /// Where `/metrics` is served.
    pub metrics: MetricsAccess,
    /// Internal networks webhooks may reach besides public addresses.
    pub webhook_allow_networks: Vec<Network>,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTPS (operator's or development certificate) or plain HTTP.
    pub tls: TlsMode,
    /// Push providers.
    pub push: PushSettings,
}

#[cfg(test)]
mod tests;
