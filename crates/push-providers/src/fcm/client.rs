//! The FCM HTTP v1 client: `POST /v1/projects/{id}/messages:send`, one device
//! token per request, all over one reused HTTP/2 connection.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use super::errors::{classify, Verdict};
use super::oauth::{ServiceAccount, TokenError, TokenSource};
use super::payload::android_message;
use crate::clock::{until, Clock, SystemClock};
use crate::error::{Error, Result};
use crate::http::{client, read_limited, Alpn};
use crate::metrics::{record, NoMetrics, PushMetrics};
use crate::outcome::{Failure, Outcome, ProviderKind};
use crate::provider::{PushProvider, PushTarget};
use crate::retry::{parse_retry_after, JitterSource, Retrier, RetryPolicy, Step};
use crate::PushPayload;

/// Google's FCM endpoint.
pub const FCM_BASE_URL: &str = "https://fcm.googleapis.com";

/// FCM settings.
#[derive(Debug)]
pub struct FcmConfig {
    /// The service account (its `token_uri` is where access tokens come from).
    pub service_account: ServiceAccount,
    /// The FCM base URL ([`FCM_BASE_URL`] unless testing).
    pub base_url: String,
    /// An extra trusted CA in PEM (for the mock).
    pub extra_ca_pem: Option<String>,
    /// Retry settings.
    pub retry: RetryPolicy,
}

impl FcmConfig {
    /// Settings for Google's endpoint.
    pub fn new(service_account: ServiceAccount) -> Self {
        FcmConfig {
            service_account,
            base_url: FCM_BASE_URL.to_owned(),
            extra_ca_pem: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// An FCM HTTP v1 client.
pub struct FcmClient {
    http: reqwest::Client,
    send_url: String,
    oauth: TokenSource,
    retrier: Retrier,
}

impl std::fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmClient")
            .field("send_url", &self.send_url)
            .field("account", self.oauth.account())
            .finish_non_exhaustive()
    }
}

const MAX_ERROR_BODY: usize = 16 * 1024;

impl FcmClient {
    /// A client on the system clock, OS randomness for jitter, and no metrics.
    pub fn new(config: FcmConfig) -> Result<Self> {
        Self::with_parts(
            config,
            Arc::new(SystemClock),
            Box::new(rand_core::OsRng),
            Arc::new(NoMetrics),
        )
    }

    /// A client with its clock, jitter source and metrics injected.
    pub fn with_parts(
        config: FcmConfig,
        clock: Arc<dyn Clock>,
        rng: Box<dyn JitterSource>,
        metrics: Arc<dyn PushMetrics>,
    ) -> Result<Self> {
        let base = config.base_url.trim_end_matches('/');
        if !base.starts_with("https://") {
            return Err(Error::Config("FCM base URL must be https"));
        }
        let send_url = format!(
            "{base}/v1/projects/{}/messages:send",
            config.service_account.project_id()
        );
        let http = client(Alpn::H2OrHttp11, config.extra_ca_pem.as_deref())?;
        Ok(FcmClient {
            oauth: TokenSource::new(config.service_account, http.clone(), clock.clone()),
            http,
            send_url,
            retrier: Retrier::new(ProviderKind::Fcm, config.retry, rng, clock, metrics),
        })
    }

    async fn attempt(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Step {
        let mut reauthenticated = false;
        loop {
            let token = match self.oauth.get().await {
                Ok(t) => t,
                Err(TokenError::Config) => return Step::Done(Outcome::Failed(Failure::Config)),
                Err(TokenError::Transient(failure, retry_after)) => {
                    return Step::Retry {
                        failure,
                        retry_after,
                    }
                }
            };
            let ttl = until(self.retrier.clock().now(), deadline);
            if ttl < Duration::from_secs(1) {
                return Step::Done(Outcome::Failed(Failure::DeadlinePassed));
            }
            let body = android_message(target.token.expose(), payload, ttl);
            let sent = self
                .http
                .post(&self.send_url)
                .timeout(ttl.clamp(Duration::from_secs(1), Duration::from_secs(30)))
                .bearer_auth(token.bearer.expose())
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(
                        provider = "fcm",
                        timeout = e.is_timeout(),
                        "FCM request failed"
                    );
                    return Step::Retry {
                        failure: Failure::Connection,
                        retry_after: None,
                    };
                }
            };
            let status = resp.status().as_u16();
            let retry_after = parse_retry_after(resp.headers().get("retry-after"));
            let bytes = if status == 200 {
                Vec::new()
            } else {
                read_limited(resp, MAX_ERROR_BODY).await
            };
            let (verdict, code) = classify(status, &bytes);
            return match verdict {
                Verdict::Sent => Step::Done(Outcome::Sent),
                Verdict::Dead => Step::Done(Outcome::DeadToken),
                Verdict::Unauthenticated if !reauthenticated => {
                    self.oauth.invalidate(token.generation).await;
                    reauthenticated = true;
                    continue;
                }
                Verdict::Transient(failure) => Step::Retry {
                    failure,
                    retry_after,
                },
                Verdict::Unauthenticated | Verdict::Fatal(Failure::Config) => {
                    tracing::error!(
                        provider = "fcm",
                        status,
                        code = %code,
                        "FCM refused our credentials or project; pushes fail until it is fixed \
                         (device tokens are kept)"
                    );
                    Step::Done(Outcome::Failed(Failure::Config))
                }
                Verdict::Fatal(failure) => {
                    tracing::warn!(provider = "fcm", status, code = %code, "FCM rejected a push");
                    Step::Done(Outcome::Failed(failure))
                }
            };
        }
    }
}

#[async_trait]
impl PushProvider for FcmClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Fcm
    }

    async fn send(
        &self,
        target: &PushTarget,
        payload: PushPayload,
        deadline: SystemTime,
    ) -> Outcome {
        let started = Instant::now();
        let outcome = if target.token.is_empty() || target.token.expose().len() > 4096 {
            Outcome::DeadToken
        } else {
            self.retrier
                .run(deadline, |_| self.attempt(target, payload, deadline))
                .await
        };
        record(
            self.retrier.metrics().as_ref(),
            ProviderKind::Fcm,
            outcome,
            started.elapsed(),
        );
        outcome
    }
}
