//! RFC 8291's worked example (testdata/rfc8291-appendix-a.json, copied from the RFC's
//! Appendix A) both ways, and the properties the relay relies on.

use rand_chacha::rand_core::SeedableRng;
use rand_core::{CryptoRng, RngCore};

use super::*;
use crate::encoding::b64_decode;
use crate::webpush::WebPushKeys;

const VECTOR: &str = include_str!("../../../testdata/rfc8291-appendix-a.json");

fn field(name: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_str(VECTOR).unwrap();
    b64_decode(v[name].as_str().unwrap(), "vector").unwrap()
}

fn array<const N: usize>(name: &str) -> [u8; N] {
    field(name).try_into().unwrap()
}

/// "Randomness" that replays given bytes: the RFC's sender key, then its salt.
struct Replay(Vec<u8>);

impl RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
    }
}

impl CryptoRng for Replay {}

#[test]
fn rfc8291_example_encrypts_to_the_rfcs_body() {
    let mut rng = Replay([field("as_private"), field("salt")].concat());
    let body = encrypt(
        &array("ua_public"),
        &array("auth"),
        &field("plaintext"),
        &mut rng,
    )
    .unwrap();
    assert_eq!(body, field("body"));
    assert!(rng.0.is_empty(), "exactly the key and the salt were drawn");
    assert_eq!(&body[21..HEADER_LEN], field("as_public").as_slice());
}

#[test]
fn rfc8291_example_decrypts_to_the_rfcs_plaintext() {
    let keys = WebPushKeys::from_private(&array("ua_private"), &array("auth")).unwrap();
    assert_eq!(keys.p256dh().as_slice(), field("ua_public").as_slice());
    let plain = keys.decrypt(&field("body")).unwrap();
    assert_eq!(plain.as_slice(), field("plaintext").as_slice());
    assert_eq!(
        std::str::from_utf8(&plain).unwrap(),
        "When I grow up, I want to be a watermelon"
    );
}

#[test]
fn altered_or_misdirected_bodies_are_refused() {
    let keys = WebPushKeys::from_private(&array("ua_private"), &array("auth")).unwrap();
    let body = field("body");
    for i in [0, 20, 30, HEADER_LEN, body.len() - 1] {
        let mut b = body.clone();
        b[i] ^= 1;
        assert!(keys.decrypt(&b).is_err(), "byte {i}");
    }
    let other_auth = WebPushKeys::from_private(&array("ua_private"), &[0; 16]).unwrap();
    assert_eq!(other_auth.decrypt(&body).unwrap_err(), Error::Tampered);
    assert!(keys.decrypt(&body[..HEADER_LEN + 10]).is_err());
    assert!(keys.decrypt(&[]).is_err());
    assert!(keys.decrypt(&vec![0; 5000]).is_err());
    // A record size smaller than the record.
    let mut small_rs = body.clone();
    small_rs[16..20].copy_from_slice(&18u32.to_be_bytes());
    assert!(keys.decrypt(&small_rs).is_err());
}

#[test]
fn the_relays_push_payload_encrypts_to_one_fixed_size() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let keys = WebPushKeys::make(&mut rng).unwrap();
    let device = crate::Signer::public_key(&crate::SoftwareSigner::make(&mut rng).unwrap());
    let mut bodies = std::collections::HashSet::new();
    for _ in 0..50 {
        let payload = crate::PushPayload::derive(crate::PushId::make(&mut rng), &device);
        let json = payload.to_json();
        let body = encrypt(keys.p256dh(), keys.auth(), json.as_bytes(), &mut rng).unwrap();
        assert_eq!(body.len(), WEBPUSH_BODY_LEN);
        // Far below what every push service takes (4096), so never 413.
        const { assert!(WEBPUSH_BODY_LEN <= 4096) };
        assert_eq!(keys.decrypt(&body).unwrap().as_slice(), json.as_bytes());
        assert!(
            bodies.insert(body[21..HEADER_LEN].to_vec()),
            "fresh sender key"
        );
    }
    assert_eq!(WEBPUSH_BODY_LEN, 152);
    let too_big = vec![b'x'; RECORD_SIZE as usize];
    assert!(encrypt(keys.p256dh(), keys.auth(), &too_big, &mut rng).is_err());
}
