//! Serving connections, over TLS or plain HTTP (behind a TLS proxy), with limits
//! (issue 13 finding 6): at most [`ConnectionLimits::max_connections`] open at once
//! (more are closed at once), a TLS handshake within ten seconds, a plain connection's
//! first bytes and every HTTP/1.1 request's headers within
//! [`ConnectionLimits::header_read_timeout`], HTTP/2 connections pinged at that interval
//! and closed when the peer stops answering. Over TLS, ALPN picks the protocol. On shutdown it stops accepting, lets in-flight requests finish
//! (HTTP/1.1 connections close after their current request, HTTP/2 ones get a GOAWAY)
//! for at most ten seconds, and returns.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;

/// How long in-flight requests may take to finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits on the clients' connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most open connections; a connection beyond them is closed at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers; a connection idle this long
    /// between requests is closed too.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// 10,000 connections, 30 s for the headers (and for an idle connection). The
    /// workspace's clients drop pooled connections after 20 s idle, before the relay
    /// would close them under a request.
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` (TLS with `tls`, plain HTTP without) within `limits`
/// until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(
                max = limits.max_connections,
                "connection limit reached: closing a new connection"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let Some(acceptor) = acceptor else {
                // Plain HTTP: HTTP/1.1 or h2 by its first bytes, which must come in time.
                let mut first = [0u8; 1];
                match tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                }
                serve_one(stream, router, limits, watcher, None).await;
                return;
            };
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            let tls = tokio::select! {
                result = handshake => match result {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        return;
                    }
                },
                _ = stop_rx.wait_for(|stop| *stop) => return,
            };
            // Over TLS the protocol is the one ALPN chose (no waiting for a preface).
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            serve_one(tls, router, limits, watcher, Some(h2)).await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // A client that neither sends nor closes (an idle HTTP/2 connection that ignores
    // GOAWAY) must not hold the relay up forever.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = SHUTDOWN_GRACE.as_secs(),
            "connections still open after the shutdown grace period: closing them"
        );
    }
    Ok(())
}

/// One connection within `limits`: h2 (`Some(true)`), HTTP/1.1 (`Some(false)`) or
/// whichever its first bytes say (`None`).
async fn serve_one<I>(
    io: I,
    router: Router,
    limits: ConnectionLimits,
    watcher: Watcher,
    h2: Option<bool>,
) where
    I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder = match h2 {
        Some(true) => builder.http2_only(),
        Some(false) => builder.http1_only(),
        None => builder,
    };
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_read_timeout))
        .keep_alive_timeout(limits.header_read_timeout);
    let service = TowerToHyperService::new(router);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
