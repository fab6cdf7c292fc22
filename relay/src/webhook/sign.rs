//! Webhook signatures: `Assent-Webhook-Signature: t=<unix>,v1=<hex>`, where
//! `v1` is HMAC-SHA256 keyed with the secret string as shown
//! (`whsec_…`, its ASCII bytes) over `"<t>." ‖ body`.
//!
//! A receiver recomputes `v1` over the exact body bytes, compares in
//! constant time, and refuses a `t` too far from its clock (5 minutes is
//! usual), which bounds replays; `Assent-Webhook-Id` lets it drop
//! duplicates (a retried delivery keeps its id).

use hmac::{Hmac, Mac};
use sha2::Sha256;
#[cfg(test)]
use subtle::ConstantTimeEq;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "assent-webhook-signature";
/// The event id header's name (the same on every retry of one event).
pub const ID_HEADER: &str = "assent-webhook-id";

fn mac(secret: &str, t: u64, body: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The header value for `body` sent at `t`.
pub fn sign(secret: &str, t: u64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

/// Checks a signature header against `body`: the MAC in constant time, and
/// `t` within `tolerance` seconds of `now`. What a receiver does; the
/// relay's tests use it.
#[cfg(test)]
pub fn verify(secret: &str, header: &str, body: &[u8], now: u64, tolerance: u64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) if t.is_none() => t = value.parse::<u64>().ok(),
            Some(("v1", value)) if v1.is_none() => v1 = hex::decode(value).ok(),
            _ => return false,
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if t.abs_diff(now) > tolerance {
        return false;
    }
    mac(secret, t, body).ct_eq(&v1).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_bind_time_and_body() {
        let header = sign("whsec_k", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify("whsec_k", &header, b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify(
            "whsec_k",
            &header,
            b"{\"a\":2}",
            1_700_000_100,
            300
        ));
        assert!(!verify(
            "whsec_j",
            &header,
            b"{\"a\":1}",
            1_700_000_100,
            300
        ));
        assert!(!verify(
            "whsec_k",
            &header,
            b"{\"a\":1}",
            1_700_000_301,
            300
        ));
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert!(!verify("whsec_k", &moved, b"{\"a\":1}", 1_700_000_000, 300));
        for bad in [
            "",
            "t=1",
            "v1=00",
            "t=x,v1=00",
            "t=1,v1=zz",
            "t=1,t=2,v1=00",
        ] {
            assert!(!verify("whsec_k", bad, b"", 1, 300), "{bad}");
        }
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key "whsec_test", "1700000000.{}") computed independently
        // with `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test`.
        let header = sign("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(header, format!("t=1700000000,v1={}", KNOWN));
    }

    const KNOWN: &str = "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91";
}
