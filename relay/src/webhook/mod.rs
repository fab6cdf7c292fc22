//! Webhooks: an optional URL per tenant that the relay POSTs small signed
//! notices to, so a login server need not hold long-polls open.
//!
//! Events ([`WebhookEvent`]): `answer.received` (a phone answered a
//! challenge), `registration.received` (a phone registered for an
//! announced enrollment), `unenroll.requested` (a phone asked to be
//! removed). Each names only an id. `answer.received` is **not a verdict**:
//! in end-to-end mode the RP fetches the signed answer
//! (`GET /v1/rp/challenges/{id}/answer`) and verifies it itself; in managed
//! mode it asks `/v1/managed/challenges/verdict`. No secret, handle, code or
//! login context is ever in a body.
//!
//! Body: `{"id":"<event id>","type":"answer.received","created_at":<unix>,
//! "data":{"challenge_id":"…"}}`; headers `Assent-Webhook-Id` and
//! `Assent-Webhook-Signature: t=<unix>,v1=<hex>` ([`sign`]).
//!
//! Delivery is durable: the event is written to the outbox table
//! (`webhook_outbox`, [`crate::store::OutboxStore`]) before the request that
//! caused it returns, and deleted only once delivered or given up; a
//! dispatcher task per relay instance claims due events with a lease, so one
//! event is delivered by exactly one instance at a time, and an event left by
//! a stopped or crashed instance is delivered after a restart or by another
//! instance ([`dispatch`]). Retries use bounded, jittered exponential backoff
//! ([`retry`]); the request that caused an event never waits for its
//! delivery.
//!
//! Delivery is **at least once**: an instance that stops after the
//! receiver's 2xx but before the event's delete leaves it to be delivered
//! once more, with the same event id and body, when its lease ends (30 s by
//! default). Receivers dedupe by `Assent-Webhook-Id`. A receiver should still
//! poll or long-poll as its source of truth: an event can be given up after
//! its attempts (about 10 minutes), and the tenant's removed webhook drops
//! the events still waiting.

pub mod address;
pub mod dispatch;
pub mod retry;
pub mod sign;
pub mod transport;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::random::{random_bytes, RandomError};

pub use address::Destinations;
pub use dispatch::Webhooks;
pub use retry::RetryPolicy;
pub use transport::{HttpTransport, WebhookTransport};

/// Something a tenant may want to hear about at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A phone answered the challenge: fetch the signed answer and verify it
    /// (end-to-end), or ask for the verdict (managed). Not a verdict itself.
    AnswerReceived {
        /// The challenge id.
        challenge_id: String,
    },
    /// A phone registered for the announced enrollment id.
    RegistrationReceived {
        /// The enrollment id.
        eid: String,
    },
    /// A phone asked to be unenrolled.
    UnenrollRequested {
        /// The device id.
        device_id: String,
    },
}

impl WebhookEvent {
    /// The event's `type` word.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AnswerReceived { .. } => "answer.received",
            Self::RegistrationReceived { .. } => "registration.received",
            Self::UnenrollRequested { .. } => "unenroll.requested",
        }
    }

    /// The one id the event names (a challenge id, an eid or a device id),
    /// as the outbox keeps it.
    pub fn subject(&self) -> &str {
        match self {
            Self::AnswerReceived { challenge_id } => challenge_id,
            Self::RegistrationReceived { eid } => eid,
            Self::UnenrollRequested { device_id } => device_id,
        }
    }

    /// The event of type `kind` naming `subject`, as the outbox kept it;
    /// `None` for a type this build does not know.
    pub fn from_stored(kind: &str, subject: &str) -> Option<Self> {
        let subject = subject.to_owned();
        Some(match kind {
            "answer.received" => Self::AnswerReceived {
                challenge_id: subject,
            },
            "registration.received" => Self::RegistrationReceived { eid: subject },
            "unenroll.requested" => Self::UnenrollRequested { device_id: subject },
            _ => return None,
        })
    }

    fn data(&self) -> serde_json::Value {
        match self {
            Self::AnswerReceived { challenge_id } => {
                serde_json::json!({ "challenge_id": challenge_id })
            }
            Self::RegistrationReceived { eid } => serde_json::json!({ "eid": eid }),
            Self::UnenrollRequested { device_id } => {
                serde_json::json!({ "device_id": device_id })
            }
        }
    }
}

/// The exact bytes POSTed for `event`.
pub fn payload(event_id: &str, event: &WebhookEvent, created_at: u64) -> Vec<u8> {
    serde_json::json!({
        "id": event_id,
        "type": event.kind(),
        "created_at": created_at,
        "data": event.data(),
    })
    .to_string()
    .into_bytes()
}

/// A fresh signing secret: `whsec_` and 32 random bytes in base64url. Shown
/// once to whoever set the webhook.
pub fn make_secret() -> Result<Zeroizing<String>, RandomError> {
    let bytes = Zeroizing::new(random_bytes::<32>()?);
    Ok(Zeroizing::new(format!(
        "whsec_{}",
        URL_SAFE_NO_PAD.encode(&bytes[..])
    )))
}

/// Longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Checks a webhook URL: `https://` with a host, no user info or fragment,
/// at most [`MAX_URL_LEN`] bytes, and if the host is an address, one that
/// `destinations` allow ([`Destinations::allows`]; names are checked when
/// resolved, by [`address::PublicResolver`]). `http://` is accepted only for a
/// loopback host (127.0.0.0/8, `::1`, `localhost`) and only when
/// `destinations` allow loopback (tests and local development).
pub fn check_url(url: &str, destinations: &Destinations) -> Result<(), String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!("webhook URL longer than {MAX_URL_LEN} bytes"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid webhook URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("webhook URL must not contain user info".into());
    }
    if parsed.fragment().is_some() {
        return Err("webhook URL must not contain a fragment".into());
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err("webhook URL needs a host".into());
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let literal = bare.parse::<std::net::IpAddr>().ok();
    if let Some(ip) = literal {
        if !destinations.allows(ip) {
            return Err("webhook URL must name a public address".into());
        }
    }
    let loopback = host == "localhost" || literal.is_some_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback && destinations.allow_loopback => Ok(()),
        _ => Err("webhook URL must be https://".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_loopback_when_allowed() {
        let public = Destinations::default();
        let loopback = Destinations::with_loopback();
        assert!(check_url("https://rp.example.com/hooks/assent", &public).is_ok());
        assert!(check_url("https://93.184.215.14:8443/h", &public).is_ok());
        for internal in [
            "https://10.0.0.1:8443/h",
            "https://127.0.0.1/h",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:10.0.0.1]/h",
        ] {
            assert_eq!(
                check_url(internal, &public),
                Err("webhook URL must name a public address".into()),
                "{internal}"
            );
        }
        for bad in [
            "http://rp.example.com/h",
            "http://127.0.0.1:9/h",
            "ftp://rp.example.com",
            "https://user:pw@rp.example.com/",
            "https://rp.example.com/#frag",
            "not a url",
        ] {
            assert!(check_url(bad, &public).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9/h", &loopback).is_ok());
        assert!(check_url("http://[::1]:9/h", &loopback).is_ok());
        assert!(check_url("http://localhost:9/h", &loopback).is_ok());
        assert!(check_url("http://rp.example.com/h", &loopback).is_err());
        let internal: Vec<crate::config::Network> = vec!["10.0.0.0/24".parse().unwrap()];
        let operator = Destinations::with_networks(&internal);
        assert!(check_url("https://10.0.0.1:8443/h", &operator).is_ok());
        assert!(check_url("https://10.0.1.1:8443/h", &operator).is_err());
        assert!(check_url("http://10.0.0.1:8443/h", &operator).is_err());
        assert!(check_url("https://127.0.0.1/h", &operator).is_err());
        let long = format!("https://rp.example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_url(&long, &public).is_err());
    }

    #[test]
    fn payloads_name_only_ids() {
        let body = payload(
            "evt",
            &WebhookEvent::AnswerReceived {
                challenge_id: "c1".into(),
            },
            7,
        );
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"id":"evt","type":"answer.received","created_at":7,
                "data":{"challenge_id":"c1"}})
        );
        for event in [
            WebhookEvent::AnswerReceived {
                challenge_id: "c1".into(),
            },
            WebhookEvent::RegistrationReceived { eid: "e1".into() },
            WebhookEvent::UnenrollRequested {
                device_id: "d1".into(),
            },
        ] {
            let stored = WebhookEvent::from_stored(event.kind(), event.subject());
            assert_eq!(stored, Some(event));
        }
        assert_eq!(WebhookEvent::from_stored("answer.verdict", "c1"), None);
        let secret = make_secret().unwrap();
        assert!(secret.starts_with("whsec_") && secret.len() == 6 + 43);
    }
}
