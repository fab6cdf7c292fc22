//! The optional TOML configuration file (`--config`): the same keys as the
//! long flags, unknown keys refused, the push keys handed to
//! [`PushArgs`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, LogFormat, MetricsListen, Network};
use crate::config::push::{PushArgs, PUSH_KEYS};

/// The TOML file's contents; the same keys as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) listen: Option<SocketAddr>,
    pub(super) database_url: Option<String>,
    pub(super) db_max_connections: Option<u32>,
    pub(super) cache_ttl_ms: Option<u64>,
    pub(super) public_origin: Option<String>,
    pub(super) body_limit: Option<usize>,
    pub(super) max_connections: Option<usize>,
    pub(super) header_read_timeout_secs: Option<u64>,
    pub(super) purge_interval_secs: Option<u64>,
    pub(super) max_wait_secs: Option<u64>,
    pub(super) max_challenge_ttl_secs: Option<u64>,
    pub(super) max_enrollment_ttl_secs: Option<u64>,
    pub(super) retention_secs: Option<u64>,
    pub(super) max_pending_per_device: Option<u32>,
    pub(super) device_challenge_limit: Option<u32>,
    pub(super) device_challenge_window_secs: Option<u64>,
    pub(super) max_long_polls_per_tenant: Option<u32>,
    pub(super) max_long_polls_per_device: Option<u32>,
    pub(super) metrics_listen: Option<MetricsListen>,
    pub(super) metrics_token: Option<String>,
    pub(super) webhook_allow_networks: Option<Vec<Network>>,
    pub(super) log: Option<String>,
    pub(super) log_format: Option<LogFormat>,
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    pub(super) plain_http: Option<bool>,
}

pub(super) fn read_file(path: &Path) -> Result<(FileConfig, PushArgs), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parse = |message: String| ConfigError::Parse {
        path: path.to_owned(),
        message,
    };
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| parse(e.message().to_owned()))?;
    // The push keys go to their own struct (crate::config::push).
    let push: toml::Table = PUSH_KEYS
        .iter()
        .filter_map(|key| table.remove(*key).map(|value| ((*key).to_owned(), value)))
        .collect();
    let file = FileConfig::deserialize(table).map_err(|e| parse(e.message().to_owned()))?;
    let push = PushArgs::deserialize(push).map_err(|e| parse(e.message().to_owned()))?;
    Ok((file, push))
}
