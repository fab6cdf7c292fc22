//! The push's routing tag `r`: which of the phone's push enrollments a push is for,
//! readable only by the phone and that enrollment's relay.
//!
//! ```text
//! route_key = SHA-256(enc("assent/v1/push-route-key", device_pub))
//! r         = HMAC-SHA256(route_key, enc("assent/v1/push-route", push_id))[..9]
//! ```
//!
//! `device_pub` is the enrollment's own device key: both ends already hold it (the
//! relay verifies the phone's signed requests with it) and it never goes to
//! Apple/Google. Each push has a fresh random `push_id`, so without the key two tags of
//! one enrollment look as unrelated as two random strings.

use ring::hmac;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::encoding::{b64_decode_array, b64_encode, sha256, text_serde, Enc};
use crate::error::Result;
use crate::ids::PushId;
use crate::keys::DevicePublicKey;

/// Bytes of a [`RouteTag`] (72 bits: 12 characters of base64url).
pub const ROUTE_TAG_LEN: usize = 9;

const ROUTE_KEY_LABEL: &str = "assent/v1/push-route-key";
const ROUTE_LABEL: &str = "assent/v1/push-route";

/// The per-enrollment routing key, derived from the enrollment's device key.
pub(crate) fn derive_route_key(device_pub: &DevicePublicKey) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(sha256(
        &Enc::new(ROUTE_KEY_LABEL)
            .bytes(device_pub.as_bytes())
            .finish(),
    ))
}

/// A push's routing tag: `HMAC-SHA256(route_key, enc(label, push_id))` truncated to
/// [`ROUTE_TAG_LEN`] bytes. Not secret (Apple/Google see it), but unlinkable without
/// the device key. In text, 12 characters of canonical unpadded base64url.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteTag([u8; ROUTE_TAG_LEN]);

impl RouteTag {
    /// The tag of `push_id` for the enrollment whose device key is `device_pub`.
    pub fn derive(device_pub: &DevicePublicKey, push_id: &PushId) -> Self {
        let key = derive_route_key(device_pub);
        let input = Enc::new(ROUTE_LABEL).bytes(push_id.as_bytes()).finish();
        let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key[..]), &input);
        let mut tag = [0u8; ROUTE_TAG_LEN];
        tag.copy_from_slice(&mac.as_ref()[..ROUTE_TAG_LEN]);
        RouteTag(tag)
    }

    /// Whether this is the tag of `push_id` for `device_pub` (constant-time compare).
    pub fn matches(&self, device_pub: &DevicePublicKey, push_id: &PushId) -> bool {
        let expected = Self::derive(device_pub, push_id);
        bool::from(self.0.ct_eq(&expected.0))
    }

    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; ROUTE_TAG_LEN]) -> Self {
        RouteTag(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; ROUTE_TAG_LEN] {
        &self.0
    }

    /// Parses canonical unpadded base64url (12 characters).
    pub fn parse(text: &str) -> Result<Self> {
        b64_decode_array::<ROUTE_TAG_LEN>(text, "r").map(RouteTag)
    }

    fn to_text(self) -> String {
        b64_encode(&self.0)
    }
}

impl core::fmt::Debug for RouteTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RouteTag({})", self.to_text())
    }
}

text_serde!(RouteTag);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Signer as _, SoftwareSigner};
    use rand_chacha::rand_core::SeedableRng;

    fn device(seed: u64) -> DevicePublicKey {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        SoftwareSigner::make(&mut rng).unwrap().public_key()
    }

    #[test]
    fn a_tag_matches_only_its_own_push_and_device() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (a, b) = (device(2), device(3));
        let p = PushId::make(&mut rng);
        let q = PushId::make(&mut rng);
        let tag = RouteTag::derive(&a, &p);
        assert!(tag.matches(&a, &p));
        assert!(!tag.matches(&b, &p), "another enrollment's key");
        assert!(!tag.matches(&a, &q), "another push");
        let mut flipped = *tag.as_bytes();
        flipped[ROUTE_TAG_LEN - 1] ^= 1;
        assert!(!RouteTag::from_bytes(flipped).matches(&a, &p));
    }

    #[test]
    fn one_enrollment_never_repeats_a_tag_across_pushes() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let a = device(5);
        let tags: std::collections::HashSet<RouteTag> = (0..1000)
            .map(|_| RouteTag::derive(&a, &PushId::make(&mut rng)))
            .collect();
        assert_eq!(tags.len(), 1000);
    }

    #[test]
    fn text_is_12_canonical_characters() {
        let tag = RouteTag::derive(&device(6), &PushId::from_bytes([7; 16]));
        let text = tag.to_string();
        assert_eq!(text.len(), 12);
        assert_eq!(RouteTag::parse(&text).unwrap(), tag);
        assert!(RouteTag::parse("AAAAAAAAAAA").is_err());
        assert!(RouteTag::parse("AAAAAAAAAAAAAAAA").is_err());
        assert!(RouteTag::parse("AAAAAAAAAAA=").is_err());
    }
}
