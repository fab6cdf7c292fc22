//! The TLS + HTTP server loop shared by both mocks, and scripted answers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// A mock could not start.
#[derive(Debug)]
pub struct MockError(pub String);

impl std::fmt::Display for MockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mock provider: {}", self.0)
    }
}

impl std::error::Error for MockError {}

macro_rules! from_err {
    ($($t:ty),*) => {$(
        impl From<$t> for MockError {
            fn from(e: $t) -> Self {
                MockError(e.to_string())
            }
        }
    )*};
}
from_err!(rcgen::Error, rustls::Error, std::io::Error);

/// What a mock answers to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer.
    Reply {
        /// Status code.
        status: u16,
        /// JSON body (may be empty).
        body: String,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Waits this long (real time), then answers.
    Slow(Duration, Box<Answer>),
    /// Resets the stream / connection without an answer.
    Reset,
}

impl Answer {
    /// A reply with `status` and `body`.
    pub fn reply(status: u16, body: impl Into<String>) -> Self {
        Answer::Reply {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    /// This answer with `Retry-After: secs` (replies only).
    pub fn retry_after(self, secs: u64) -> Self {
        match self {
            Answer::Reply { status, body, .. } => Answer::Reply {
                status,
                body,
                retry_after: Some(secs),
            },
            other => other,
        }
    }

    /// This answer after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        Answer::Slow(delay, Box::new(self))
    }
}

/// The error a handler returns to reset the stream.
#[derive(Debug)]
pub(crate) struct ResetStream;

impl std::fmt::Display for ResetStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("scripted reset")
    }
}

impl std::error::Error for ResetStream {}

pub(crate) type Reply = Result<Response<Full<Bytes>>, ResetStream>;

/// Plays a scripted answer.
pub(crate) async fn play(answer: Answer) -> Reply {
    let mut answer = answer;
    loop {
        match answer {
            Answer::Slow(d, next) => {
                tokio::time::sleep(d).await;
                answer = *next;
            }
            Answer::Reset => return Err(ResetStream),
            Answer::Reply {
                status,
                body,
                retry_after,
            } => return Ok(respond(status, body, retry_after)),
        }
    }
}

/// A JSON response.
pub(crate) fn respond(
    status: u16,
    body: impl Into<String>,
    retry_after: Option<u64>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.into())));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = retry_after {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(hyper::header::RETRY_AFTER, v);
        }
    }
    resp
}

/// Reads a request body of at most 64 KiB.
pub(crate) async fn body_bytes(body: Incoming) -> Option<Bytes> {
    Limited::new(body, 64 * 1024)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

/// Serves `handler` over TLS on a loopback port until the returned task is aborted.
pub(crate) async fn serve<H, F>(
    tls: Arc<rustls::ServerConfig>,
    handler: H,
) -> Result<(SocketAddr, JoinHandle<()>), MockError>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = TlsAcceptor::from(tls);
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let handler = handler.clone();
            connections.spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(handler);
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok((addr, task))
}
