//! Every JSON protocol message a party reads from another, and the relay API
//! replies the phone and the login server read from the relay. The first
//! byte picks the message, the rest is its JSON:
//!
//! | byte % 13 | message | read by |
//! |---|---|---|
//! | 0 | `Registration` (+ `check_shape`) | relay, RP |
//! | 1 | `UnenrollRequest` | relay, RP |
//! | 2 | `UnenrollConfirmation` | phone |
//! | 3 | `EnrollmentAnswer` | relay, phone |
//! | 4 | `Activation` | relay (managed), RP |
//! | 5 | `Challenge` (+ `header`, `sealed_digest`) | relay, phone |
//! | 6 | `Answer` | relay, RP |
//! | 7 | `PushPayload` | phone (from APNs/FCM) |
//! | 8 | `PushTokenUpdate` | relay |
//! | 9 | `UnenrollList::parse_lenient` | RP |
//! | 10 | `RequestAuth` (JSON form) | relay |
//! | 11 | `api::PendingList` | phone |
//! | 12 | `api::ErrorBody` | phone, RP |
//!
//! Checks: no parser panics; whatever parses serializes to JSON that parses
//! back to an equal value, and serializing is a fixed point (the protocol's
//! JSON is canonical).
#![no_main]

use assent_protocol::api::{ErrorBody, PendingList, UnenrollList};
use assent_protocol::{
    Activation, Answer, Challenge, EnrollmentAnswer, PushPayload, PushTokenUpdate, Registration,
    RequestAuth, RpId, UnenrollConfirmation, UnenrollRequest,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Round-trips a protocol message through its own `from_json` / `to_json`.
macro_rules! round_trip {
    ($ty:ty, $json:expr) => {{
        let Ok(message) = <$ty>::from_json($json) else {
            return;
        };
        let text = message.to_json();
        let again = <$ty>::from_json(text.as_bytes());
        assert_eq!(
            again.as_ref(),
            Ok(&message),
            "to_json → from_json changed it"
        );
        if let Ok(again) = again {
            assert_eq!(again.to_json(), text, "to_json is not a fixed point");
        }
        message
    }};
}

/// Round-trips a relay API body through serde_json, as the clients read it.
fn serde_round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(json: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let Ok(text) = serde_json::to_string(&value) else {
        panic!("an accepted body does not serialize");
    };
    let again = serde_json::from_str::<T>(&text).ok();
    assert_eq!(again.as_ref(), Some(&value), "serialize → parse changed it");
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    match which % 13 {
        0 => {
            let registration = round_trip!(Registration, json);
            let _ = registration.check_shape();
        }
        1 => {
            round_trip!(UnenrollRequest, json);
        }
        2 => {
            round_trip!(UnenrollConfirmation, json);
        }
        3 => {
            round_trip!(EnrollmentAnswer, json);
        }
        4 => {
            round_trip!(Activation, json);
        }
        5 => {
            let challenge = round_trip!(Challenge, json);
            if let Ok(rp) = RpId::parse("example.com") {
                let _ = challenge.header(&rp);
            }
            let _ = challenge.sealed_digest();
        }
        6 => {
            round_trip!(Answer, json);
        }
        7 => {
            round_trip!(PushPayload, json);
        }
        8 => {
            let Ok(update) = PushTokenUpdate::from_json(json) else {
                return;
            };
            let Ok(text) = update.to_json() else {
                panic!("an accepted push-token update does not serialize");
            };
            assert_eq!(PushTokenUpdate::from_json(text.as_bytes()), Ok(update));
        }
        9 => {
            let Some(requests) = UnenrollList::parse_lenient(json) else {
                return;
            };
            for request in requests {
                let text = request.to_json();
                assert_eq!(UnenrollRequest::from_json(text.as_bytes()), Ok(request));
            }
        }
        10 => serde_round_trip::<RequestAuth>(json),
        11 => serde_round_trip::<PendingList>(json),
        _ => serde_round_trip::<ErrorBody>(json),
    }
});
