//! The relay's configuration: one typed [`Config`], read once at start from
//! (highest precedence first) command-line flags, `ASSENT_RELAY_*` environment
//! variables, an optional TOML file (`--config`), and built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use assent_protocol::RelayUrl;
use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::push::settings::{PushArgs, PushSettings, PUSH_KEYS};
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

/// Configuration options as flags and environment variables. Every field is
/// optional here; [`Config::resolve`] fills the gaps from the file and the
/// defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file; its keys are the long flag names with `_`
    /// for `-` (e.g. `database_url = "sqlite://relay.db"`).
    #[arg(long, env = "ASSENT_RELAY_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ASSENT_RELAY_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,

    /// Database URL [default: sqlite://assent-relay.db, in the working
    /// directory, created if missing].
    #[arg(long, env = "ASSENT_RELAY_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Maximum database connections in the pool [default: 8].
    #[arg(long, env = "ASSENT_RELAY_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// How long the relay may reuse an API key or device it read from the
    /// database, in milliseconds; 0 turns the cache off [default: 1000].
    /// Changes made through this relay apply at once whatever the value; a
    /// key revoked by `assent-relay admin` beside a running relay stops
    /// working within this time.
    #[arg(long, env = "ASSENT_RELAY_CACHE_TTL_MS", global = true)]
    pub cache_ttl_ms: Option<u64>,

    /// The relay's public URL as phones reach it and as offers name it, in
    /// canonical form (`https://host[:port][/path]`); signed device requests
    /// cover it, so it must match the offers exactly. A path is the prefix a
    /// reverse proxy strips [default: https://<listen>].
    #[arg(long, env = "ASSENT_RELAY_PUBLIC_ORIGIN", global = true)]
    pub public_origin: Option<String>,

    /// Maximum request body size in bytes [default: 65536].
    #[arg(long, env = "ASSENT_RELAY_BODY_LIMIT", global = true)]
    pub body_limit: Option<usize>,

    /// Seconds between purges of expired enrollments and challenges
    /// [default: 60].
    #[arg(long, env = "ASSENT_RELAY_PURGE_INTERVAL_SECS", global = true)]
    pub purge_interval_secs: Option<u64>,

    /// Longest long-poll wait a client may ask for, in seconds [default: 30].
    #[arg(long, env = "ASSENT_RELAY_MAX_WAIT_SECS", global = true)]
    pub max_wait_secs: Option<u64>,

    /// Longest lifetime a relying party may give a challenge, in seconds
    /// [default: 600].
    #[arg(long, env = "ASSENT_RELAY_MAX_CHALLENGE_TTL_SECS", global = true)]
    pub max_challenge_ttl_secs: Option<u64>,

    /// Longest lifetime a relying party may give an enrollment announcement,
    /// in seconds [default: 3600].
    #[arg(long, env = "ASSENT_RELAY_MAX_ENROLLMENT_TTL_SECS", global = true)]
    pub max_enrollment_ttl_secs: Option<u64>,

    /// How long answered or expired challenges stay readable after their
    /// expiry before the purge removes them, in seconds [default: 300].
    #[arg(long, env = "ASSENT_RELAY_RETENTION_SECS", global = true)]
    pub retention_secs: Option<u64>,

    /// Most pending challenges one device may have at once [default: 4].
    #[arg(long, env = "ASSENT_RELAY_MAX_PENDING_PER_DEVICE", global = true)]
    pub max_pending_per_device: Option<u32>,

    /// Most challenges one device may receive per
    /// `--device-challenge-window-secs` (a burst of this many, then refilled
    /// evenly over the window); the relay's own guard against a relying
    /// party flooding a phone with prompts; 0 turns it off [default: 30].
    #[arg(long, env = "ASSENT_RELAY_DEVICE_CHALLENGE_LIMIT", global = true)]
    pub device_challenge_limit: Option<u32>,

    /// The window of `--device-challenge-limit`, in seconds [default: 600].
    #[arg(long, env = "ASSENT_RELAY_DEVICE_CHALLENGE_WINDOW_SECS", global = true)]
    pub device_challenge_window_secs: Option<u64>,

    /// Log filter, in `tracing` env-filter syntax [default: info].
    #[arg(long, env = "ASSENT_RELAY_LOG", global = true)]
    pub log: Option<String>,

    /// Log format [default: text].
    #[arg(long, env = "ASSENT_RELAY_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,

    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs
    /// `--tls-key`. Without `--tls-cert`/`--tls-key`/`--plain-http`, the relay
    /// makes a development CA (`assent-relay-ca.pem`) and a certificate for
    /// 127.0.0.1, localhost and ::1 (`assent-relay-tls/`) in the working
    /// directory at first start, reuses them later, and serves HTTPS with them:
    /// phones must then trust that CA (e.g. `assent phone --ca
    /// assent-relay-ca.pem ...`).
    #[arg(long, env = "ASSENT_RELAY_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM: PKCS#8, SEC1 or PKCS#1) of `--tls-cert`.
    #[arg(long, env = "ASSENT_RELAY_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,

    /// Serve plain HTTP, for a relay behind a TLS-terminating proxy; then
    /// `--public-origin` must name the proxy's https URL.
    #[arg(long, env = "ASSENT_RELAY_PLAIN_HTTP", global = true)]
    pub plain_http: bool,

    /// Push providers (APNs, FCM); none set: poll-only.
    #[command(flatten)]
    pub push: PushArgs,
}

/// The TOML file's contents; the same keys as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    db_max_connections: Option<u32>,
    cache_ttl_ms: Option<u64>,
    public_origin: Option<String>,
    body_limit: Option<usize>,
    purge_interval_secs: Option<u64>,
    max_wait_secs: Option<u64>,
    max_challenge_ttl_secs: Option<u64>,
    max_enrollment_ttl_secs: Option<u64>,
    retention_secs: Option<u64>,
    max_pending_per_device: Option<u32>,
    device_challenge_limit: Option<u32>,
    device_challenge_window_secs: Option<u64>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    plain_http: Option<bool>,
}

/// Limits the relay enforces on relying parties and devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest challenge lifetime, seconds.
    pub max_challenge_ttl_secs: u64,
    /// Longest enrollment announcement lifetime, seconds.
    pub max_enrollment_ttl_secs: u64,
    /// Seconds that finished challenges stay readable after expiry.
    pub retention_secs: u64,
    /// Most pending challenges per device.
    pub max_pending_per_device: u32,
    /// Most challenges per device per window (0: no cap).
    pub device_challenge_limit: u32,
    /// That window, seconds.
    pub device_challenge_window_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_challenge_ttl_secs: 600,
            max_enrollment_ttl_secs: 3600,
            retention_secs: 300,
            max_pending_per_device: 4,
            device_challenge_limit: 30,
            device_challenge_window_secs: 600,
        }
    }
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
    /// Seconds between purges.
    pub purge_interval_secs: u64,
    /// Longest long-poll wait, seconds.
    pub max_wait_secs: u64,
    /// Limits.
    pub limits: Limits,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTPS (operator's or development certificate) or plain HTTP.
    pub tls: TlsMode,
    /// Push providers.
    pub push: PushSettings,
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

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

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

fn read_file(path: &Path) -> Result<(FileConfig, PushArgs), ConfigError> {
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
    // The push keys go to their own struct (crate::push::settings).
    let push: toml::Table = PUSH_KEYS
        .iter()
        .filter_map(|key| table.remove(*key).map(|value| ((*key).to_owned(), value)))
        .collect();
    let file = FileConfig::deserialize(table).map_err(|e| parse(e.message().to_owned()))?;
    let push = PushArgs::deserialize(push).map_err(|e| parse(e.message().to_owned()))?;
    Ok((file, push))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn defaults_are_zero_config() {
        let config = Config::resolve(&ConfigArgs::default()).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.public_origin.as_str(), "https://127.0.0.1:8080");
    }

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nbody_limit = 2048\nmax_pending_per_device = 2\n\
             public_origin = \"https://relay.example.com\"\n",
        )
        .unwrap();
        let args = ConfigArgs {
            config: Some(path),
            body_limit: Some(4096),
            ..ConfigArgs::default()
        };
        let config = Config::resolve(&args).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.body_limit, 4096);
        assert_eq!(config.limits.max_pending_per_device, 2);
        assert_eq!(config.public_origin.as_str(), "https://relay.example.com");
        assert_eq!(config.purge_interval_secs, 60);

        let with_path = ConfigArgs {
            public_origin: Some("https://example.com/relay".into()),
            ..ConfigArgs::default()
        };
        assert_eq!(
            Config::resolve(&with_path).unwrap().public_origin.as_str(),
            "https://example.com/relay"
        );
    }

    #[test]
    fn tls_modes() {
        assert_eq!(Config::defaults().unwrap().tls, TlsMode::Dev);
        let files = ConfigArgs {
            tls_cert: Some("c.pem".into()),
            tls_key: Some("k.pem".into()),
            ..ConfigArgs::default()
        };
        assert_eq!(
            Config::resolve(&files).unwrap().tls,
            TlsMode::Files {
                cert: "c.pem".into(),
                key: "k.pem".into()
            }
        );
        let half = ConfigArgs {
            tls_cert: Some("c.pem".into()),
            ..ConfigArgs::default()
        };
        assert!(Config::resolve(&half).is_err());
        let plain_without_origin = ConfigArgs {
            plain_http: true,
            ..ConfigArgs::default()
        };
        let err = Config::resolve(&plain_without_origin)
            .unwrap_err()
            .to_string();
        assert!(err.contains("public_origin"), "{err}");
        let plain = ConfigArgs {
            plain_http: true,
            public_origin: Some("https://relay.example.com".into()),
            ..ConfigArgs::default()
        };
        assert_eq!(Config::resolve(&plain).unwrap().tls, TlsMode::Plain);
        let both = ConfigArgs {
            tls_key: Some("k.pem".into()),
            ..files.clone()
        };
        let both = ConfigArgs {
            plain_http: true,
            public_origin: Some("https://relay.example.com".into()),
            ..both
        };
        assert!(Config::resolve(&both).is_err());
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let args = ConfigArgs {
            config: Some(path.clone()),
            ..ConfigArgs::default()
        };
        let err = Config::resolve(&args).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");

        for origin in [
            "relay.example.com",
            "https://relay.example.com/",
            "http://relay.example.com",
            "https://Relay.example.com",
            "https://relay.example.com:443",
            "ftp://x",
        ] {
            let args = ConfigArgs {
                public_origin: Some(origin.into()),
                ..ConfigArgs::default()
            };
            assert!(Config::resolve(&args).is_err(), "{origin}");
        }
        let missing = ConfigArgs {
            config: Some(dir.path().join("missing.toml")),
            ..ConfigArgs::default()
        };
        assert!(matches!(
            Config::resolve(&missing),
            Err(ConfigError::Read { .. })
        ));
    }
}
