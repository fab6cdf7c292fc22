//! The text fields every protocol message is made of, parsed on their own:
//! ids, keys, the RP id, the relay URL, the small enums, base64url, the three
//! signed-request headers (`RequestAuth::from_headers`, which the relay runs
//! on every device request before anything else) and an extra CA bundle
//! (`ca_pem::check_ca_pem`, from the phone's or the login server's
//! configuration). The first byte picks the parser, the rest is its text.
//!
//! Checks: no parser panics, and each one accepts only the canonical
//! spelling, so whatever parses renders back to exactly the input (one value,
//! one text form: what is signed is what is compared).
#![no_main]

use assent_protocol::ca_pem::check_ca_pem;
use assent_protocol::{
    b64_decode, b64_encode, ApprovalKind, ChallengeId, Custody, Decision, DeviceId,
    DevicePublicKey, EnrollmentId, EnrollmentSecret, Platform, PushId, RelayUrl, RequestAuth, RpId,
    RpPublicKey,
};
use libfuzzer_sys::fuzz_target;

/// Parses with `$parse` and, if accepted, checks that `$render` gives the text back.
macro_rules! canonical {
    ($text:expr, $parse:expr, $render:expr) => {{
        if let Ok(value) = $parse($text) {
            let rendered: String = $render(&value);
            assert_eq!(rendered, $text, "accepted a non-canonical spelling");
        }
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 14 == 13 {
        let _ = check_ca_pem(rest);
        return;
    }
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 14 {
        0 => canonical!(text, EnrollmentId::parse, EnrollmentId::to_string),
        1 => canonical!(text, DeviceId::parse, DeviceId::to_string),
        2 => canonical!(text, ChallengeId::parse, ChallengeId::to_string),
        3 => canonical!(text, PushId::parse, PushId::to_string),
        4 => canonical!(text, DevicePublicKey::parse, DevicePublicKey::to_string),
        5 => canonical!(text, RpPublicKey::parse, RpPublicKey::to_string),
        6 => canonical!(text, EnrollmentSecret::parse, |es: &EnrollmentSecret| es
            .to_base64url()
            .to_string()),
        7 => canonical!(text, RpId::parse, |rp: &RpId| rp.as_str().to_owned()),
        8 => canonical!(text, RelayUrl::parse, |url: &RelayUrl| url
            .as_str()
            .to_owned()),
        9 => {
            canonical!(text, ApprovalKind::parse, |k: &ApprovalKind| k
                .as_str()
                .to_owned());
            canonical!(text, Custody::parse, |k: &Custody| k.as_str().to_owned());
            canonical!(text, Decision::parse, |k: &Decision| k.as_str().to_owned());
            canonical!(text, Platform::parse, |k: &Platform| k.as_str().to_owned());
        }
        10 => canonical!(text, |t| b64_decode(t, "fuzz"), |b: &Vec<u8>| b64_encode(b)),
        11 | 12 => {
            // Three header values, one per line: device, timestamp, signature.
            let mut lines = text.splitn(3, '\n');
            let (Some(device), Some(timestamp), Some(signature)) =
                (lines.next(), lines.next(), lines.next())
            else {
                return;
            };
            let Ok(auth) = RequestAuth::from_headers(device, timestamp, signature) else {
                return;
            };
            let [(_, d), (_, t), (_, s)] = auth.to_headers();
            assert_eq!(
                (d.as_str(), t.as_str(), s.as_str()),
                (device, timestamp, signature),
                "accepted non-canonical headers"
            );
            let _ = auth.check_time(1_700_000_000);
        }
        _ => {}
    }
});
