//! The configuration as command-line flags and `ASSENT_RELAY_*` environment
//! variables ([`ConfigArgs`], parsed by clap): every option optional, the
//! gaps filled later from the file and the defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::{LogFormat, MetricsListen, Network};
use crate::config::push::PushArgs;

/// Configuration options as flags and environment variables. Every field is
/// optional here; [`Config::resolve`](super::Config::resolve) fills the gaps from the file and the
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

    /// Most open client connections; more are closed at once [default: 10000].
    #[arg(long, env = "ASSENT_RELAY_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<usize>,

    /// Seconds a client has to send a request's headers (also the longest an
    /// idle connection stays open) [default: 30].
    #[arg(long, env = "ASSENT_RELAY_HEADER_READ_TIMEOUT_SECS", global = true)]
    pub header_read_timeout_secs: Option<u64>,

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

    /// Most long-polls one relying party (tenant) may hold open at once; one more is
    /// refused with 429 `limit_exceeded`; 0 turns the cap off [default: 2500, a
    /// quarter of the default `--max-connections`].
    #[arg(long, env = "ASSENT_RELAY_MAX_LONG_POLLS_PER_TENANT", global = true)]
    pub max_long_polls_per_tenant: Option<u32>,

    /// Most long-polls one device may hold open at once (a phone needs one); one
    /// more is refused with 429 `limit_exceeded` [default: 4].
    #[arg(long, env = "ASSENT_RELAY_MAX_LONG_POLLS_PER_DEVICE", global = true)]
    pub max_long_polls_per_device: Option<u32>,

    /// Where to serve `/metrics` on a listener of its own (plain HTTP, no
    /// authentication: keep it on loopback or an internal network), or `off`
    /// [default: 127.0.0.1:9464].
    #[arg(long, env = "ASSENT_RELAY_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<MetricsListen>,

    /// Also serve `/metrics` on the main listener, to requests that carry
    /// `Authorization: Bearer <token>` (at least 32 characters); without it the
    /// main listener has no `/metrics`.
    #[arg(
        long,
        env = "ASSENT_RELAY_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// An internal network (CIDR, e.g. 10.20.0.0/16) that tenants' webhooks may
    /// reach although it is not public; repeat the flag, or separate with commas.
    /// Loopback, private, link-local (cloud metadata) and reserved addresses are
    /// refused unless listed here [default: none].
    #[arg(
        long = "webhook-allow-network",
        env = "ASSENT_RELAY_WEBHOOK_ALLOW_NETWORKS",
        value_delimiter = ',',
        global = true
    )]
    pub webhook_allow_networks: Vec<Network>,

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
