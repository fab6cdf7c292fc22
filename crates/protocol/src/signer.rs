//! Signing is abstracted: the phone's key store (possibly secure hardware) implements
//! [`Signer`]; [`SoftwareSigner`] is the software implementation on ring.

use hpke::{Deserializable as _, Kem as _, Serializable as _};
use rand_core::CryptoRng;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use zeroize::Zeroizing;

use crate::error::{Error, Result, SignError};
use crate::keys::{DevicePublicKey, RpKem};

/// A per-enrollment device signing key: ECDSA P-256 with SHA-256, signatures in ASN.1 DER.
///
/// The phone's key store implements this (Secure Enclave, StrongBox, or
/// [`SoftwareSigner`]). `sign` hashes `msg` with SHA-256 itself, as the platform APIs do.
pub trait Signer {
    /// The public key the RP pins.
    fn public_key(&self) -> DevicePublicKey;
    /// Signs `msg` (ECDSA P-256/SHA-256), returning a DER signature. Low-S or high-S.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> DevicePublicKey {
        (**self).public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(msg)
    }
}

/// Signs with `signer` and checks that the result is a DER signature of plausible size.
pub(crate) fn sign_der(signer: &impl Signer, msg: &[u8]) -> Result<Vec<u8>> {
    let sig = signer.sign(msg)?;
    if sig.is_empty() || sig.len() > crate::keys::MAX_DER_SIGNATURE {
        return Err(Error::Sign(SignError::Other(
            "signer returned a malformed signature".into(),
        )));
    }
    Ok(sig)
}

/// A software ECDSA P-256 key on ring: for tests, and the mobile core's default where no
/// hardware key store exists. Its PKCS#8 form is kept zeroized for secure storage.
pub struct SoftwareSigner {
    pair: EcdsaKeyPair,
    public: DevicePublicKey,
    pkcs8: Zeroizing<Vec<u8>>,
    rng: ring::rand::SystemRandom,
}

/// PKCS#8 v1 `PrivateKeyInfo` for a P-256 key, as ring emits it: prefix, 32-byte scalar,
/// middle, 65-byte public key.
const PKCS8_PREFIX: [u8; 36] = [
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];
const PKCS8_MIDDLE: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];

impl SoftwareSigner {
    /// Loads a key from PKCS#8 (as made by [`SoftwareSigner::make`] or ring).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
            .map_err(|_| Error::invalid("pkcs8", "not a P-256 ECDSA PKCS#8 key"))?;
        let public = DevicePublicKey::from_sec1(pair.public_key().as_ref())?;
        Ok(SoftwareSigner {
            pair,
            public,
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            rng,
        })
    }

    /// Makes a fresh key from `rng` (a uniformly random scalar in [1, n)).
    pub fn make(rng: &mut impl CryptoRng) -> Result<Self> {
        let mut scalar = Zeroizing::new([0u8; 32]);
        // A random 256-bit string is ≥ n with probability < 2^-32; retry a few times.
        for _ in 0..16 {
            rng.fill_bytes(&mut scalar[..]);
            if let Ok(private) = <RpKem as hpke::Kem>::PrivateKey::from_bytes(&scalar[..]) {
                let public = RpKem::sk_to_pk(&private).to_bytes();
                let mut pkcs8 = Zeroizing::new(Vec::with_capacity(138));
                pkcs8.extend_from_slice(&PKCS8_PREFIX);
                pkcs8.extend_from_slice(&scalar[..]);
                pkcs8.extend_from_slice(&PKCS8_MIDDLE);
                pkcs8.extend_from_slice(&public);
                return Self::from_pkcs8(&pkcs8);
            }
        }
        Err(Error::Crypto)
    }

    /// The PKCS#8 form, for secure storage only.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> DevicePublicKey {
        self.public.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        self.pair
            .sign(&self.rng, msg)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| SignError::Other("ring signing failed".into()))
    }
}

impl core::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn made_keys_sign_and_reload() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let signer = SoftwareSigner::make(&mut rng).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        signer.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(
            signer.public_key().verify(b"hellO", &sig),
            Err(Error::BadSignature)
        );
        let again = SoftwareSigner::from_pkcs8(&signer.to_pkcs8()).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        // Same rng seed, same key: generation is deterministic in the injected rng.
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let twin = SoftwareSigner::make(&mut rng).unwrap();
        assert_eq!(twin.public_key(), signer.public_key());
        assert!(!format!("{signer:?}").contains("pkcs8"));
    }

    #[test]
    fn garbage_pkcs8_is_refused() {
        assert!(SoftwareSigner::from_pkcs8(&[0u8; 138]).is_err());
    }
}
