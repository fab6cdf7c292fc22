//! What the relay sends through APNs/FCM, and the push-token update.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::PushId;
use crate::kinds::Platform;
use crate::registration::check_push_token;

/// The whole push payload: one random per-push id, no RP name, no stable id. Its JSON
/// form `{"p":"<22 chars>"}` is always [`PUSH_PAYLOAD_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushPayload {
    /// The per-push id; the phone fetches the challenge with it over a signed request.
    pub p: PushId,
}

/// Length of [`PushPayload`]'s JSON.
pub const PUSH_PAYLOAD_LEN: usize = 30;

impl PushPayload {
    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        crate::encoding::from_json(json)
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
        for _ in 0..100 {
            let p = PushPayload {
                p: PushId::make(&mut rng),
            };
            let json = p.to_json();
            assert_eq!(json.len(), PUSH_PAYLOAD_LEN);
            assert_eq!(PushPayload::from_json(json.as_bytes()).unwrap(), p);
        }
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
}
