//! Resolving a [`Config`] from its layers (flags and environment, then the
//! file, then the defaults) and checking the result.

use std::net::SocketAddr;
use std::time::Duration;

use assent_protocol::RelayUrl;

use super::file::{read_file, FileConfig};
use super::{
    Config, ConfigArgs, ConfigError, ConnectionLimits, Limits, MetricsAccess, DEFAULT_DATABASE_URL,
};
use crate::config::push::{PushArgs, PushSettings};
use crate::tls::TlsMode;

impl Config {
    /// The configuration with every default (what a bare start uses).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::resolve(&ConfigArgs::default())
    }

    /// Resolves flags/environment, then the file they name, then defaults.
    pub fn resolve(args: &ConfigArgs) -> Result<Self, ConfigError> {
        let (file, file_push) = match &args.config {
            Some(path) => read_file(path)?,
            None => (FileConfig::default(), PushArgs::default()),
        };
        let limits_default = Limits::default();
        let listen = args.listen.or(file.listen).unwrap_or_else(default_listen);
        let tls = tls_mode(args, &file)?;
        let origin_given = args.public_origin.is_some() || file.public_origin.is_some();
        if tls == TlsMode::Plain && !origin_given {
            return Err(ConfigError::Invalid(
                "plain_http needs public_origin: the https URL of the TLS proxy in front".into(),
            ));
        }
        let public_origin = match args.public_origin.clone().or(file.public_origin) {
            Some(text) => RelayUrl::parse(&text).map_err(|e| {
                ConfigError::Invalid(format!(
                    "public_origin must be a canonical https URL \
                     (https://host[:port][/path], lowercase, no trailing /): {e}"
                ))
            })?,
            None => default_origin(listen)?,
        };
        let config = Self {
            listen,
            database_url: args
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            db_max_connections: args
                .db_max_connections
                .or(file.db_max_connections)
                .unwrap_or(8),
            cache_ttl_ms: args.cache_ttl_ms.or(file.cache_ttl_ms).unwrap_or(1000),
            public_origin,
            body_limit: args.body_limit.or(file.body_limit).unwrap_or(64 * 1024),
            connections: ConnectionLimits {
                max_connections: args
                    .max_connections
                    .or(file.max_connections)
                    .unwrap_or(ConnectionLimits::default().max_connections),
                header_read_timeout: Duration::from_secs(
                    args.header_read_timeout_secs
                        .or(file.header_read_timeout_secs)
                        .unwrap_or(ConnectionLimits::default().header_read_timeout.as_secs()),
                ),
            },
            purge_interval_secs: args
                .purge_interval_secs
                .or(file.purge_interval_secs)
                .unwrap_or(60),
            max_wait_secs: args.max_wait_secs.or(file.max_wait_secs).unwrap_or(30),
            limits: Limits {
                max_challenge_ttl_secs: args
                    .max_challenge_ttl_secs
                    .or(file.max_challenge_ttl_secs)
                    .unwrap_or(limits_default.max_challenge_ttl_secs),
                max_enrollment_ttl_secs: args
                    .max_enrollment_ttl_secs
                    .or(file.max_enrollment_ttl_secs)
                    .unwrap_or(limits_default.max_enrollment_ttl_secs),
                retention_secs: args
                    .retention_secs
                    .or(file.retention_secs)
                    .unwrap_or(limits_default.retention_secs),
                max_pending_per_device: args
                    .max_pending_per_device
                    .or(file.max_pending_per_device)
                    .unwrap_or(limits_default.max_pending_per_device),
                device_challenge_limit: args
                    .device_challenge_limit
                    .or(file.device_challenge_limit)
                    .unwrap_or(limits_default.device_challenge_limit),
                device_challenge_window_secs: args
                    .device_challenge_window_secs
                    .or(file.device_challenge_window_secs)
                    .unwrap_or(limits_default.device_challenge_window_secs),
                max_long_polls_per_tenant: args
                    .max_long_polls_per_tenant
                    .or(file.max_long_polls_per_tenant)
                    .unwrap_or(limits_default.max_long_polls_per_tenant),
                max_long_polls_per_device: args
                    .max_long_polls_per_device
                    .or(file.max_long_polls_per_device)
                    .unwrap_or(limits_default.max_long_polls_per_device),
            },
            metrics: MetricsAccess::resolve(
                args.metrics_listen.or(file.metrics_listen),
                args.metrics_token
                    .as_deref()
                    .or(file.metrics_token.as_deref()),
            )?,
            webhook_allow_networks: if args.webhook_allow_networks.is_empty() {
                file.webhook_allow_networks.unwrap_or_default()
            } else {
                args.webhook_allow_networks.clone()
            },
            log: args
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".to_owned()),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            tls,
            push: PushSettings::resolve(&args.push, &file_push)?,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.connections.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        if self.connections.header_read_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "header_read_timeout_secs must be at least 1".into(),
            ));
        }
        if self.body_limit < 1024 {
            return Err(ConfigError::Invalid(
                "body_limit must be at least 1024 bytes".into(),
            ));
        }
        if self.purge_interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "purge_interval_secs must be positive".into(),
            ));
        }
        if self.max_wait_secs > 300 {
            return Err(ConfigError::Invalid(
                "max_wait_secs must be at most 300".into(),
            ));
        }
        if self.cache_ttl_ms > 60_000 {
            return Err(ConfigError::Invalid(
                "cache_ttl_ms must be at most 60000 (a revoked API key must stop working soon)"
                    .into(),
            ));
        }
        if self.db_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "db_max_connections must be positive".into(),
            ));
        }
        Ok(())
    }
}

fn tls_mode(args: &ConfigArgs, file: &FileConfig) -> Result<TlsMode, ConfigError> {
    let plain = args.plain_http || file.plain_http.unwrap_or(false);
    let cert = args.tls_cert.clone().or(file.tls_cert.clone());
    let key = args.tls_key.clone().or(file.tls_key.clone());
    match (plain, cert, key) {
        (true, None, None) => Ok(TlsMode::Plain),
        (true, _, _) => Err(ConfigError::Invalid(
            "plain_http and tls_cert/tls_key exclude each other".into(),
        )),
        (false, Some(cert), Some(key)) => Ok(TlsMode::Files { cert, key }),
        (false, None, None) => Ok(TlsMode::Dev),
        (false, _, _) => Err(ConfigError::Invalid(
            "tls_cert and tls_key must be given together".into(),
        )),
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_origin(listen: SocketAddr) -> Result<RelayUrl, ConfigError> {
    let text = if listen.port() == 443 {
        format!("https://{}", listen.ip_text())
    } else {
        format!("https://{}:{}", listen.ip_text(), listen.port())
    };
    RelayUrl::parse(&text).map_err(|e| {
        ConfigError::Invalid(format!(
            "cannot derive public_origin from listen address {listen}: {e}; set --public-origin"
        ))
    })
}

trait IpText {
    fn ip_text(&self) -> String;
}

impl IpText for SocketAddr {
    fn ip_text(&self) -> String {
        match self {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        }
    }
}
