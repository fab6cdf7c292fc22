//! The phone's relay client over HTTPS (reqwest + rustls, ring provider): the
//! production [`RelayTransport`].
//!
//! It only moves bytes. It refuses plain HTTP and redirects, bounds every call
//! by a timeout and every reply by a size limit, and reads the relay's clock
//! from `Assent-Time`. Hosts that bring their own networking stack implement
//! [`RelayTransport`] themselves instead; this one is behind the default
//! `https` feature.

use std::time::Duration;

use assent_protocol::{api, RelayUrl};

use crate::transport::{DeviceCall, Method, RelayReply, RelayTransport, TransportError};

/// The largest reply body read from a relay.
pub const MAX_REPLY_BYTES: usize = 256 * 1024;

/// How long one call may take, connection included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTPS relay client. Cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct HttpsTransport {
    client: reqwest::Client,
}

impl HttpsTransport {
    /// A client that trusts the public web PKI (Mozilla's roots).
    pub fn new() -> Result<Self, TransportError> {
        Self::build(None)
    }

    /// A client that also trusts `ca_pem` (one or more PEM certificates), for
    /// relays on a private CA and for tests on loopback with a generated test
    /// CA. A bundle with anything but certificates that parse is refused
    /// ([`assent_protocol::ca_pem::check_ca_pem`]).
    pub fn with_extra_ca(ca_pem: &[u8]) -> Result<Self, TransportError> {
        // Every block must be a certificate that parses (reqwest would skip the rest).
        assent_protocol::ca_pem::check_ca_pem(ca_pem)
            .map_err(|e| TransportError::new(e.to_string()))?;
        let ca = reqwest::Certificate::from_pem(ca_pem)
            .map_err(|_| TransportError::new("extra CA is not a PEM certificate"))?;
        Self::build(Some(ca))
    }

    fn build(extra_ca: Option<reqwest::Certificate>) -> Result<Self, TransportError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            // Before the relay closes an idle connection (30 s by default), so a
            // request never goes out on a connection the relay is closing.
            .pool_idle_timeout(Duration::from_secs(20))
            .timeout(CALL_TIMEOUT)
            .user_agent(concat!("assent-core/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = extra_ca {
            builder = builder.add_root_certificate(ca);
        }
        let client = builder
            .build()
            .map_err(|e| TransportError::new(format!("cannot build HTTPS client: {e}")))?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl RelayTransport for HttpsTransport {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        let url = format!("{}{}", relay.as_str(), call.path);
        let mut request = match call.method {
            Method::Get => self.client.get(&url),
            Method::Post => self
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(call.body),
            Method::Put => self
                .client
                .put(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(call.body),
        };
        if let Some(auth) = &call.auth {
            for (name, value) in auth.to_headers() {
                request = request.header(name, value);
            }
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let relay_time = response
            .headers()
            .get(api::headers::TIME)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_canonical_u64);
        if response
            .content_length()
            .is_some_and(|len| len > MAX_REPLY_BYTES as u64)
        {
            return Err(TransportError::new("relay reply too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(TransportError::new("relay reply too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RelayReply {
            status,
            body,
            relay_time,
        })
    }
}

/// A canonical decimal (no sign, no leading zero unless "0").
fn parse_canonical_u64(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// A transport error that names the kind of failure, never the URL's query
/// or any body (reqwest's Display can include the URL; paths carry only ids).
fn describe(error: reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "bad reply body"
    } else if error.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    TransportError::new(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_time_must_be_canonical() {
        assert_eq!(parse_canonical_u64("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_canonical_u64("0"), Some(0));
        assert_eq!(parse_canonical_u64("01"), None);
        assert_eq!(parse_canonical_u64("+1"), None);
        assert_eq!(parse_canonical_u64(""), None);
        assert_eq!(parse_canonical_u64("99999999999999999999999"), None);
    }

    #[test]
    fn extra_ca_must_be_pem() {
        assert!(HttpsTransport::with_extra_ca(b"not a certificate").is_err());
    }

    /// Every block counts, not only the first: a CA followed by its private key (a
    /// file put together by mistake) is refused, by the same check as the RP's.
    #[test]
    fn extra_ca_with_a_private_key_after_the_certificate_is_refused() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap().pem();
        assert!(HttpsTransport::with_extra_ca(ca.as_bytes()).is_ok());
        let both = format!("{ca}{}", key.serialize_pem());
        let refused = HttpsTransport::with_extra_ca(both.as_bytes()).unwrap_err();
        assert!(
            refused.to_string().contains("only CERTIFICATE blocks"),
            "{refused}"
        );
    }
}
