//! The APNs HTTP/2 client: `POST /3/device/{token}` with a cached ES256 JWT.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use super::jwt::{AfterExpired, ApnsKey, JwtCache};
use super::payload::ios_payload;
use super::reason::{classify, Verdict};
use crate::clock::{unix_secs, until, Clock, SystemClock};
use crate::error::{Error, Result};
use crate::http::{client, read_limited, Alpn};
use crate::metrics::{record, NoMetrics, PushMetrics};
use crate::outcome::{Failure, Outcome, ProviderKind};
use crate::provider::{PushProvider, PushTarget};
use crate::retry::{parse_retry_after, JitterSource, Retrier, RetryPolicy, Step};
use crate::{PushId, PushPayload};

/// Which APNs environment to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApnsEndpoint {
    /// `https://api.push.apple.com` (App Store, TestFlight and ad-hoc builds).
    Production,
    /// `https://api.sandbox.push.apple.com` (development builds).
    Sandbox,
    /// Another base URL (the mock APNs in tests).
    Custom(String),
}

impl ApnsEndpoint {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            ApnsEndpoint::Production => "https://api.push.apple.com",
            ApnsEndpoint::Sandbox => "https://api.sandbox.push.apple.com",
            ApnsEndpoint::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// APNs settings.
#[derive(Debug)]
pub struct ApnsConfig {
    /// The .p8 signing key with its key id and team id.
    pub key: ApnsKey,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// Production, sandbox or a custom base URL.
    pub endpoint: ApnsEndpoint,
    /// An extra trusted CA in PEM (for the mock).
    pub extra_ca_pem: Option<String>,
    /// When to re-sign the JWT; clamped to 20..59 minutes. Default 50 minutes.
    pub jwt_refresh_after: Duration,
    /// Retry settings.
    pub retry: RetryPolicy,
}

impl ApnsConfig {
    /// Settings with the defaults (no extra CA, JWT refreshed after 50 minutes).
    pub fn new(key: ApnsKey, topic: impl Into<String>, endpoint: ApnsEndpoint) -> Self {
        ApnsConfig {
            key,
            topic: topic.into(),
            endpoint,
            extra_ca_pem: None,
            jwt_refresh_after: Duration::from_secs(50 * 60),
            retry: RetryPolicy::default(),
        }
    }
}

/// An APNs client: one HTTP/2 connection (ALPN `h2`) shared by all sends.
pub struct ApnsClient {
    http: reqwest::Client,
    base: String,
    topic: String,
    jwt: JwtCache,
    retrier: Retrier,
}

impl std::fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsClient")
            .field("base", &self.base)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

/// Error bodies from APNs are small JSON objects.
const MAX_ERROR_BODY: usize = 4096;

impl ApnsClient {
    /// A client on the system clock, OS randomness for jitter, and no metrics.
    pub fn new(config: ApnsConfig) -> Result<Self> {
        Self::with_parts(
            config,
            Arc::new(SystemClock),
            Box::new(rand_core::OsRng),
            Arc::new(NoMetrics),
        )
    }

    /// A client with its clock, jitter source and metrics injected.
    pub fn with_parts(
        config: ApnsConfig,
        clock: Arc<dyn Clock>,
        rng: Box<dyn JitterSource>,
        metrics: Arc<dyn PushMetrics>,
    ) -> Result<Self> {
        let topic_ok = !config.topic.is_empty()
            && config
                .topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b));
        if !topic_ok {
            return Err(Error::Config("APNs topic must be the app's bundle id"));
        }
        let base = config.endpoint.base_url().to_owned();
        if !base.starts_with("https://") {
            return Err(Error::Config("APNs base URL must be https"));
        }
        Ok(ApnsClient {
            http: client(Alpn::H2Only, config.extra_ca_pem.as_deref())?,
            base,
            topic: config.topic,
            jwt: JwtCache::new(config.key, config.jwt_refresh_after),
            retrier: Retrier::new(ProviderKind::Apns, config.retry, rng, clock, metrics),
        })
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.retrier.clock()
    }

    async fn post(
        &self,
        token: &str,
        jwt: &str,
        push_id: PushId,
        body: &str,
        deadline: SystemTime,
    ) -> std::result::Result<(u16, Option<Duration>, Vec<u8>), reqwest::Error> {
        let timeout = until(self.clock().now(), deadline)
            .clamp(Duration::from_secs(1), Duration::from_secs(30));
        let resp = self
            .http
            .post(format!("{}/3/device/{token}", self.base))
            .timeout(timeout)
            .bearer_auth(jwt)
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .header("apns-expiration", unix_secs(deadline).to_string())
            .header("apns-collapse-id", push_id.to_string())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await?;
        let status = resp.status().as_u16();
        let retry_after = parse_retry_after(resp.headers().get("retry-after"));
        let body = if status == 200 {
            Vec::new()
        } else {
            read_limited(resp, MAX_ERROR_BODY).await
        };
        Ok((status, retry_after, body))
    }

    async fn attempt(
        &self,
        target: &PushTarget,
        push_id: PushId,
        body: &str,
        deadline: SystemTime,
    ) -> Step {
        let mut resigned = false;
        loop {
            let now = self.clock().now();
            let Some(jwt) = self.jwt.current(now) else {
                tracing::error!(provider = "apns", "could not sign the APNs provider token");
                return Step::Done(Outcome::Failed(Failure::Config));
            };
            let (status, retry_after, resp) = match self
                .post(
                    target.token.expose(),
                    jwt.bearer.expose(),
                    push_id,
                    body,
                    deadline,
                )
                .await
            {
                Ok(answer) => answer,
                Err(e) => {
                    tracing::debug!(
                        provider = "apns",
                        timeout = e.is_timeout(),
                        "APNs request failed"
                    );
                    return Step::Retry {
                        failure: Failure::Connection,
                        retry_after: None,
                    };
                }
            };
            let (verdict, reason) = classify(status, &resp);
            return match verdict {
                Verdict::Sent => Step::Done(Outcome::Sent),
                Verdict::Dead { since } => match (since, target.registered_at) {
                    (Some(since), Some(registered)) if registered > since => {
                        Step::Done(Outcome::Failed(Failure::StaleUnregistered))
                    }
                    _ => Step::Done(Outcome::DeadToken),
                },
                Verdict::ExpiredJwt => {
                    if !resigned
                        && self.jwt.on_expired(now, jwt.generation) == AfterExpired::RetryWithNew
                    {
                        resigned = true;
                        continue;
                    }
                    tracing::error!(
                        provider = "apns",
                        reason = %reason,
                        "APNs says our provider token expired although it is fresh: check the relay's clock"
                    );
                    Step::Done(Outcome::Failed(Failure::Config))
                }
                Verdict::TooManyTokenUpdates => {
                    self.jwt.on_too_many_updates(now);
                    tracing::error!(
                        provider = "apns",
                        reason = %reason,
                        "APNs says the provider token changes too often: re-signing paused for 20 minutes \
                         (is another relay signing with the same key and a different clock?)"
                    );
                    Step::Done(Outcome::Failed(Failure::TokenUpdatesThrottled))
                }
                Verdict::Transient(failure) => Step::Retry {
                    failure,
                    retry_after,
                },
                Verdict::Fatal(Failure::Config) => {
                    tracing::error!(
                        provider = "apns",
                        status,
                        reason = %reason,
                        "APNs refused our credentials or configuration; pushes fail until it is fixed \
                         (device tokens are kept)"
                    );
                    Step::Done(Outcome::Failed(Failure::Config))
                }
                Verdict::Fatal(failure) => {
                    tracing::warn!(provider = "apns", status, reason = %reason, "APNs rejected a push");
                    Step::Done(Outcome::Failed(failure))
                }
            };
        }
    }
}

/// Whether `token` can be an APNs device token (hex).
fn token_is_well_formed(token: &str) -> bool {
    !token.is_empty() && token.len() <= 200 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[async_trait]
impl PushProvider for ApnsClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Apns
    }

    async fn send(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome {
        let push_id = payload.p;
        let started = Instant::now();
        let outcome = if token_is_well_formed(target.token.expose()) {
            let body = ios_payload(payload);
            self.retrier
                .run(deadline, |_| self.attempt(target, push_id, &body, deadline))
                .await
        } else {
            Outcome::DeadToken
        };
        record(
            self.retrier.metrics().as_ref(),
            ProviderKind::Apns,
            outcome,
            started.elapsed(),
        );
        outcome
    }
}
