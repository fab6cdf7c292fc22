//! The iOS payload: a generic alert that a Notification Service Extension
//! replaces with the real context after fetching the sealed challenge, and the
//! push id. One fixed size for every push; nothing about the RP, the device or
//! the login.

use crate::PushId;

/// The alert title every push carries.
pub const ALERT_TITLE: &str = "Sign-in request";
/// The alert body every push carries.
pub const ALERT_BODY: &str = "Open Assent to review it";
/// Length of every iOS payload, in bytes.
pub const APNS_PAYLOAD_LEN: usize = 146;

/// The APNs JSON body for `push_id`:
/// `{"aps":{"alert":{...},"mutable-content":1,"sound":"default"},"p":"<push id>"}`.
/// The top-level `p` is the push id the app hands to the core as `{"p":"..."}`.
pub fn ios_payload(push_id: PushId) -> String {
    serde_json::json!({
        "aps": {
            "alert": { "title": ALERT_TITLE, "body": ALERT_BODY },
            "mutable-content": 1,
            "sound": "default",
        },
        "p": push_id,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn one_fixed_size_and_only_the_push_id() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for _ in 0..200 {
            let id = PushId::make(&mut rng);
            let body = ios_payload(id);
            assert_eq!(body.len(), APNS_PAYLOAD_LEN, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["aps"]["mutable-content"], 1);
            let p = assent_protocol::PushPayload {
                p: serde_json::from_value(v["p"].clone()).unwrap(),
            };
            assert_eq!(p.p, id);
            assert_eq!(v.as_object().unwrap().len(), 2);
        }
    }
}
