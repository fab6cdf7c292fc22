//! One keep-alive HTTP/1.1 connection on hyper's low-level client (no pool:
//! each simulated lane owns its connections, as a phone or an RP worker
//! would).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::Error;

/// A status and a body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body if the status is `want`, else an error naming both.
    pub fn expect_status(self, want: StatusCode, what: &str) -> Result<Bytes, Error> {
        if self.status == want {
            Ok(self.body)
        } else {
            Err(format!(
                "{what}: HTTP {} (wanted {want}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
            .into())
        }
    }
}

/// TLS client settings: trust exactly one CA (e.g. the relay's development
/// CA), HTTP/1.1 by ALPN.
#[derive(Clone)]
pub struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl Tls {
    /// Trusts the CA certificate(s) in the PEM file `ca` for server `name`.
    pub fn new(ca: &Path, name: &str) -> Result<Self, Error> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca)
            .map_err(|e| format!("cannot read CA file {}: {e}", ca.display()))?
        {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            name: ServerName::try_from(name.to_owned())?,
        })
    }
}

/// A keep-alive connection to the relay (reconnects when the server closed it).
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    tls: Option<Tls>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

fn drive<F>(conn: F)
where
    F: std::future::Future<Output = Result<(), hyper::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("assent-loadgen: connection ended: {e}");
        }
    });
}

impl Conn {
    /// A connection to `addr` (over TLS when `tls` is set), sending `host` as
    /// the Host header; opened lazily.
    pub fn new(addr: SocketAddr, host: &str, tls: Option<Tls>) -> Result<Self, Error> {
        Ok(Self {
            addr,
            host: HeaderValue::from_str(host)?,
            tls,
            sender: None,
        })
    }

    async fn open(&mut self) -> Result<(), Error> {
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let sender = match &self.tls {
            None => {
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                drive(conn);
                sender
            }
            Some(tls) => {
                let stream = tls.connector.connect(tls.name.clone(), stream).await?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                drive(conn);
                sender
            }
        };
        self.sender = Some(sender);
        Ok(())
    }

    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Error> {
        let usable = match self.sender.as_mut() {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            self.open().await?;
        }
        self.sender.as_mut().ok_or_else(|| "no connection".into())
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        body: Bytes,
    ) -> Result<Reply, Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        if !body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body))?;
        let sender = self.ready().await?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
    }
}
