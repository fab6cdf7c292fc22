//! Enrollment offers as the phone receives them: the `assent://enroll?…` URI
//! of a QR code (`Offer::parse_uri`) and the JSON object of the in-app flow
//! (`Offer::from_json`). The same input is tried as both.
//!
//! Checks: neither parser panics; an accepted offer was fresh at the given
//! time; it renders to a canonical URI and to JSON, and both parse back to
//! the same offer; rendering is a fixed point.
#![no_main]

use assent_protocol::Offer;
use libfuzzer_sys::fuzz_target;

/// Before the seeds' expiry (1700000600), so that they parse.
const NOW: u64 = 1_700_000_000;

fn check(offer: &Offer) {
    assert!(offer.check_fresh(NOW).is_ok(), "accepted an expired offer");
    let uri = offer.to_uri();
    let from_uri = Offer::parse_uri(&uri, NOW);
    assert_eq!(
        from_uri.as_ref(),
        Ok(offer),
        "to_uri → parse_uri changed the offer"
    );
    if let Ok(again) = from_uri {
        assert_eq!(*again.to_uri(), *uri, "to_uri is not a fixed point");
    }
    let json = offer.to_json();
    let from_json = Offer::from_json(json.as_bytes(), NOW);
    assert_eq!(
        from_json.as_ref(),
        Ok(offer),
        "to_json → from_json changed the offer"
    );
    if let Ok(again) = from_json {
        assert_eq!(*again.to_json(), *json, "to_json is not a fixed point");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(offer) = Offer::from_json(data, NOW) {
        check(&offer);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(offer) = Offer::parse_uri(text, NOW) {
            check(&offer);
        }
    }
});
