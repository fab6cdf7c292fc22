//! Running the relay: logging, store, listener, purge task, graceful
//! shutdown on SIGTERM or Ctrl-C (in-flight requests finish first).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, LogFormat};
use crate::connections;
use crate::notify::providers::{Providers, PushSetupError};
use crate::purge;
use crate::routes::app;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::tls::{DevFiles, Identity, TlsError, TlsMode};

/// The server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be opened.
    #[error("cannot open database: {0}")]
    Store(#[from] StoreError),
    /// Binding or serving failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// A push provider could not be set up.
    #[error("{0}")]
    Push(#[from] PushSetupError),
    /// The TLS certificate or key could not be loaded or made.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// The metrics listener's address could not be bound.
    #[error("cannot listen for metrics on {addr} (set --metrics-listen, or off): {source}")]
    MetricsListen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Installs the global `tracing` subscriber (stderr, text or JSON).
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first.
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Opens the store, sets up TLS, binds the configured address and serves
/// until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), ServerError> {
    // The working directory (an empty path keeps logged file names short).
    let tls = tls_config(&config.tls, Path::new(""))?;
    let options = store::StoreOptions {
        max_connections: config.db_max_connections,
        cache_ttl: std::time::Duration::from_millis(config.cache_ttl_ms),
    };
    let store = store::connect(&config.database_url, options).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let metrics_listener = match config.metrics.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::MetricsListen { addr, source })?,
        ),
        None => None,
    };
    let mut state = AppState::new(store, config);
    let push_metrics = state.metrics.push.clone();
    let destinations =
        crate::webhook::Destinations::with_networks(&state.config.webhook_allow_networks);
    if let Some(providers) =
        Providers::from_settings(&state.config.push, &destinations, push_metrics)?
    {
        state = state.with_push(Arc::new(providers));
    }
    // Managed mode and webhooks.
    let features =
        crate::features::Features::open(&state.config, state.store.clone(), state.clock.clone())
            .await?;
    let state = state.with_features(Arc::new(features));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let metrics = metrics_listener
        .map(|listener| spawn_metrics(listener, state.clone(), stopped(stop_rx.clone())));
    let served = match tls {
        Some(tls) => serve_tls(listener, state, tls, stopped(stop_rx)).await,
        None => serve(listener, state, stopped(stop_rx)).await,
    };
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    served
}

/// Serves `/metrics` alone on `listener` (plain HTTP) until `shutdown` completes.
pub fn spawn_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics on http://{addr}/metrics");
    }
    let limits = connections::ConnectionLimits {
        max_connections: 64,
        header_read_timeout: std::time::Duration::from_secs(10),
    };
    let router = crate::routes::ops::metrics_app(state);
    tokio::spawn(async move {
        if let Err(e) = connections::serve(listener, router, None, limits, shutdown).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    })
}

/// The rustls configuration for `mode` (`None` for plain HTTP); the
/// development CA and certificate are kept in (and reused from) `dir`.
pub fn tls_config(
    mode: &TlsMode,
    dir: &Path,
) -> Result<Option<Arc<rustls::ServerConfig>>, ServerError> {
    let identity = match mode {
        TlsMode::Plain => {
            tracing::info!(
                "plain HTTP (--plain-http): serve the relay to phones through a TLS proxy \
                 at the public origin"
            );
            return Ok(None);
        }
        TlsMode::Files { cert, key } => {
            tracing::info!(cert = %cert.display(), "HTTPS with the configured certificate");
            Identity::from_pem_files(cert, key)?
        }
        TlsMode::Dev => {
            let files = DevFiles::ensure(dir)?;
            tracing::warn!(
                ca = %files.ca.display(),
                created = files.created,
                "HTTPS with a DEVELOPMENT certificate for 127.0.0.1, localhost and ::1: \
                 phones must trust the development CA (e.g. `assent phone --ca {} ...`); \
                 for production give --tls-cert/--tls-key, or --plain-http behind a TLS proxy",
                files.ca.display()
            );
            files.identity()?
        }
    };
    Ok(Some(identity.server_config()?))
}

/// Serves `state` over plain HTTP on `listener` until `shutdown` completes,
/// then lets in-flight requests finish and stops the purge task.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let limits = state.config.connections;
    let (router, stopping, purger) = start(&listener, state, shutdown, "http")?;
    let result = connections::serve(listener, router, None, limits, stopping).await;
    let _ = purger.await;
    tracing::info!("assent-relay stopped");
    result.map_err(ServerError::from)
}

/// Serves `state` over HTTPS (HTTP/1.1 and h2 by ALPN) on `listener` until
/// `shutdown` completes, then lets in-flight requests finish and stops the
/// purge task.
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let limits = state.config.connections;
    let (router, stopping, purger) = start(&listener, state, shutdown, "https")?;
    let result = connections::serve(listener, router, Some(tls), limits, stopping).await;
    let _ = purger.await;
    tracing::info!("assent-relay stopped");
    result.map_err(ServerError::from)
}

type Started = (
    axum::Router,
    std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    tokio::task::JoinHandle<()>,
);

/// Logs the start, spawns the purge task and builds the router and the
/// shutdown future (which also stops the purge and answers long-polls).
fn start(
    listener: &TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    scheme: &'static str,
) -> Result<Started, ServerError> {
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        scheme,
        public_origin = %state.config.public_origin.as_str(),
        database = %redact_url(&state.config.database_url),
        "assent-relay listening"
    );
    if state.push.enabled() {
        tracing::info!(providers = state.push.name(), "push is on");
    } else {
        tracing::warn!(
            provider = state.push.name(),
            "push is OFF: no APNs/FCM provider is configured, phones must poll for challenges"
        );
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(listener) = state.store.wake_listener() {
        // Ends with the stop signal, like the purge (the handle is not needed).
        drop(listener.spawn(
            state.waiters.clone(),
            state.metrics.db.clone(),
            stop_rx.clone(),
        ));
    }
    let purger = purge::spawn(state.clone(), stop_rx);
    let waiters = state.waiters.clone();
    let router = app(state);
    let stopping = Box::pin(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
        waiters.shut_down();
    });
    Ok((router, stopping, purger))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A database URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://relay:hunter2@db:5432/assent"),
            "postgres://relay:***@db:5432/assent"
        );
        assert_eq!(
            redact_url("sqlite://assent-relay.db"),
            "sqlite://assent-relay.db"
        );
    }
}
