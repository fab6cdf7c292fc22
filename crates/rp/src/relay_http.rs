//! The production [`RelayApi`]: the relay's RP API over HTTPS (docs/protocol.md §10),
//! with the tenant's API key. reqwest + rustls (ring provider), behind the default
//! `http` feature.
//!
//! It only moves messages: every value it returns is parsed strictly here and then
//! verified by the library (registrations by bind, signature and unwrap; answers by the
//! pinned device key), as for any relay. Error bodies are read for their stable `code`
//! only; their messages are not trusted or logged.

use std::sync::Arc;
use std::time::Duration;

use assent_protocol::api::{self, ErrorBody, ErrorCode};
use assent_protocol::handover::{HandoverConfirmation, HandoverRequest};
use assent_protocol::{
    Answer, Challenge, ChallengeId, DeviceId, EnrollmentAnswer, EnrollmentId, PushId, Registration,
    RelayUrl, UnenrollConfirmation, UnenrollRequest,
};
pub use reqwest::Method;
use reqwest::StatusCode;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::relay::{RelayApi, RelayError};

/// The largest reply body read from a relay.
const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// The longest long-poll asked of the relay (the relay caps it too).
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// One request of the relay's RP API, as [`HttpRelay`] makes it.
#[derive(Debug)]
pub struct RpRequest<'a> {
    /// The HTTP method.
    pub method: Method,
    /// Path and query, from the `api` templates (`/v1/rp/…`).
    pub path: &'a str,
    /// The JSON body, if any.
    pub body: Option<String>,
}

/// What carries [`RpRequest`]s to the relay: HTTPS in production ([`HttpRelay::new`]),
/// anything else in tests. It presents `api_key` as a bearer token and returns the
/// status and body; [`HttpRelay`] reads them.
#[async_trait::async_trait]
pub trait RpWire: Send + Sync + 'static {
    /// Sends `request` to the relay at `base`.
    async fn send(
        &self,
        base: &RelayUrl,
        api_key: &str,
        request: RpRequest<'_>,
    ) -> Result<(u16, Vec<u8>), RelayError>;
}

/// The relay's RP API over HTTPS (or over another [`RpWire`]).
#[derive(Clone)]
pub struct HttpRelay {
    base: RelayUrl,
    api_key: Zeroizing<String>,
    wire: Arc<dyn RpWire>,
}

impl std::fmt::Debug for HttpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRelay")
            .field("base", &self.base.as_str())
            .field("api_key", &"..redacted..")
            .finish()
    }
}

impl HttpRelay {
    /// A client for the relay at `base` (its canonical HTTPS URL), acting for the tenant
    /// whose API key is `api_key` (`ask_…`).
    pub fn new(base: RelayUrl, api_key: &str) -> Result<Self, RelayError> {
        Self::with_wire(base, api_key, Arc::new(HttpsWire::new(None)?))
    }

    /// The same, also trusting `ca_pem` (one or more PEM `CERTIFICATE` blocks) for the
    /// relay's TLS: a private CA, or a test CA on loopback.
    ///
    /// The PEM is checked here: empty input, input with no `CERTIFICATE` block, malformed
    /// PEM, a block of another kind (such as a private key) or a certificate that does not
    /// parse is a [`RelayError::Unavailable`] naming the problem.
    pub fn with_extra_ca(base: RelayUrl, api_key: &str, ca_pem: &[u8]) -> Result<Self, RelayError> {
        assent_protocol::ca_pem::check_ca_pem(ca_pem)
            .map_err(|e| RelayError::Unavailable(e.to_string()))?;
        let ca = reqwest::Certificate::from_pem(ca_pem)
            .map_err(|_| RelayError::Unavailable("extra CA is not a PEM certificate".into()))?;
        Self::with_wire(base, api_key, Arc::new(HttpsWire::new(Some(ca))?))
    }

    /// The same client over `wire` instead of HTTPS (an in-process relay in tests).
    pub fn with_wire(
        base: RelayUrl,
        api_key: &str,
        wire: Arc<dyn RpWire>,
    ) -> Result<Self, RelayError> {
        if api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(RelayError::Unavailable(
                "API key is not printable ASCII".into(),
            ));
        }
        Ok(Self {
            base,
            api_key: Zeroizing::new(api_key.to_owned()),
            wire,
        })
    }

    /// One call: `(status, body)`; 2xx and the statuses in `ok` pass, others become
    /// [`RelayError::Rejected`] with the relay's error code.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        ok: &[StatusCode],
    ) -> Result<(StatusCode, Vec<u8>), RelayError> {
        let request = RpRequest { method, path, body };
        let (status, bytes) = self.wire.send(&self.base, &self.api_key, request).await?;
        let status = StatusCode::from_u16(status)
            .map_err(|_| RelayError::Unavailable("relay reply has no valid status".into()))?;
        if status.is_success() || ok.contains(&status) {
            return Ok((status, bytes));
        }
        Err(RelayError::Rejected {
            status: status.as_u16(),
            code: ErrorBody::code_of(&bytes),
        })
    }
}

/// The production wire: reqwest + rustls, HTTPS only, no redirects, bounded replies.
struct HttpsWire {
    client: reqwest::Client,
}

impl HttpsWire {
    fn new(ca: Option<reqwest::Certificate>) -> Result<Self, RelayError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            // Before the relay closes an idle connection (30 s by default), so a
            // request never goes out on a connection the relay is closing.
            .pool_idle_timeout(Duration::from_secs(20))
            .timeout(MAX_WAIT + Duration::from_secs(15))
            .user_agent(concat!("assent-rp/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca {
            builder = builder.add_root_certificate(ca);
        }
        let client = builder
            .build()
            .map_err(|_| RelayError::Unavailable("cannot build the HTTPS client".into()))?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl RpWire for HttpsWire {
    async fn send(
        &self,
        base: &RelayUrl,
        api_key: &str,
        request: RpRequest<'_>,
    ) -> Result<(u16, Vec<u8>), RelayError> {
        let url = format!("{}{}", base.as_str(), request.path);
        let mut builder = self
            .client
            .request(request.method, url)
            .bearer_auth(api_key);
        if let Some(body) = request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(RelayError::Unavailable("relay reply too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, bytes))
    }
}

#[async_trait::async_trait]
impl RelayApi for HttpRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        let body = to_json(&api::Announce {
            eid: *eid,
            expires_at,
        })?;
        // 409: announced before (a retried call); the eid is 128 random bits.
        self.call(
            Method::POST,
            api::RP_ENROLLMENTS,
            Some(body),
            &[StatusCode::CONFLICT],
        )
        .await
        .map(drop)
    }

    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        match self
            .call(Method::GET, &api::rp_registration(eid), None, &[])
            .await
        {
            Ok((_, body)) => Registration::from_json(&body).map(Some).map_err(malformed),
            Err(RelayError::Rejected {
                code: Some(ErrorCode::NotReady),
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        self.call(
            Method::POST,
            &api::rp_enrollment_answer(&answer.eid),
            Some(answer.to_json()),
            &[],
        )
        .await
        .map(drop)
    }

    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        let body = to_json(&api::CreateChallenge {
            challenge: challenge.clone(),
            push_id: *push_id,
        })?;
        self.call(Method::POST, api::RP_CHALLENGES, Some(body), &[])
            .await
            .map(drop)
    }

    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        let wait = wait.min(MAX_WAIT).as_secs();
        let path = format!("{}?wait={wait}", api::rp_challenge_answer(challenge_id));
        let (status, body) = self.call(Method::GET, &path, None, &[]).await?;
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        Answer::from_json(&body).map(Some).map_err(malformed)
    }

    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        // 404: the relay no longer knows it (removed before): removal is idempotent.
        self.call(
            Method::DELETE,
            &api::rp_device(device_id),
            None,
            &[StatusCode::NOT_FOUND],
        )
        .await
        .map(drop)
    }

    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        let (_, body) = self
            .call(Method::GET, api::RP_UNENROLL_REQUESTS, None, &[])
            .await?;
        // One malformed entry must not hide the others: it is skipped (the library
        // verifies every statement anyway).
        api::UnenrollList::parse_lenient(&body)
            .ok_or_else(|| RelayError::Unavailable("malformed unenroll request list".into()))
    }

    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        self.call(
            Method::POST,
            &api::rp_unenrolled(&confirmation.device_id),
            Some(confirmation.to_json()),
            &[],
        )
        .await
        .map(drop)
    }

    async fn handover_requests(&self) -> Result<Vec<HandoverRequest>, RelayError> {
        let (_, body) = self
            .call(Method::GET, api::RP_HANDOVER_REQUESTS, None, &[])
            .await?;
        // As for unenroll requests: a malformed entry is skipped, never fatal.
        api::HandoverList::parse_lenient(&body)
            .ok_or_else(|| RelayError::Unavailable("malformed handover request list".into()))
    }

    async fn confirm_handover(
        &self,
        confirmation: &HandoverConfirmation,
    ) -> Result<(), RelayError> {
        self.call(
            Method::POST,
            &api::rp_replaced(&confirmation.device_id),
            Some(confirmation.to_json()),
            &[],
        )
        .await
        .map(drop)
    }
}

fn to_json(value: &impl Serialize) -> Result<String, RelayError> {
    serde_json::to_string(value)
        .map_err(|_| RelayError::Unavailable("cannot encode the request".into()))
}

fn malformed(_: assent_protocol::Error) -> RelayError {
    RelayError::Unavailable("malformed reply from the relay".into())
}

/// A transport error naming the kind of failure only (reqwest's text can hold the URL).
fn describe(error: reqwest::Error) -> RelayError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    RelayError::Unavailable(kind.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_must_be_printable_and_are_redacted() {
        let base = RelayUrl::parse("https://relay.example.com").unwrap_or_else(|_| unreachable!());
        assert!(HttpRelay::new(base.clone(), "bad key\n").is_err());
        let relay = HttpRelay::new(base, "ask_0123_secret").unwrap_or_else(|_| unreachable!());
        assert!(!format!("{relay:?}").contains("secret"));
    }

    /// The RP's client runs the one CA check (`assent_protocol::ca_pem`, where its
    /// cases are tested) and reports its refusal as such.
    #[test]
    fn extra_ca_is_checked_with_the_shared_check() {
        let base = RelayUrl::parse("https://relay.example.com").unwrap_or_else(|_| unreachable!());
        match HttpRelay::with_extra_ca(base, "ask_0123_secret", b" \n") {
            Err(RelayError::Unavailable(message)) => assert_eq!(message, "extra CA is empty"),
            other => unreachable!("expected a refusal, got {other:?}"),
        }
    }
}
