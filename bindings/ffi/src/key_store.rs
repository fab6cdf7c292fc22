//! Device keys: the hardware key store the host implements (Secure Enclave,
//! StrongBox) and the software default.

use std::sync::Arc;

use assent_core::{DevicePublicKey, KeyStoreError};

use crate::error::{to_key_store_error, AssentError};
use crate::storage::{HostStorage, SecureStorage};

/// Keeps device keys (ECDSA P-256 with SHA-256) and signs with them; the
/// private key never leaves it. Implement it over the Secure Enclave (iOS)
/// or StrongBox / the Android Keystore.
///
/// Raise `AssentError.UserVerificationRequired` when the user cancels or
/// fails the biometric / PIN prompt, `AssentError.NotFound` when no key has
/// the alias, and `AssentError.Storage` for other failures.
#[uniffi::export(with_foreign)]
pub trait DeviceKeyStore: Send + Sync {
    /// Creates a new P-256 key under `alias` and returns its public key as
    /// 65-byte uncompressed SEC1 (`0x04 || X || Y`). With
    /// `require_user_verification`, create it with user-authentication
    /// access control (biometric or PIN before each signature) where the
    /// platform offers it.
    fn create(
        &self,
        alias: String,
        require_user_verification: bool,
    ) -> Result<Vec<u8>, AssentError>;
    /// Signs `message` with ECDSA P-256 / SHA-256 and returns the DER
    /// signature (the platform hashes `message` itself).
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, AssentError>;
    /// Deletes the key; deleting a missing key is not an error.
    fn delete(&self, alias: String) -> Result<(), AssentError>;
}

/// A key store of the core, seen through the exported trait.
struct CoreKeyStore(assent_core::SoftwareKeyStore);

impl DeviceKeyStore for CoreKeyStore {
    fn create(
        &self,
        alias: String,
        require_user_verification: bool,
    ) -> Result<Vec<u8>, AssentError> {
        use assent_core::KeyStore;
        let public = self
            .0
            .create(&alias, require_user_verification)
            .map_err(assent_core::Error::from)?;
        Ok(public.as_bytes().to_vec())
    }
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, AssentError> {
        use assent_core::KeyStore;
        Ok(self
            .0
            .sign(&alias, &message)
            .map_err(assent_core::Error::from)?)
    }
    fn delete(&self, alias: String) -> Result<(), AssentError> {
        use assent_core::KeyStore;
        Ok(self.0.delete(&alias).map_err(assent_core::Error::from)?)
    }
}

/// Device keys in software (ring), kept as PKCS#8 blobs in `storage`. For
/// devices without a hardware key store, desktop tools and tests. It cannot
/// enforce user verification: the app must verify the user itself before
/// approving when the RP requires it.
#[uniffi::export]
pub fn software_key_store(storage: Arc<dyn SecureStorage>) -> Arc<dyn DeviceKeyStore> {
    let storage = Arc::new(HostStorage(storage));
    Arc::new(CoreKeyStore(assent_core::SoftwareKeyStore::new(storage)))
}

/// The host's key store, as the core's key store trait.
pub(crate) struct HostKeyStore(pub(crate) Arc<dyn DeviceKeyStore>);

impl assent_core::KeyStore for HostKeyStore {
    fn create(
        &self,
        alias: &str,
        require_user_verification: bool,
    ) -> Result<DevicePublicKey, KeyStoreError> {
        let public = self
            .0
            .create(alias.to_owned(), require_user_verification)
            .map_err(|e| to_key_store_error(alias, e))?;
        DevicePublicKey::from_sec1(&public)
    }
    fn sign(&self, alias: &str, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.0
            .sign(alias.to_owned(), message.to_vec())
            .map_err(|e| to_key_store_error(alias, e))
    }
    fn delete(&self, alias: &str) -> Result<(), KeyStoreError> {
        self.0
            .delete(alias.to_owned())
            .map_err(|e| to_key_store_error(alias, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::memory_storage;

    #[test]
    fn software_key_store_signs_and_deletes() {
        let keys = software_key_store(memory_storage());
        let public = keys.create("k".into(), false).unwrap();
        assert_eq!(public.len(), 65);
        let sig = keys.sign("k".into(), b"m".to_vec()).unwrap();
        assert_eq!(sig[0], 0x30);
        keys.delete("k".into()).unwrap();
        assert!(matches!(
            keys.sign("k".into(), b"m".to_vec()),
            Err(AssentError::NotFound { .. })
        ));
    }

    struct Refusing;
    impl DeviceKeyStore for Refusing {
        fn create(&self, _: String, _: bool) -> Result<Vec<u8>, AssentError> {
            Ok(vec![1, 2, 3])
        }
        fn sign(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, AssentError> {
            Err(AssentError::UserVerificationRequired)
        }
        fn delete(&self, _: String) -> Result<(), AssentError> {
            Ok(())
        }
    }

    #[test]
    fn host_key_store_checks_keys_and_maps_errors() {
        use assent_core::KeyStore;
        let host = HostKeyStore(Arc::new(Refusing));
        assert!(matches!(
            host.create("k", true),
            Err(KeyStoreError::InvalidPublicKey)
        ));
        assert!(matches!(
            host.sign("k", b"m"),
            Err(KeyStoreError::UserVerification)
        ));
    }
}
