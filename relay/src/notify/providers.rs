//! APNs, FCM and Web Push through `assent-push-providers`: the [`Dispatcher`] picks the
//! provider by the device's platform; each client retries transient errors until the
//! challenge's deadline and reports dead tokens. Web Push endpoints are chosen by the
//! phone, so they follow the relay's outbound address rules ([`Destinations`], the
//! webhook rules: public addresses and the operator's allowed networks).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use assent_push_providers::apns::{ApnsClient, ApnsConfig, ApnsEndpoint, ApnsKey};
use assent_push_providers::fcm::{FcmClient, FcmConfig, ServiceAccount};
use assent_push_providers::metrics::PushMetrics;
use assent_push_providers::webpush::{AddressPolicy, VapidKey, WebPushClient, WebPushConfig};
use assent_push_providers::{
    DeviceToken, Dispatcher, DispatcherConfig, Failure, Outcome, Platform, PushPayload,
};
use async_trait::async_trait;

use super::{PushOutcome, PushProvider, PushTarget};
use crate::config::push::{ApnsEnvironment, PushSettings};
use crate::webhook::Destinations;

/// Web Push requests connect only where webhooks may.
impl AddressPolicy for Destinations {
    fn allows(&self, ip: std::net::IpAddr) -> bool {
        Destinations::allows(self, ip)
    }
}

/// A push provider could not be set up (bad credentials file, URL or CA).
/// The text names files and settings, never their secret contents.
#[derive(Debug, thiserror::Error)]
#[error("push setup: {0}")]
pub struct PushSetupError(pub String);

fn read(path: &Path, what: &str) -> Result<zeroize::Zeroizing<String>, PushSetupError> {
    std::fs::read_to_string(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| PushSetupError(format!("cannot read {what} {}: {e}", path.display())))
}

/// APNs, FCM and/or Web Push behind one [`Dispatcher`].
pub struct Providers {
    dispatcher: Dispatcher,
    name: &'static str,
    vapid_public_key: Option<String>,
    metrics: Arc<dyn PushMetrics>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("name", &self.name)
            .finish()
    }
}

impl Providers {
    /// The providers `settings` configure (`None`: none, poll-only), their
    /// events counted in `metrics`; Web Push connects only where `destinations` allow.
    pub fn from_settings(
        settings: &PushSettings,
        destinations: &Destinations,
        metrics: Arc<dyn PushMetrics>,
    ) -> Result<Option<Self>, PushSetupError> {
        let apns = match &settings.apns {
            None => None,
            Some(a) => {
                let p8 = read(&a.key, "APNs key")?;
                let key = ApnsKey::from_p8(&p8, &a.key_id, &a.team_id)
                    .map_err(|e| PushSetupError(format!("APNs key {}: {e}", a.key.display())))?;
                let endpoint = match (&a.base_url, a.environment) {
                    (Some(url), _) => ApnsEndpoint::Custom(url.clone()),
                    (None, ApnsEnvironment::Production) => ApnsEndpoint::Production,
                    (None, ApnsEnvironment::Sandbox) => ApnsEndpoint::Sandbox,
                };
                let mut config = ApnsConfig::new(key, a.topic.clone(), endpoint);
                if let Some(ca) = &a.ca {
                    config.extra_ca_pem = Some(read(ca, "APNs CA")?.to_string());
                }
                tracing::info!(
                    topic = %a.topic,
                    endpoint = config.endpoint.base_url(),
                    "APNs push is on"
                );
                Some(config)
            }
        };
        let fcm = match &settings.fcm {
            None => None,
            Some(f) => {
                let json = read(&f.service_account, "FCM service account")?;
                let account = ServiceAccount::from_json(&json).map_err(|e| {
                    PushSetupError(format!(
                        "FCM service account {}: {e}",
                        f.service_account.display()
                    ))
                })?;
                let mut config = FcmConfig::new(account);
                if let Some(url) = &f.base_url {
                    config.base_url = url.clone();
                }
                if let Some(ca) = &f.ca {
                    config.extra_ca_pem = Some(read(ca, "FCM CA")?.to_string());
                }
                tracing::info!(
                    project = config.service_account.project_id(),
                    base = %config.base_url,
                    "FCM push is on"
                );
                Some(config)
            }
        };
        let webpush = match &settings.webpush {
            None => None,
            Some(w) => {
                let text = read(&w.vapid_key, "VAPID key")?;
                let key = VapidKey::from_text(&text).map_err(|e| {
                    PushSetupError(format!("VAPID key {}: {e}", w.vapid_key.display()))
                })?;
                tracing::info!(
                    vapid_public_key = key.public_key(),
                    contact = %w.contact,
                    "Web Push (UnifiedPush) is on"
                );
                let mut config =
                    WebPushConfig::new(key, w.contact.clone(), Arc::new(destinations.clone()));
                if let Some(ca) = &w.ca {
                    config.extra_ca_pem = Some(read(ca, "Web Push CA")?.to_string());
                }
                Some(config)
            }
        };
        if apns.is_none() && fcm.is_none() && webpush.is_none() {
            return Ok(None);
        }
        Self::new(apns, fcm, settings.max_in_flight, metrics)?
            .with_webpush(webpush)
            .map(Some)
    }

    /// Providers from client configurations (tests point them at the mocks).
    pub fn new(
        apns: Option<ApnsConfig>,
        fcm: Option<FcmConfig>,
        max_in_flight: usize,
        metrics: Arc<dyn PushMetrics>,
    ) -> Result<Self, PushSetupError> {
        let name = match (apns.is_some(), fcm.is_some()) {
            (true, true) => "apns+fcm",
            (true, false) => "apns",
            (false, true) => "fcm",
            (false, false) => "poll-only",
        };
        let metrics_for_webpush = metrics.clone();
        let rng = || Box::new(rand_core::OsRng);
        let clock = Arc::new(assent_push_providers::SystemClock);
        let apns = apns
            .map(|c| ApnsClient::with_parts(c, clock.clone(), rng(), metrics.clone()))
            .transpose()
            .map_err(|e| PushSetupError(format!("APNs client: {e}")))?
            .map(|c| Arc::new(c) as Arc<dyn assent_push_providers::PushProvider>);
        let fcm = fcm
            .map(|c| FcmClient::with_parts(c, clock.clone(), rng(), metrics.clone()))
            .transpose()
            .map_err(|e| PushSetupError(format!("FCM client: {e}")))?
            .map(|c| Arc::new(c) as Arc<dyn assent_push_providers::PushProvider>);
        let dispatcher = Dispatcher::new(
            DispatcherConfig {
                max_in_flight_per_provider: max_in_flight,
            },
            apns,
            fcm,
            metrics,
        );
        Ok(Self {
            dispatcher,
            name,
            vapid_public_key: None,
            metrics: metrics_for_webpush,
        })
    }

    /// These providers with Web Push from `config` too (`None`: unchanged).
    pub fn with_webpush(mut self, config: Option<WebPushConfig>) -> Result<Self, PushSetupError> {
        let Some(config) = config else {
            return Ok(self);
        };
        let client = WebPushClient::with_parts(
            config,
            Arc::new(assent_push_providers::SystemClock),
            Box::new(rand_core::OsRng),
            Box::new(rand_core::OsRng),
            self.metrics.clone(),
        )
        .map_err(|e| PushSetupError(format!("Web Push client: {e}")))?;
        self.vapid_public_key = Some(client.vapid_public_key().to_owned());
        self.dispatcher = self.dispatcher.with_webpush(Arc::new(client));
        self.name = match self.name {
            "apns+fcm" => "apns+fcm+webpush",
            "apns" => "apns+webpush",
            "fcm" => "fcm+webpush",
            _ => "webpush",
        };
        Ok(self)
    }
}

fn unix(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[async_trait]
impl PushProvider for Providers {
    fn name(&self) -> &'static str {
        self.name
    }

    fn enabled(&self) -> bool {
        !self.dispatcher.is_poll_only()
    }

    fn vapid_public_key(&self) -> Option<&str> {
        self.vapid_public_key.as_deref()
    }

    fn serves(&self, platform: &str) -> bool {
        platform
            .parse::<Platform>()
            .is_ok_and(|p| self.dispatcher.serves(p))
    }

    async fn notify(
        &self,
        target: &PushTarget,
        payload: &PushPayload,
        deadline: u64,
    ) -> PushOutcome {
        let Ok(platform) = target.platform.parse::<Platform>() else {
            return PushOutcome::NotSent;
        };
        let mut to = assent_push_providers::PushTarget::new(DeviceToken::new(target.token.clone()));
        to.registered_at = Some(unix(target.registered_at));
        match self
            .dispatcher
            .send(platform, &to, *payload, unix(deadline))
            .await
        {
            Outcome::Sent => PushOutcome::Sent,
            Outcome::PollOnly => PushOutcome::NotSent,
            Outcome::DeadToken => PushOutcome::DeadToken,
            Outcome::Failed(failure) => {
                if matches!(failure, Failure::Config | Failure::TokenUpdatesThrottled) {
                    tracing::error!(
                        platform = %platform,
                        reason = failure.as_str(),
                        "ALERT: push provider configuration error: {failure}"
                    );
                } else {
                    tracing::warn!(
                        platform = %platform,
                        reason = failure.as_str(),
                        "push failed (the phone can still poll): {failure}"
                    );
                }
                PushOutcome::Failed
            }
        }
    }
}
