//! Device keys for push accounts: ECDSA P-256 with SHA-256.
//!
//! The host may keep keys in hardware (Secure Enclave, StrongBox) by
//! implementing [`KeyStore`]; the core only ever asks for a public key and
//! signatures. [`SoftwareKeyStore`] is the default, for hosts without
//! hardware keys and for desktop and tests.

mod signer;
mod software;

pub use signer::KeyStoreSigner;
pub use software::SoftwareKeyStore;

/// Length of an uncompressed SEC1 P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;

/// Errors from a [`KeyStore`]. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// No key has this alias.
    #[error("no device key with alias {0:?}")]
    NotFound(String),
    /// A key with this alias exists already.
    #[error("a device key with alias {0:?} exists already")]
    AlreadyExists(String),
    /// The key store returned a public key that is not 65-byte uncompressed SEC1.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// The stored key could not be used (corrupted or of the wrong type).
    #[error("device key {0:?} is unusable")]
    Unusable(String),
    /// The user did not pass verification (biometric or PIN).
    #[error("user verification failed or was cancelled")]
    UserVerification,
    /// A host or storage failure, described without secrets.
    #[error("{0}")]
    Host(String),
}

/// A P-256 public key, 65-byte uncompressed SEC1 (`0x04 || X || Y`).
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePublicKey([u8; PUBLIC_KEY_LEN]);

impl DevicePublicKey {
    /// Checks the length and the uncompressed-point prefix.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyStoreError> {
        let key: [u8; PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyStoreError::InvalidPublicKey)?;
        if key[0] != 0x04 {
            return Err(KeyStoreError::InvalidPublicKey);
        }
        Ok(Self(key))
    }

    /// The 65 bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePublicKey({})", crate::random::hex(&self.0[1..9]))
    }
}

/// Keeps device keys and signs with them; the private key never leaves it.
pub trait KeyStore: Send + Sync {
    /// Creates a new P-256 key under `alias` and returns its public key.
    /// With `require_user_verification`, hardware stores create the key with
    /// user-authentication access control (biometric or PIN before each
    /// signature) where the platform offers it.
    fn create(
        &self,
        alias: &str,
        require_user_verification: bool,
    ) -> Result<DevicePublicKey, KeyStoreError>;

    /// Signs `message` (ECDSA P-256, SHA-256) and returns the DER signature.
    fn sign(&self, alias: &str, message: &[u8]) -> Result<Vec<u8>, KeyStoreError>;

    /// Deletes the key; deleting a missing key is not an error.
    fn delete(&self, alias: &str) -> Result<(), KeyStoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_checks_shape() {
        let mut raw = [7u8; 65];
        assert!(DevicePublicKey::from_sec1(&raw).is_err());
        raw[0] = 4;
        assert_eq!(DevicePublicKey::from_sec1(&raw).unwrap().as_bytes(), &raw);
        assert!(DevicePublicKey::from_sec1(&raw[..64]).is_err());
    }
}
