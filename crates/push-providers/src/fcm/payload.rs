//! The Android message: data-only (the app's FirebaseMessagingService runs even
//! in the background), high priority, TTL = time to the challenge's deadline.
//! The data is the push id and its routing tag alone, one fixed size.

use std::time::Duration;

use crate::PushPayload;

/// Length of the `data` object's JSON (`{"p":"<22 chars>","r":"<12 chars>"}`), the same
/// for every push.
pub const DATA_LEN: usize = assent_protocol::PUSH_PAYLOAD_LEN;

/// The `messages:send` body for one device `token`.
pub fn android_message(token: &str, payload: PushPayload, ttl: Duration) -> String {
    serde_json::json!({
        "message": {
            "token": token,
            "data": { "p": payload.p, "r": payload.r },
            "android": {
                "priority": "high",
                "ttl": format!("{}s", ttl.as_secs()),
            },
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn data_only_high_priority_fixed_size() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let id = PushPayload {
            p: crate::PushId::make(&mut rng),
            r: crate::RouteTag::from_bytes([9; assent_protocol::ROUTE_TAG_LEN]),
        };
        let m: serde_json::Value =
            serde_json::from_str(&android_message("tok", id, Duration::from_secs(117))).unwrap();
        let msg = &m["message"];
        assert_eq!(msg["token"], "tok");
        assert_eq!(msg["android"]["priority"], "high");
        assert_eq!(msg["android"]["ttl"], "117s");
        assert!(msg.get("notification").is_none());
        assert_eq!(msg["data"].to_string().len(), DATA_LEN);
        let p =
            assent_protocol::PushPayload::from_json(msg["data"].to_string().as_bytes()).unwrap();
        assert_eq!(p, id);
    }
}
