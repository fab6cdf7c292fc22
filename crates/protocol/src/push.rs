//! What the relay sends through APNs/FCM, and the push-token update.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::PushId;
use crate::keys::DevicePublicKey;
use crate::kinds::Platform;
use crate::registration::check_push_token;
use crate::route::RouteTag;

/// The whole push payload: a random per-push id and its routing tag, no RP name, no
/// stable id. Its JSON form `{"p":"<22 chars>","r":"<12 chars>"}` is always
/// [`PUSH_PAYLOAD_LEN`] bytes. A payload without `r` (from a relay older than the
/// routing tag) is refused: the phone would not know which relay to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushPayload {
    /// The per-push id; the phone fetches the challenge with it over a signed request.
    pub p: PushId,
    /// The routing tag ([`RouteTag`]): which of the phone's enrollments the push is for,
    /// so the phone asks that enrollment's relay and no other.
    pub r: RouteTag,
}

/// Length of [`PushPayload`]'s JSON.
pub const PUSH_PAYLOAD_LEN: usize = 49;

impl PushPayload {
    /// The payload of push `p` for the enrollment whose device key is `device_pub`.
    pub fn derive(p: PushId, device_pub: &DevicePublicKey) -> Self {
        PushPayload {
            p,
            r: RouteTag::derive(device_pub, &p),
        }
    }

    /// Whether this push is for the enrollment whose device key is `device_pub`
    /// (constant-time compare of the tag).
    pub fn is_for(&self, device_pub: &DevicePublicKey) -> bool {
        self.r.matches(device_pub, &self.p)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
    /// Parses the JSON form. A payload of a push id alone (`{"p":"..."}`, from a relay
    /// older than the routing tag) is refused as invalid `r`.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        /// The payload before the routing tag, recognized only to say so.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Untagged {
            #[allow(dead_code)]
            p: PushId,
        }
        crate::encoding::from_json(json).map_err(|e| {
            if crate::encoding::from_json::<Untagged>(json).is_ok() {
                Error::invalid("r", "missing: a push without a routing tag is refused")
            } else {
                e
            }
        })
    }
}

/// Push-token update (signed device request body, relay only). Applied only if `seq` is
/// greater than the stored one, so replays and reorderings are harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushTokenUpdate {
    /// The platform (may change to or from poll).
    pub platform: Platform,
    /// The new token; empty for poll.
    pub push_token: String,
    /// Monotonic per device, kept by the phone.
    pub seq: u64,
}

impl PushTokenUpdate {
    /// Parses the JSON form and checks the token.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let u: PushTokenUpdate = crate::encoding::from_json(json)?;
        check_push_token(u.platform, &u.push_token)?;
        Ok(u)
    }

    /// The JSON form.
    pub fn to_json(&self) -> Result<String> {
        check_push_token(self.platform, &self.push_token)?;
        Ok(crate::encoding::to_json(self))
    }

    /// Whether this update should replace one stored with `stored_seq`.
    pub fn is_newer_than(&self, stored_seq: u64) -> bool {
        self.seq > stored_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn push_payload_has_one_fixed_size() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let device = crate::Signer::public_key(&crate::SoftwareSigner::make(&mut rng).unwrap());
        for _ in 0..100 {
            let p = PushPayload::derive(PushId::make(&mut rng), &device);
            let json = p.to_json();
            assert_eq!(json.len(), PUSH_PAYLOAD_LEN);
            assert_eq!(PushPayload::from_json(json.as_bytes()).unwrap(), p);
            assert!(p.is_for(&device));
        }
    }

    #[test]
    fn a_payload_without_a_routing_tag_is_refused() {
        let json = br#"{"p":"AAAAAAAAAAAAAAAAAAAAAA"}"#;
        let e = PushPayload::from_json(json).unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "r", .. }), "{e:?}");
        let with = br#"{"p":"AAAAAAAAAAAAAAAAAAAAAA","r":"AAAAAAAAAAAA"}"#;
        assert!(PushPayload::from_json(with).is_ok());
        let extra = br#"{"p":"AAAAAAAAAAAAAAAAAAAAAA","r":"AAAAAAAAAAAA","a":"x"}"#;
        assert!(PushPayload::from_json(extra).is_err());
    }

    #[test]
    fn token_updates() {
        let u = PushTokenUpdate {
            platform: Platform::Ios,
            push_token: "ab12".into(),
            seq: 3,
        };
        let j = u.to_json().unwrap();
        assert_eq!(PushTokenUpdate::from_json(j.as_bytes()).unwrap(), u);
        assert!(u.is_newer_than(2) && !u.is_newer_than(3));
        let bad = PushTokenUpdate {
            platform: Platform::Poll,
            push_token: "x".into(),
            seq: 1,
        };
        assert!(bad.to_json().is_err());
    }

    #[test]
    fn web_push_updates_carry_a_checked_subscription() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let keys = crate::webpush::WebPushKeys::make(&mut rng).unwrap();
        let sub = keys
            .subscription("https://up.example.net/UP?token=abc")
            .unwrap();
        let u = PushTokenUpdate {
            platform: Platform::WebPush,
            push_token: sub.to_push_token(),
            seq: 9,
        };
        let j = u.to_json().unwrap();
        assert!(j.contains(r#""platform":"webpush""#), "{j}");
        let back = PushTokenUpdate::from_json(j.as_bytes()).unwrap();
        let parsed = crate::webpush::WebPushSubscription::from_push_token(&back.push_token);
        assert_eq!(parsed.unwrap(), sub);
        // An old-style update still parses exactly as before.
        let old = br#"{"platform":"android","push_token":"fcm-1","seq":1}"#;
        assert_eq!(
            PushTokenUpdate::from_json(old).unwrap().platform,
            Platform::Android
        );
        for endpoint in ["http://up.example.net/x", "https://u@up.example.net/x"] {
            let token = format!(
                "{}.{}.{endpoint}",
                crate::b64_encode(keys.p256dh()),
                crate::b64_encode(keys.auth())
            );
            let bad = format!(r#"{{"platform":"webpush","push_token":"{token}","seq":2}}"#);
            assert!(
                PushTokenUpdate::from_json(bad.as_bytes()).is_err(),
                "{endpoint}"
            );
        }
        let fcm_as_webpush = br#"{"platform":"webpush","push_token":"fcm-1","seq":1}"#;
        assert!(PushTokenUpdate::from_json(fcm_as_webpush).is_err());
    }
}
