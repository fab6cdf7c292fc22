//! How one webhook request is sent: the [`WebhookTransport`] seam and the real
//! one over HTTPS ([`HttpTransport`]).

use std::time::Duration;

use async_trait::async_trait;

use super::Destinations;

/// Sends one webhook request; the HTTP status, or why there is none (no
/// secret in it).
#[async_trait]
pub trait WebhookTransport: Send + Sync + 'static {
    /// POSTs `body` with `headers` to `url`.
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String>;
}

/// The real transport: reqwest over rustls, no redirects, a timeout, only to
/// addresses `destinations` allow, and `https://` only unless loopback `http://` is
/// allowed (tests).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// A client with `timeout` per request.
    pub fn new(timeout: Duration, destinations: Destinations) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!destinations.allow_loopback)
            .dns_resolver(std::sync::Arc::new(super::address::PublicResolver {
                destinations,
            }))
            .user_agent(concat!("assent-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.body(body).send().await {
            Ok(response) => Ok(response.status().as_u16()),
            // Without the URL: only the kind of failure.
            Err(e) if e.is_timeout() => Err("timeout".into()),
            Err(e) if e.is_connect() => Err("connection failed".into()),
            Err(_) => Err("request failed".into()),
        }
    }
}
