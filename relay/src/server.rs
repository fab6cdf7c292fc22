//! Running the relay: logging, store, listener, purge task, graceful
//! shutdown on SIGTERM or Ctrl-C (in-flight requests finish first).

use std::future::Future;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, LogFormat};
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::{app, purge};

/// The server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be opened.
    #[error("cannot open database: {0}")]
    Store(#[from] StoreError),
    /// Binding or serving failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
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

/// Opens the store, binds the configured address and serves until SIGTERM
/// or Ctrl-C.
pub async fn run(config: Config) -> Result<(), ServerError> {
    let store = store::connect(&config.database_url, config.db_max_connections).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let state = AppState::new(store, config);
    serve(listener, state, shutdown_signal()).await
}

/// Serves `state` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish and stops the purge task.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        public_origin = %state.config.public_origin.as_str(),
        database = %redact_url(&state.config.database_url),
        "assent-relay listening"
    );
    if !state.push.enabled() {
        tracing::warn!(
            provider = state.push.name(),
            "push is OFF: no APNs/FCM provider is configured, phones must poll for challenges"
        );
    }
    tracing::info!(
        "the relay speaks plain HTTP: serve it to phones through a TLS proxy at the public origin"
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let purger = purge::spawn(state.clone(), stop_rx);
    let waiters = state.waiters.clone();
    let router = app(state);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop_tx.send(true);
            waiters.shut_down();
        })
        .await;
    let _ = purger.await;
    tracing::info!("assent-relay stopped");
    result.map_err(ServerError::from)
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
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
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
