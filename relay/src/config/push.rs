//! Push configuration: APNs (.p8 token auth), FCM (service account) and Web Push
//! (VAPID key, for UnifiedPush), as
//! flags, `ASSENT_RELAY_*` variables or keys of the TOML file. Nothing set:
//! poll-only.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::config::ConfigError;

/// APNs environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApnsEnvironment {
    /// `api.push.apple.com`: TestFlight and App Store builds.
    #[default]
    Production,
    /// `api.sandbox.push.apple.com`: development builds run from Xcode.
    Sandbox,
}

/// Push options as flags, environment variables or file keys (the same
/// names, `_` for `-`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushArgs {
    /// APNs: the .p8 signing key file (token auth) from the Apple Developer
    /// account; turns APNs on and needs the key id, team id and topic.
    #[arg(long, env = "ASSENT_RELAY_APNS_KEY", global = true)]
    pub apns_key: Option<PathBuf>,
    /// APNs: the key id (10 characters) of `--apns-key`.
    #[arg(long, env = "ASSENT_RELAY_APNS_KEY_ID", global = true)]
    pub apns_key_id: Option<String>,
    /// APNs: the team id (10 characters).
    #[arg(long, env = "ASSENT_RELAY_APNS_TEAM_ID", global = true)]
    pub apns_team_id: Option<String>,
    /// APNs: the topic, i.e. the app's bundle id (e.g. com.example.assent).
    #[arg(long, env = "ASSENT_RELAY_APNS_TOPIC", global = true)]
    pub apns_topic: Option<String>,
    /// APNs environment: production or sandbox [default: production].
    #[arg(long, env = "ASSENT_RELAY_APNS_ENVIRONMENT", value_enum, global = true)]
    pub apns_environment: Option<ApnsEnvironment>,
    /// APNs: another base URL (https; a mock provider in tests) instead of
    /// Apple's.
    #[arg(long, env = "ASSENT_RELAY_APNS_BASE_URL", global = true)]
    pub apns_base_url: Option<String>,
    /// APNs: an extra trusted CA certificate (PEM file) for that base URL.
    #[arg(long, env = "ASSENT_RELAY_APNS_CA", global = true)]
    pub apns_ca: Option<PathBuf>,
    /// FCM HTTP v1: the Firebase service-account JSON key file; turns FCM on.
    #[arg(long, env = "ASSENT_RELAY_FCM_SERVICE_ACCOUNT", global = true)]
    pub fcm_service_account: Option<PathBuf>,
    /// FCM: another base URL (https; a mock provider in tests) instead of
    /// https://fcm.googleapis.com (the OAuth token URL comes from the
    /// service account's `token_uri`).
    #[arg(long, env = "ASSENT_RELAY_FCM_BASE_URL", global = true)]
    pub fcm_base_url: Option<String>,
    /// FCM: an extra trusted CA certificate (PEM file) for the FCM and token
    /// URLs.
    #[arg(long, env = "ASSENT_RELAY_FCM_CA", global = true)]
    pub fcm_ca: Option<PathBuf>,
    /// Web Push (UnifiedPush, for Android without Google Play services): the
    /// VAPID private key file (PEM, PKCS#8 or SEC1, or the 32-byte key in
    /// base64url); turns Web Push on and needs --webpush-contact. Endpoints
    /// follow the webhook address rules (public addresses and
    /// --webhook-allow-network).
    #[arg(long, env = "ASSENT_RELAY_WEBPUSH_VAPID_KEY", global = true)]
    pub webpush_vapid_key: Option<PathBuf>,
    /// Web Push: the operator's contact that push services see in every VAPID
    /// token (`mailto:ops@example.com` or an https:// URL).
    #[arg(long, env = "ASSENT_RELAY_WEBPUSH_CONTACT", global = true)]
    pub webpush_contact: Option<String>,
    /// Web Push: an extra trusted CA certificate (PEM file) for push services
    /// (a mock push service in tests).
    #[arg(long, env = "ASSENT_RELAY_WEBPUSH_CA", global = true)]
    pub webpush_ca: Option<PathBuf>,
    /// Pushes in flight per provider (retries included); one more fails at
    /// once and the phone polls [default: 1024].
    #[arg(long, env = "ASSENT_RELAY_PUSH_MAX_IN_FLIGHT", global = true)]
    pub push_max_in_flight: Option<usize>,
}

/// The keys of [`PushArgs`] in the TOML file.
pub const PUSH_KEYS: &[&str] = &[
    "apns_key",
    "apns_key_id",
    "apns_team_id",
    "apns_topic",
    "apns_environment",
    "apns_base_url",
    "apns_ca",
    "fcm_service_account",
    "fcm_base_url",
    "fcm_ca",
    "webpush_vapid_key",
    "webpush_contact",
    "webpush_ca",
    "push_max_in_flight",
];

/// APNs settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApnsSettings {
    /// The .p8 file.
    pub key: PathBuf,
    /// Key id.
    pub key_id: String,
    /// Team id.
    pub team_id: String,
    /// Bundle id.
    pub topic: String,
    /// Production or sandbox.
    pub environment: ApnsEnvironment,
    /// A base URL replacing Apple's (tests).
    pub base_url: Option<String>,
    /// An extra trusted CA file (tests).
    pub ca: Option<PathBuf>,
}

/// FCM settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmSettings {
    /// The service-account JSON file.
    pub service_account: PathBuf,
    /// A base URL replacing Google's (tests).
    pub base_url: Option<String>,
    /// An extra trusted CA file (tests).
    pub ca: Option<PathBuf>,
}

/// Web Push settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebPushSettings {
    /// The VAPID private key file.
    pub vapid_key: PathBuf,
    /// The operator's contact (`mailto:` or `https://`).
    pub contact: String,
    /// An extra trusted CA file (tests).
    pub ca: Option<PathBuf>,
}

/// The resolved push configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    /// APNs, when configured.
    pub apns: Option<ApnsSettings>,
    /// FCM, when configured.
    pub fcm: Option<FcmSettings>,
    /// Web Push, when configured.
    pub webpush: Option<WebPushSettings>,
    /// Pushes in flight per provider.
    pub max_in_flight: usize,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            apns: None,
            fcm: None,
            webpush: None,
            max_in_flight: 1024,
        }
    }
}

impl PushSettings {
    /// Flags/environment over the file's values.
    pub fn resolve(args: &PushArgs, file: &PushArgs) -> Result<Self, ConfigError> {
        let pick = |a: &Option<String>, f: &Option<String>| a.clone().or_else(|| f.clone());
        let apns = match args.apns_key.clone().or_else(|| file.apns_key.clone()) {
            None => {
                let stray = [
                    &args.apns_key_id,
                    &args.apns_team_id,
                    &args.apns_topic,
                    &file.apns_key_id,
                    &file.apns_team_id,
                    &file.apns_topic,
                ];
                if stray.iter().any(|v| v.is_some()) {
                    return Err(ConfigError::Invalid(
                        "apns_key_id/apns_team_id/apns_topic without apns_key: \
                         give the .p8 file too, or none of them"
                            .into(),
                    ));
                }
                None
            }
            Some(key) => {
                let need = |value: Option<String>, name: &str| {
                    value.filter(|v| !v.is_empty()).ok_or_else(|| {
                        ConfigError::Invalid(format!("apns_key is set: {name} is needed too"))
                    })
                };
                Some(ApnsSettings {
                    key,
                    key_id: need(pick(&args.apns_key_id, &file.apns_key_id), "apns_key_id")?,
                    team_id: need(pick(&args.apns_team_id, &file.apns_team_id), "apns_team_id")?,
                    topic: need(pick(&args.apns_topic, &file.apns_topic), "apns_topic")?,
                    environment: args
                        .apns_environment
                        .or(file.apns_environment)
                        .unwrap_or_default(),
                    base_url: pick(&args.apns_base_url, &file.apns_base_url),
                    ca: args.apns_ca.clone().or_else(|| file.apns_ca.clone()),
                })
            }
        };
        let fcm = args
            .fcm_service_account
            .clone()
            .or_else(|| file.fcm_service_account.clone())
            .map(|service_account| FcmSettings {
                service_account,
                base_url: pick(&args.fcm_base_url, &file.fcm_base_url),
                ca: args.fcm_ca.clone().or_else(|| file.fcm_ca.clone()),
            });
        let contact = pick(&args.webpush_contact, &file.webpush_contact);
        let webpush = match args
            .webpush_vapid_key
            .clone()
            .or_else(|| file.webpush_vapid_key.clone())
        {
            None if contact.is_some() => {
                return Err(ConfigError::Invalid(
                    "webpush_contact without webpush_vapid_key: give the VAPID key file too".into(),
                ))
            }
            None => None,
            Some(vapid_key) => Some(WebPushSettings {
                vapid_key,
                contact: contact.filter(|c| !c.is_empty()).ok_or_else(|| {
                    ConfigError::Invalid(
                        "webpush_vapid_key is set: webpush_contact (mailto: or https:// URI) \
                         is needed too"
                            .into(),
                    )
                })?,
                ca: args.webpush_ca.clone().or_else(|| file.webpush_ca.clone()),
            }),
        };
        let max_in_flight = args
            .push_max_in_flight
            .or(file.push_max_in_flight)
            .unwrap_or(1024);
        if max_in_flight == 0 {
            return Err(ConfigError::Invalid(
                "push_max_in_flight must be positive".into(),
            ));
        }
        Ok(Self {
            apns,
            fcm,
            webpush,
            max_in_flight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_documents_the_push_options() {
        use clap::CommandFactory;
        let help = crate::cli::Cli::command().render_long_help().to_string();
        for key in PUSH_KEYS {
            let flag = format!("--{}", key.replace('_', "-"));
            assert!(help.contains(&flag), "--help lacks {flag}");
        }
    }

    #[test]
    fn nothing_set_is_poll_only_and_apns_needs_its_ids() {
        let none = PushSettings::resolve(&PushArgs::default(), &PushArgs::default()).unwrap();
        assert_eq!(none, PushSettings::default());
        let partial = PushArgs {
            apns_key: Some("AuthKey.p8".into()),
            apns_key_id: Some("ABC123DEFG".into()),
            ..PushArgs::default()
        };
        let err = PushSettings::resolve(&partial, &PushArgs::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("apns_team_id"), "{err}");
        let file = PushArgs {
            apns_team_id: Some("DEF123GHIJ".into()),
            apns_topic: Some("com.example.assent".into()),
            apns_environment: Some(ApnsEnvironment::Sandbox),
            fcm_service_account: Some("sa.json".into()),
            ..PushArgs::default()
        };
        let both = PushSettings::resolve(&partial, &file).unwrap();
        let apns = both.apns.unwrap();
        assert_eq!(apns.environment, ApnsEnvironment::Sandbox);
        assert_eq!(apns.topic, "com.example.assent");
        assert!(both.fcm.is_some());
        let stray = PushArgs {
            apns_topic: Some("com.example.assent".into()),
            ..PushArgs::default()
        };
        assert!(PushSettings::resolve(&stray, &PushArgs::default()).is_err());
    }

    #[test]
    fn webpush_needs_key_and_contact() {
        let key_only = PushArgs {
            webpush_vapid_key: Some("vapid.pem".into()),
            ..PushArgs::default()
        };
        let err = PushSettings::resolve(&key_only, &PushArgs::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("webpush_contact"), "{err}");
        let contact_only = PushArgs {
            webpush_contact: Some("mailto:ops@example.com".into()),
            ..PushArgs::default()
        };
        assert!(PushSettings::resolve(&contact_only, &PushArgs::default()).is_err());
        let both = PushSettings::resolve(&key_only, &contact_only).unwrap();
        let w = both.webpush.unwrap();
        assert_eq!(w.contact, "mailto:ops@example.com");
        assert_eq!(w.vapid_key, std::path::PathBuf::from("vapid.pem"));
        assert!(both.apns.is_none() && both.fcm.is_none());
    }
}
