//! A [`KeyStore`] in software, on ring, keeping PKCS#8 documents in the
//! host's [`SecureStorage`].
//!
//! Key material in memory is zeroized after each use. The store cannot
//! enforce user verification: with `require_user_verification` the app must
//! verify the user before asking for a signature (the design's `uv_done` flag
//! is then the app's word, as without key attestation anyway).
//!
//! ring only accepts its own `SecureRandom`, so this store uses
//! `ring::rand::SystemRandom` rather than an injected `rand_core` RNG.

use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use zeroize::Zeroizing;

use super::{DevicePublicKey, KeyStore, KeyStoreError};
use crate::storage::SecureStorage;

/// Device keys as ring PKCS#8 documents in a [`SecureStorage`], one blob per
/// alias (named `devkey.<alias>`).
pub struct SoftwareKeyStore {
    storage: Arc<dyn SecureStorage>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKeyStore").finish_non_exhaustive()
    }
}

fn blob_name(alias: &str) -> String {
    format!("devkey.{alias}")
}

fn host(e: impl std::fmt::Display) -> KeyStoreError {
    KeyStoreError::Host(e.to_string())
}

impl SoftwareKeyStore {
    /// A key store over `storage`.
    pub fn new(storage: Arc<dyn SecureStorage>) -> Self {
        Self {
            storage,
            rng: SystemRandom::new(),
        }
    }

    fn load(&self, alias: &str) -> Result<EcdsaKeyPair, KeyStoreError> {
        let pkcs8 = self
            .storage
            .get(&blob_name(alias))
            .map_err(host)?
            .map(Zeroizing::new)
            .ok_or_else(|| KeyStoreError::NotFound(alias.to_owned()))?;
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &self.rng)
            .map_err(|_| KeyStoreError::Unusable(alias.to_owned()))
    }
}

impl KeyStore for SoftwareKeyStore {
    fn create(
        &self,
        alias: &str,
        _require_user_verification: bool,
    ) -> Result<DevicePublicKey, KeyStoreError> {
        let name = blob_name(alias);
        if self.storage.get(&name).map_err(host)?.is_some() {
            return Err(KeyStoreError::AlreadyExists(alias.to_owned()));
        }
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.rng)
            .map_err(|_| KeyStoreError::Host("key generation failed".into()))?;
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &self.rng)
            .map_err(|_| KeyStoreError::Unusable(alias.to_owned()))?;
        let public = DevicePublicKey::from_sec1(pair.public_key().as_ref())?;
        self.storage.put(&name, &pkcs8).map_err(host)?;
        Ok(public)
    }

    fn sign(&self, alias: &str, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let pair = self.load(alias)?;
        let signature = pair
            .sign(&self.rng, message)
            .map_err(|_| KeyStoreError::Host("signing failed".into()))?;
        Ok(signature.as_ref().to_vec())
    }

    fn delete(&self, alias: &str) -> Result<(), KeyStoreError> {
        self.storage.delete(&blob_name(alias)).map_err(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};

    fn store() -> SoftwareKeyStore {
        SoftwareKeyStore::new(Arc::new(MemoryStorage::new()))
    }

    #[test]
    fn signature_verifies_with_public_key() {
        let ks = store();
        let public = ks.create("acct-1", false).unwrap();
        assert_eq!(public.as_bytes().len(), 65);
        assert_eq!(public.as_bytes()[0], 0x04);
        let sig = ks.sign("acct-1", b"approve challenge 42").unwrap();
        assert_eq!(sig[0], 0x30, "DER sequence");
        let verifier = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public.as_bytes());
        verifier.verify(b"approve challenge 42", &sig).unwrap();
        assert!(verifier.verify(b"approve challenge 43", &sig).is_err());
    }

    #[test]
    fn keys_are_independent_and_not_overwritten() {
        let ks = store();
        let a = ks.create("a", true).unwrap();
        let b = ks.create("b", false).unwrap();
        assert_ne!(a, b);
        assert!(matches!(
            ks.create("a", false),
            Err(KeyStoreError::AlreadyExists(_))
        ));
        let sig = ks.sign("a", b"m").unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, a.as_bytes())
            .verify(b"m", &sig)
            .unwrap();
    }

    #[test]
    fn deleted_key_cannot_sign() {
        let ks = store();
        ks.create("gone", false).unwrap();
        ks.delete("gone").unwrap();
        assert!(matches!(ks.sign("gone", b"m"), Err(KeyStoreError::NotFound(a)) if a == "gone"));
        ks.delete("gone").unwrap();
    }

    #[test]
    fn keys_survive_in_storage() {
        let storage: Arc<dyn SecureStorage> = Arc::new(MemoryStorage::new());
        let public = SoftwareKeyStore::new(storage.clone())
            .create("k", false)
            .unwrap();
        let sig = SoftwareKeyStore::new(storage).sign("k", b"m").unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public.as_bytes())
            .verify(b"m", &sig)
            .unwrap();
    }

    #[test]
    fn corrupted_key_is_unusable_and_bad_alias_is_refused() {
        let storage = Arc::new(MemoryStorage::new());
        storage.put("devkey.bad", b"not pkcs8").unwrap();
        let ks = SoftwareKeyStore::new(storage);
        assert!(matches!(
            ks.sign("bad", b"m"),
            Err(KeyStoreError::Unusable(_))
        ));
        assert!(matches!(
            ks.create("../x", false),
            Err(KeyStoreError::Host(_))
        ));
    }
}
