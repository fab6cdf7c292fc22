//! The Web Push client: `POST <endpoint>` with the encrypted push payload, VAPID, `TTL`
//! (seconds to the challenge's deadline), `Urgency: high`, `Content-Encoding: aes128gcm`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use assent_protocol::webpush::{encrypt, WebPushSubscription};
use async_trait::async_trait;

use super::address::{literal_allowed, AddressPolicy, FilteringResolver};
use super::answer::{classify, Verdict};
use super::random::{with_drawn, KeyRandom};
use super::vapid::{check_contact, VapidCache, VapidKey};
use crate::clock::{unix_secs, until, Clock, SystemClock};
use crate::error::{Error, Result};
use crate::http::{builder, Alpn};
use crate::metrics::{record, NoMetrics, PushMetrics};
use crate::outcome::{Failure, Outcome, ProviderKind};
use crate::provider::{PushProvider, PushTarget};
use crate::retry::{parse_retry_after, JitterSource, Retrier, RetryPolicy, Step};
use crate::PushPayload;

/// Web Push settings.
pub struct WebPushConfig {
    /// The relay's VAPID key.
    pub vapid: VapidKey,
    /// The operator's contact for push services (`mailto:` or `https://` URI; the JWT's
    /// `sub`).
    pub contact: String,
    /// Where requests may connect (the endpoint is the phone's choice).
    pub addresses: Arc<dyn AddressPolicy>,
    /// An extra trusted CA in PEM (for the mock).
    pub extra_ca_pem: Option<String>,
    /// Retry settings.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for WebPushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushConfig")
            .field("vapid", &self.vapid)
            .field("contact", &self.contact)
            .finish_non_exhaustive()
    }
}

impl WebPushConfig {
    /// Settings with the default retry policy and the web PKI only.
    pub fn new(
        vapid: VapidKey,
        contact: impl Into<String>,
        addresses: Arc<dyn AddressPolicy>,
    ) -> Self {
        WebPushConfig {
            vapid,
            contact: contact.into(),
            addresses,
            extra_ca_pem: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// A Web Push client.
pub struct WebPushClient {
    http: reqwest::Client,
    vapid: VapidCache,
    addresses: Arc<dyn AddressPolicy>,
    keys: Mutex<Box<dyn KeyRandom>>,
    retrier: Retrier,
}

impl std::fmt::Debug for WebPushClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushClient")
            .field("vapid", self.vapid.key())
            .finish_non_exhaustive()
    }
}

impl WebPushClient {
    /// A client on the system clock, OS randomness, and no metrics.
    pub fn new(config: WebPushConfig) -> Result<Self> {
        Self::with_parts(
            config,
            Arc::new(SystemClock),
            Box::new(rand_core::OsRng),
            Box::new(rand_core::OsRng),
            Arc::new(NoMetrics),
        )
    }

    /// A client with its clock, jitter source, message-key randomness (sender key and
    /// salt of every message) and metrics injected.
    pub fn with_parts(
        config: WebPushConfig,
        clock: Arc<dyn Clock>,
        jitter: Box<dyn JitterSource>,
        keys: Box<dyn KeyRandom>,
        metrics: Arc<dyn PushMetrics>,
    ) -> Result<Self> {
        check_contact(&config.contact)?;
        let resolver = FilteringResolver {
            policy: config.addresses.clone(),
        };
        let http = builder(Alpn::H2OrHttp11, config.extra_ca_pem.as_deref())?
            .dns_resolver(Arc::new(resolver))
            .build()
            .map_err(|e| Error::Http(e.to_string()))?;
        Ok(WebPushClient {
            http,
            vapid: VapidCache::new(config.vapid, config.contact),
            addresses: config.addresses,
            keys: Mutex::new(keys),
            retrier: Retrier::new(ProviderKind::WebPush, config.retry, jitter, clock, metrics),
        })
    }

    /// The VAPID public key (base64url) the app subscribes with.
    pub fn vapid_public_key(&self) -> &str {
        self.vapid.key().public_key()
    }

    /// The payload encrypted to the subscription (a fresh sender key and salt).
    fn encrypt(&self, sub: &WebPushSubscription, payload: PushPayload) -> Option<Vec<u8>> {
        let json = payload.to_json();
        let mut keys = self.keys.lock().ok()?;
        with_drawn(keys.as_mut(), |rng| {
            encrypt(sub.p256dh(), sub.auth(), json.as_bytes(), rng).ok()
        })
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        origin: &str,
        body: &[u8],
        deadline: SystemTime,
    ) -> Step {
        let now = self.retrier.clock().now();
        let ttl = until(now, deadline);
        if ttl < Duration::from_secs(1) {
            return Step::Done(Outcome::Failed(Failure::DeadlinePassed));
        }
        let Some(jwt) = self.vapid.current(origin, unix_secs(now)) else {
            return Step::Done(Outcome::Failed(Failure::Config));
        };
        let authorization = format!("vapid t={}, k={}", jwt.expose(), self.vapid_public_key());
        let sent = self
            .http
            .post(url.clone())
            .timeout(ttl.clamp(Duration::from_secs(1), Duration::from_secs(30)))
            .header("ttl", ttl.as_secs().to_string())
            .header("urgency", "high")
            .header("content-encoding", "aes128gcm")
            .header("content-type", "application/octet-stream")
            .header("authorization", authorization)
            .body(body.to_vec())
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(
                    provider = "webpush",
                    timeout = e.is_timeout(),
                    "Web Push request failed"
                );
                return Step::Retry {
                    failure: Failure::Connection,
                    retry_after: None,
                };
            }
        };
        let status = resp.status().as_u16();
        let retry_after = parse_retry_after(resp.headers().get("retry-after"));
        match classify(status) {
            Verdict::Sent => Step::Done(Outcome::Sent),
            Verdict::Dead => Step::Done(Outcome::DeadToken),
            Verdict::Transient(failure) => Step::Retry {
                failure,
                retry_after,
            },
            Verdict::Fatal(Failure::Config) => {
                tracing::error!(
                    provider = "webpush",
                    status,
                    "a push service refused our VAPID credentials (the endpoint is kept)"
                );
                Step::Done(Outcome::Failed(Failure::Config))
            }
            Verdict::Fatal(failure) => {
                tracing::warn!(
                    provider = "webpush",
                    status,
                    "a push service rejected a push"
                );
                Step::Done(Outcome::Failed(failure))
            }
        }
    }

    async fn deliver(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome {
        // The relay checked the subscription when the phone registered it; one that no
        // longer parses cannot be used and is dropped.
        let Ok(sub) = WebPushSubscription::from_push_token(target.token.expose()) else {
            return Outcome::DeadToken;
        };
        let Ok(url) = reqwest::Url::parse(sub.endpoint()) else {
            return Outcome::DeadToken;
        };
        if url.scheme() != "https" || !literal_allowed(&url, self.addresses.as_ref()) {
            tracing::warn!(
                provider = "webpush",
                "a Web Push endpoint names an address outbound requests may not reach; dropped"
            );
            return Outcome::DeadToken;
        }
        let origin = url.origin().ascii_serialization();
        let Some(body) = self.encrypt(&sub, payload) else {
            tracing::error!(provider = "webpush", "no randomness for the message key");
            return Outcome::Failed(Failure::Rejected);
        };
        self.retrier
            .run(deadline, |_| self.attempt(&url, &origin, &body, deadline))
            .await
    }
}

#[async_trait]
impl PushProvider for WebPushClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::WebPush
    }

    async fn send(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome {
        let started = Instant::now();
        let outcome = self.deliver(target, payload, deadline).await;
        record(
            self.retrier.metrics().as_ref(),
            ProviderKind::WebPush,
            outcome,
            started.elapsed(),
        );
        outcome
    }
}
