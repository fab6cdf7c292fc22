//! Key types: the device's public signing key, the channel key, the enrollment secret and
//! the per-offer RP key pair.

use hpke::{Deserializable as _, Kem as _, Serializable as _};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::{b64_decode, b64_decode_array, b64_encode, text_serde};
use crate::error::{Error, Result};

/// The HPKE KEM used for the channel-key wrap: DHKEM(P-256, HKDF-SHA256).
pub(crate) type RpKem = hpke::kem::DhP256HkdfSha256;
#[cfg(test)]
pub(crate) type RpKemAlias = RpKem;

/// Checks that `bytes` is a 65-byte uncompressed SEC1 P-256 point on the curve (the
/// identity has no such encoding and is refused).
fn check_p256_point(bytes: &[u8], field: &'static str) -> Result<[u8; 65]> {
    let array: [u8; 65] = bytes.try_into().map_err(|_| Error::Length {
        field,
        expected: 65,
        actual: bytes.len(),
    })?;
    if array[0] != 0x04 {
        return Err(Error::invalid(field, "not an uncompressed SEC1 point"));
    }
    <RpKem as hpke::Kem>::PublicKey::from_bytes(&array)
        .map_err(|_| Error::invalid(field, "not a point on P-256"))?;
    Ok(array)
}

/// A device's ECDSA P-256 public key: 65-byte uncompressed SEC1, checked on the curve.
/// The RP pins it at enrollment; the relay uses it for signed requests.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DevicePublicKey([u8; 65]);

impl DevicePublicKey {
    /// Parses and validates 65-byte uncompressed SEC1.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        check_p256_point(bytes, "device_pub").map(DevicePublicKey)
    }

    /// The 65 SEC1 bytes (as they appear inside `enc`).
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Verifies an ECDSA P-256/SHA-256 signature in strict ASN.1 DER over `msg`.
    /// Both low-S and high-S signatures are valid (secure hardware emits both).
    pub fn verify(&self, msg: &[u8], der_signature: &[u8]) -> Result<()> {
        if der_signature.len() > MAX_DER_SIGNATURE {
            return Err(Error::BadSignature);
        }
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, self.0)
            .verify(msg, der_signature)
            .map_err(|_| Error::BadSignature)
    }

    /// Parses canonical base64url.
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_sec1(&b64_decode(text, "device_pub")?)
    }

    fn to_text(&self) -> String {
        b64_encode(&self.0)
    }
}

/// The longest DER ECDSA P-256 signature (2 × 33-byte INTEGERs plus headers).
pub const MAX_DER_SIGNATURE: usize = 72;

impl core::fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DevicePublicKey({})", self.to_text())
    }
}

text_serde!(DevicePublicKey);

/// The 32-byte channel key `k_chan`, made by the phone and shared only with the RP
/// (wrapped to the per-offer RP key). Zeroized on drop; Debug is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ChannelKey([u8; 32]);

impl ChannelKey {
    /// Makes a fresh random channel key (phone, at registration).
    pub fn make(rng: &mut impl CryptoRng) -> Self {
        let mut key = ChannelKey([0u8; 32]);
        rng.fill_bytes(&mut key.0);
        key
    }

    /// Restores a stored key.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ChannelKey(bytes)
    }

    /// The raw key, for secure storage only.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for ChannelKey {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}
impl Eq for ChannelKey {}

impl core::fmt::Debug for ChannelKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChannelKey(..redacted..)")
    }
}

/// The one-time 32-byte enrollment secret `es` from the offer. Zeroized on drop;
/// Debug is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EnrollmentSecret([u8; 32]);

impl EnrollmentSecret {
    /// Makes a fresh random secret (RP, per offer).
    pub fn make(rng: &mut impl CryptoRng) -> Self {
        let mut es = EnrollmentSecret([0u8; 32]);
        rng.fill_bytes(&mut es.0);
        es
    }

    /// Restores a stored secret.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EnrollmentSecret(bytes)
    }

    /// The raw secret, for storage only.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses canonical base64url (43 characters).
    pub fn parse(text: &str) -> Result<Self> {
        let mut bytes = b64_decode_array::<32>(text, "es")?;
        let es = EnrollmentSecret(bytes);
        bytes.zeroize();
        Ok(es)
    }

    /// Canonical base64url, for the offer.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(b64_encode(&self.0))
    }
}

impl PartialEq for EnrollmentSecret {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}
impl Eq for EnrollmentSecret {}

impl core::fmt::Debug for EnrollmentSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EnrollmentSecret(..redacted..)")
    }
}

/// The public half of a per-offer RP key pair (`rpk`): 65-byte uncompressed SEC1 P-256.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RpPublicKey([u8; 65]);

impl RpPublicKey {
    /// Parses and validates 65-byte uncompressed SEC1.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        check_p256_point(bytes, "rpk").map(RpPublicKey)
    }

    /// The 65 SEC1 bytes.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Parses canonical base64url.
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_sec1(&b64_decode(text, "rpk")?)
    }

    fn to_text(&self) -> String {
        b64_encode(&self.0)
    }

    pub(crate) fn to_hpke(&self) -> Result<<RpKem as hpke::Kem>::PublicKey> {
        <RpKem as hpke::Kem>::PublicKey::from_bytes(&self.0).map_err(|_| Error::Crypto)
    }
}

impl core::fmt::Debug for RpPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RpPublicKey({})", self.to_text())
    }
}

text_serde!(RpPublicKey);

/// The RP's per-offer HPKE P-256 key pair. The RP keeps it only until the registration
/// arrives or the offer expires. The private scalar is zeroized on drop; Debug is redacted.
#[derive(Clone)]
pub struct RpKeyPair {
    private: <RpKem as hpke::Kem>::PrivateKey,
    public: RpPublicKey,
}

impl RpKeyPair {
    /// Makes a fresh key pair (RP, per offer).
    pub fn make(rng: &mut impl CryptoRng) -> Self {
        let (private, public) = RpKem::gen_keypair(rng);
        Self::from_parts(private, &public)
    }

    /// Restores a key pair from its stored 32-byte private scalar.
    pub fn from_private_bytes(bytes: &[u8]) -> Result<Self> {
        let private = <RpKem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map_err(|_| Error::invalid("rp_private_key", "not a P-256 scalar in [1, n)"))?;
        let public = RpKem::sk_to_pk(&private);
        Ok(Self::from_parts(private, &public))
    }

    fn from_parts(
        private: <RpKem as hpke::Kem>::PrivateKey,
        public: &<RpKem as hpke::Kem>::PublicKey,
    ) -> Self {
        let mut bytes = [0u8; 65];
        bytes.copy_from_slice(&public.to_bytes());
        RpKeyPair {
            private,
            public: RpPublicKey(bytes),
        }
    }

    /// The 32-byte private scalar, for storage only.
    pub fn private_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.private.to_bytes().to_vec())
    }

    /// The public key `rpk` that goes into the offer.
    pub fn public_key(&self) -> &RpPublicKey {
        &self.public
    }

    pub(crate) fn hpke_private(&self) -> &<RpKem as hpke::Kem>::PrivateKey {
        &self.private
    }
}

impl core::fmt::Debug for RpKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RpKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn device_keys_must_be_on_the_curve() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let pair = RpKeyPair::make(&mut rng);
        let good = *pair.public_key().as_bytes();
        assert!(DevicePublicKey::from_sec1(&good).is_ok());
        let mut off = good;
        off[64] ^= 1;
        assert!(DevicePublicKey::from_sec1(&off).is_err());
        let mut zero = [0u8; 65];
        zero[0] = 4;
        assert!(DevicePublicKey::from_sec1(&zero).is_err());
        assert!(DevicePublicKey::from_sec1(&[0u8]).is_err()); // SEC1 identity
        let mut compressed_tag = good;
        compressed_tag[0] = 2;
        assert!(DevicePublicKey::from_sec1(&compressed_tag).is_err());
        assert!(DevicePublicKey::from_sec1(&good[..33]).is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let k = ChannelKey::make(&mut rng);
        let es = EnrollmentSecret::make(&mut rng);
        let pair = RpKeyPair::make(&mut rng);
        assert_eq!(format!("{k:?}"), "ChannelKey(..redacted..)");
        assert_eq!(format!("{es:?}"), "EnrollmentSecret(..redacted..)");
        let dbg = format!("{pair:?}");
        assert!(!dbg.contains(&hex::encode(&pair.private_bytes()[..])));
        let b64 = crate::encoding::b64_encode(&pair.private_bytes());
        assert!(!dbg.contains(&b64));
    }

    #[test]
    fn rp_key_pair_round_trips_through_storage() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let pair = RpKeyPair::make(&mut rng);
        let again = RpKeyPair::from_private_bytes(&pair.private_bytes()).unwrap();
        assert_eq!(again.public_key(), pair.public_key());
        assert!(RpKeyPair::from_private_bytes(&[0u8; 32]).is_err());
        assert!(RpKeyPair::from_private_bytes(&[0xffu8; 32]).is_err());
    }
}
