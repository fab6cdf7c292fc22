//! The iOS payload: a generic alert that a Notification Service Extension
//! replaces with the real context after fetching the sealed challenge, and the
//! push id with its per-push routing tag. One fixed size for every push; nothing
//! about the RP, the device or the login.

use crate::PushPayload;

/// The alert title every push carries.
pub const ALERT_TITLE: &str = "Sign-in request";
/// The alert body every push carries.
pub const ALERT_BODY: &str = "Open Assent to review it";
/// Length of every iOS payload, in bytes.
pub const APNS_PAYLOAD_LEN: usize = 165;

/// The APNs JSON body for `payload`:
/// `{"aps":{"alert":{...},"mutable-content":1,"sound":"default"},"p":"<push id>","r":"<tag>"}`.
/// The top-level `p` and `r` are what the app hands to the core as `{"p":"...","r":"..."}`.
pub fn ios_payload(payload: PushPayload) -> String {
    serde_json::json!({
        "aps": {
            "alert": { "title": ALERT_TITLE, "body": ALERT_BODY },
            "mutable-content": 1,
            "sound": "default",
        },
        "p": payload.p,
        "r": payload.r,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn one_fixed_size_and_only_the_push_id_and_its_tag() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for _ in 0..200 {
            let mut tag = [0u8; assent_protocol::ROUTE_TAG_LEN];
            rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut tag);
            let id = PushPayload {
                p: crate::PushId::make(&mut rng),
                r: crate::RouteTag::from_bytes(tag),
            };
            let body = ios_payload(id);
            assert_eq!(body.len(), APNS_PAYLOAD_LEN, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["aps"]["mutable-content"], 1);
            let p = PushPayload {
                p: serde_json::from_value(v["p"].clone()).unwrap(),
                r: serde_json::from_value(v["r"].clone()).unwrap(),
            };
            assert_eq!(p, id);
            assert_eq!(v.as_object().unwrap().len(), 3);
        }
    }
}
