//! The relay as a library: [`Relay::builder`] sets it up (database, public origin,
//! clock, push provider, limits), [`RelayBuilder::build`] gives a [`Relay`] to drive
//! in process (its [`Relay::router`] takes requests without a socket), and
//! [`RelayBuilder::start`] serves it over TLS on a loopback or given address as a
//! [`RunningRelay`] with its URL, the CA to trust and a graceful shutdown.
//! [`Relay::create_tenant`] makes a tenant and its API key.
//!
//! This is what the demo, the cross-crate tests and the benches embed; the binary
//! (`assent-relay`) runs the same pieces from its command line and configuration file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use assent_protocol::RelayUrl;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::admin::{self, AdminError};
use crate::auth::make_api_key;
use crate::clock::Clock;
use crate::config::{Config, ConfigArgs, MetricsListen, Network};
use crate::notify::PushProvider;
use crate::server::{self, ServerError};
use crate::state::AppState;
use crate::store::sqlite::SqliteStore;
use crate::store::{db_time, Store, StoreError, StoreOptions};
use crate::tls::{DevFiles, Identity};

/// Why an embedded relay could not be set up, or a tenant made. The text names the
/// step and the cause; it never holds a key.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The options do not make a valid configuration.
    #[error("relay configuration: {0}")]
    Config(String),
    /// The database could not be opened or written.
    #[error("relay database: {0}")]
    Store(#[from] StoreError),
    /// Binding the listener failed.
    #[error("relay listener: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS files could not be made or read.
    #[error("relay TLS: {0}")]
    Tls(String),
    /// A tenant with that name exists, or the name is not 1 to 200 characters.
    #[error("tenant: {0}")]
    Tenant(String),
}

/// A tenant's API key (`ask_…`): zeroized on drop, redacted in `Debug`.
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// The key, to hand to the login server once.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

enum Database {
    InMemory,
    Url(String),
}

enum TlsChoice {
    /// The zero-configuration development CA and certificate, kept in this directory.
    Dev(PathBuf),
    /// A certificate chain and key (PEM files).
    Files { cert: PathBuf, key: PathBuf },
}

/// Options for an embedded relay; see [`Relay::builder`].
pub struct RelayBuilder {
    args: ConfigArgs,
    database: Database,
    max_connections: u32,
    cache_ttl: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    push: Option<Arc<dyn PushProvider>>,
    webpush: Option<assent_push_providers::webpush::WebPushConfig>,
    tls: Option<TlsChoice>,
}

impl std::fmt::Debug for RelayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayBuilder").finish_non_exhaustive()
    }
}

impl RelayBuilder {
    /// A private in-memory database (gone with the relay). The default.
    pub fn in_memory(mut self) -> Self {
        self.database = Database::InMemory;
        self
    }

    /// The database at `url` (`sqlite://path` or `postgres://…`), made (SQLite) and
    /// migrated if needed.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database = Database::Url(url.into());
        self
    }

    /// The canonical URL phones sign their requests over. With [`RelayBuilder::start`]
    /// it defaults to `https://127.0.0.1:<port>`.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.args.public_origin = Some(origin.into());
        self
    }

    /// Where [`RelayBuilder::start`] listens (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.args.listen = Some(addr);
        self
    }

    /// The relay's clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The push provider (default: none, phones poll).
    pub fn push(mut self, push: Arc<dyn PushProvider>) -> Self {
        self.push = Some(push);
        self
    }

    /// Most pending challenges per device.
    pub fn max_pending_per_device(mut self, limit: u32) -> Self {
        self.args.max_pending_per_device = Some(limit);
        self
    }

    /// Longest long-poll, seconds.
    pub fn max_wait_secs(mut self, secs: u64) -> Self {
        self.args.max_wait_secs = Some(secs);
        self
    }

    /// How long lookups (API keys, devices) may be served from the cache; zero turns
    /// the cache off (for callers that edit the database behind the relay's back).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// Serve with the development CA, made once in `dir` and reused (the default is
    /// the working directory, as for the binary).
    pub fn dev_tls(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsChoice::Dev(dir.into()));
        self
    }

    /// Serve with this certificate chain and key (PEM files).
    pub fn tls_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsChoice::Files {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// Sends Web Push (UnifiedPush) through `config` (a test points it at a mock push
    /// service), instead of any [`RelayBuilder::push`] provider. Its outbound address
    /// policy becomes the relay's own rules: public addresses and the
    /// [`RelayBuilder::allow_network`]s.
    pub fn webpush(mut self, config: assent_push_providers::webpush::WebPushConfig) -> Self {
        self.webpush = Some(config);
        self
    }

    /// Lets outbound requests (webhooks, Web Push) reach `network`, as
    /// `--webhook-allow-network` does.
    pub fn allow_network(mut self, network: Network) -> Self {
        self.args.webhook_allow_networks.push(network);
        self
    }

    /// Opens the database and builds the relay, without a listener.
    pub async fn build(self) -> Result<Relay, EmbedError> {
        self.build_with(None).await
    }

    async fn build_with(mut self, bound: Option<SocketAddr>) -> Result<Relay, EmbedError> {
        if let Some(addr) = bound {
            self.args.listen = Some(addr);
            if self.args.public_origin.is_none() {
                self.args.public_origin = Some(format!("https://127.0.0.1:{}", addr.port()));
            }
        }
        if let Database::Url(url) = &self.database {
            self.args.database_url = Some(url.clone());
        }
        let config = Config::resolve(&self.args).map_err(|e| EmbedError::Config(e.to_string()))?;
        let store: Arc<dyn Store> = match &self.database {
            Database::InMemory => Arc::new(SqliteStore::in_memory().await?),
            Database::Url(url) => {
                let options = StoreOptions {
                    max_connections: self.max_connections,
                    cache_ttl: self
                        .cache_ttl
                        .unwrap_or(Duration::from_millis(config.cache_ttl_ms)),
                };
                crate::store::connect(url, options).await?
            }
        };
        let mut state = AppState::new(store, config);
        if let Some(clock) = self.clock {
            state = state.with_clock(clock);
        }
        if let Some(push) = self.push {
            state = state.with_push(push);
        }
        if let Some(mut webpush) = self.webpush {
            webpush.addresses = Arc::new(crate::webhook::Destinations::with_networks(
                &state.config.webhook_allow_networks,
            ));
            let providers = crate::notify::providers::Providers::new(
                None,
                None,
                state.config.push.max_in_flight,
                state.metrics.push.clone(),
            )
            .and_then(|p| p.with_webpush(Some(webpush)))
            .map_err(|e| EmbedError::Config(e.to_string()))?;
            state = state.with_push(Arc::new(providers));
        }
        Ok(Relay { state })
    }

    /// Builds the relay and serves it over TLS until [`RunningRelay::shutdown`].
    pub async fn start(mut self) -> Result<RunningRelay, EmbedError> {
        let listen = self
            .args
            .listen
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let tls = self.tls.take().unwrap_or(TlsChoice::Dev(PathBuf::new()));
        let (identity, ca) = match tls {
            TlsChoice::Dev(dir) => {
                let files = DevFiles::ensure(&dir).map_err(|e| EmbedError::Tls(e.to_string()))?;
                let identity = files
                    .identity()
                    .map_err(|e| EmbedError::Tls(e.to_string()))?;
                let pem = std::fs::read(&files.ca).map_err(|e| EmbedError::Tls(e.to_string()))?;
                (identity, Some((files.ca, pem)))
            }
            TlsChoice::Files { cert, key } => {
                let identity = Identity::from_pem_files(&cert, &key)
                    .map_err(|e| EmbedError::Tls(e.to_string()))?;
                (identity, None)
            }
        };
        let tls = identity
            .server_config()
            .map_err(|e| EmbedError::Tls(e.to_string()))?;
        let relay = self.build_with(Some(addr)).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = relay.state.clone();
        let task = tokio::spawn(async move {
            server::serve_tls(listener, state, tls, async move {
                let _ = stopped.await;
            })
            .await
        });
        Ok(RunningRelay {
            relay,
            addr,
            ca,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A relay built in this process: drive it through [`Relay::router`].
#[derive(Clone, Debug)]
pub struct Relay {
    state: AppState,
}

impl Relay {
    /// Options for a relay: in-memory database, system clock, no push provider, the
    /// default limits.
    pub fn builder() -> RelayBuilder {
        RelayBuilder {
            // No metrics listener: an embedding process has its own.
            args: ConfigArgs {
                metrics_listen: Some(MetricsListen::Off),
                ..ConfigArgs::default()
            },
            database: Database::InMemory,
            max_connections: 4,
            cache_ttl: None,
            clock: None,
            push: None,
            webpush: None,
            tls: None,
        }
    }

    /// The canonical URL phones sign their requests over.
    pub fn origin(&self) -> &RelayUrl {
        &self.state.config.public_origin
    }

    /// The HTTP application (both APIs), for `tower::ServiceExt::oneshot` or any server.
    pub fn router(&self) -> axum::Router {
        crate::routes::app(self.state.clone())
    }

    /// Makes tenant `name` (1 to 200 characters, unique) and one API key for it.
    pub async fn create_tenant(&self, name: &str) -> Result<ApiKey, EmbedError> {
        let now = db_time(self.state.clock.now());
        let store = self.state.store.as_ref();
        let tenant = admin::create_tenant(store, name, now)
            .await
            .map_err(tenant_error)?;
        let made = make_api_key(&tenant.id, now).map_err(|e| EmbedError::Tenant(e.to_string()))?;
        store.create_api_key(&made.record).await?;
        Ok(ApiKey(made.key))
    }
}

fn tenant_error(e: AdminError) -> EmbedError {
    match e {
        AdminError::Store(e) => EmbedError::Store(e),
        other => EmbedError::Tenant(other.to_string()),
    }
}

/// A relay serving over TLS; stop it with [`RunningRelay::shutdown`] (dropping it
/// stops it at once).
pub struct RunningRelay {
    relay: Relay,
    addr: SocketAddr,
    ca: Option<(PathBuf, Vec<u8>)>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl std::fmt::Debug for RunningRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningRelay")
            .field("url", &self.url().as_str())
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningRelay {
    /// The relay's canonical URL.
    pub fn url(&self) -> &RelayUrl {
        self.relay.origin()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The development CA (PEM) clients must trust, when serving with it.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.ca.as_ref().map(|(_, pem)| pem.as_slice())
    }

    /// Where that CA file is (for `assent phone --ca`).
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.ca.as_ref().map(|(path, _)| path.as_path())
    }

    /// Makes tenant `name` and one API key for it; see [`Relay::create_tenant`].
    pub async fn create_tenant(&self, name: &str) -> Result<ApiKey, EmbedError> {
        self.relay.create_tenant(name).await
    }

    /// Stops taking connections, answers open long-polls at once, lets in-flight
    /// requests finish (at most ten seconds) and stops the expiry purge.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for RunningRelay {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
