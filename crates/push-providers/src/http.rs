//! The HTTP client shared by all sends of one provider: rustls on ring, ALPN
//! `h2` so every request multiplexes over one reused HTTP/2 connection.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::error::{Error, Result};

/// Which protocols to offer in ALPN.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Alpn {
    /// HTTP/2 only (APNs speaks nothing else).
    H2Only,
    /// HTTP/2, falling back to HTTP/1.1 (the OAuth token endpoint may be either).
    H2OrHttp11,
}

/// Builds an HTTPS-only client that trusts the web PKI plus `extra_ca_pem`
/// (a private CA, for the mock providers).
pub(crate) fn client(alpn: Alpn, extra_ca_pem: Option<&str>) -> Result<reqwest::Client> {
    builder(alpn, extra_ca_pem)?
        .build()
        .map_err(|e| Error::Http(e.to_string()))
}

/// The builder of [`client`], for a client that needs more (a filtering resolver).
pub(crate) fn builder(alpn: Alpn, extra_ca_pem: Option<&str>) -> Result<reqwest::ClientBuilder> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|_| Error::Config("extra CA is not PEM"))?;
            roots
                .add(cert)
                .map_err(|_| Error::Config("extra CA certificate is not usable"))?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::Config("extra CA has no certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Http(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = match alpn {
        Alpn::H2Only => vec![b"h2".to_vec()],
        Alpn::H2OrHttp11 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(600))
        .http2_keep_alive_interval(Duration::from_secs(60))
        .http2_keep_alive_while_idle(true))
}

/// Reads at most `limit` bytes of a response body (provider error bodies are tiny).
pub(crate) async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if out.len() >= limit {
            break;
        }
    }
    out
}
