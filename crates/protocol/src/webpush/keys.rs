//! The phone's Web Push keys: a P-256 key pair (its public half is the subscription's
//! `p256dh`) and the 16-byte authentication secret `auth` (RFC 8291 §2–3).

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::ece;
use super::subscription::WebPushSubscription;
use crate::error::{Error, Result};

/// Length of `p256dh`: an uncompressed P-256 point.
pub const P256DH_LEN: usize = 65;
/// Length of the authentication secret `auth`.
pub const AUTH_LEN: usize = 16;
/// Length of [`WebPushKeys::to_bytes`]: the private scalar, then `auth`.
const STORED_LEN: usize = 32 + AUTH_LEN;

/// The receiving side's keys. The private key and `auth` are zeroized on drop and never
/// shown in `Debug`.
#[derive(Clone)]
pub struct WebPushKeys {
    secret: p256::SecretKey,
    public: [u8; P256DH_LEN],
    auth: Zeroizing<[u8; AUTH_LEN]>,
}

impl std::fmt::Debug for WebPushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebPushKeys(<redacted>)")
    }
}

impl WebPushKeys {
    /// Fresh keys from `rng`.
    pub fn make(rng: &mut impl CryptoRng) -> Result<Self> {
        let secret = ece::make_secret(rng)?;
        let mut auth = Zeroizing::new([0u8; AUTH_LEN]);
        rng.fill_bytes(&mut auth[..]);
        Ok(Self::from_parts(secret, auth))
    }

    fn from_parts(secret: p256::SecretKey, auth: Zeroizing<[u8; AUTH_LEN]>) -> Self {
        let public = ece::public_bytes(&secret);
        WebPushKeys {
            secret,
            public,
            auth,
        }
    }

    /// Keys from a private scalar (32 bytes, big-endian) and `auth`.
    pub fn from_private(private: &[u8; 32], auth: &[u8; AUTH_LEN]) -> Result<Self> {
        let secret = p256::SecretKey::from_slice(private)
            .map_err(|_| Error::invalid("webpush_private_key", "not a P-256 private key"))?;
        Ok(Self::from_parts(secret, Zeroizing::new(*auth)))
    }

    /// The stored form (private scalar, then `auth`; 48 bytes). Secret: keep it in the
    /// host's secure storage only.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(STORED_LEN));
        out.extend_from_slice(&self.secret.to_bytes());
        out.extend_from_slice(&self.auth[..]);
        out
    }

    /// Reads [`WebPushKeys::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != STORED_LEN {
            return Err(Error::Length {
                field: "webpush_keys",
                expected: STORED_LEN,
                actual: bytes.len(),
            });
        }
        let mut private = Zeroizing::new([0u8; 32]);
        let mut auth = Zeroizing::new([0u8; AUTH_LEN]);
        private.copy_from_slice(&bytes[..32]);
        auth.copy_from_slice(&bytes[32..]);
        Self::from_private(&private, &auth)
    }

    /// The public key, `p256dh` of the subscription.
    pub fn p256dh(&self) -> &[u8; P256DH_LEN] {
        &self.public
    }

    /// The authentication secret, `auth` of the subscription.
    pub fn auth(&self) -> &[u8; AUTH_LEN] {
        &self.auth
    }

    /// The subscription to register for `endpoint` (the URL the distributor gave).
    pub fn subscription(&self, endpoint: &str) -> Result<WebPushSubscription> {
        WebPushSubscription::new(endpoint, self.public, *self.auth)
    }

    /// Opens one Web Push message body (`aes128gcm`, one record): the plaintext.
    /// [`Error::Tampered`] when it was not encrypted to these keys or was altered.
    pub fn decrypt(&self, body: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        ece::decrypt(&self.secret, &self.public, &self.auth, body)
    }
}

/// Checks that `bytes` is an uncompressed P-256 point on the curve.
pub(crate) fn check_public(bytes: &[u8], field: &'static str) -> Result<p256::PublicKey> {
    if bytes.len() != P256DH_LEN || bytes.first() != Some(&0x04) {
        return Err(Error::invalid(field, "not an uncompressed P-256 point"));
    }
    p256::PublicKey::from_sec1_bytes(bytes)
        .map_err(|_| Error::invalid(field, "not a point on P-256"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn stored_form_round_trips_and_debug_is_redacted() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let k = WebPushKeys::make(&mut rng).unwrap();
        let back = WebPushKeys::from_bytes(&k.to_bytes()).unwrap();
        assert_eq!(back.p256dh(), k.p256dh());
        assert_eq!(back.auth(), k.auth());
        assert_eq!(k.p256dh()[0], 4);
        assert!(check_public(k.p256dh(), "p").is_ok());
        assert_eq!(format!("{k:?}"), "WebPushKeys(<redacted>)");
        assert!(WebPushKeys::from_bytes(&[0; 47]).is_err());
        assert!(WebPushKeys::from_bytes(&[0; 48]).is_err(), "zero scalar");
        let other = WebPushKeys::make(&mut rng).unwrap();
        assert_ne!(other.p256dh(), k.p256dh());
    }
}
