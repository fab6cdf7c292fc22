//! [`KeyStoreSigner`]: the protocol's [`Signer`] over a [`KeyStore`] key, so
//! answers and signed requests are signed where the key lives (possibly
//! secure hardware).

use assent_protocol::{DevicePublicKey, SignError, Signer};

use super::{KeyStore, KeyStoreError};

/// Signs with the key `alias` of a [`KeyStore`], presenting `public` as its
/// public key. The key store cannot return a public key after creation, so
/// the caller keeps it (the core stores it with the push account).
pub struct KeyStoreSigner<'a> {
    keys: &'a dyn KeyStore,
    alias: &'a str,
    public: DevicePublicKey,
}

impl<'a> KeyStoreSigner<'a> {
    /// A signer for key `alias` in `keys`, whose public key is `public`.
    pub fn new(keys: &'a dyn KeyStore, alias: &'a str, public: DevicePublicKey) -> Self {
        Self {
            keys,
            alias,
            public,
        }
    }
}

impl std::fmt::Debug for KeyStoreSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStoreSigner")
            .field("alias", &self.alias)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// Maps a key store failure to what the protocol's [`Signer`] reports.
fn sign_error(e: KeyStoreError) -> SignError {
    match e {
        KeyStoreError::NotFound(_) | KeyStoreError::Unusable(_) => SignError::KeyUnavailable,
        KeyStoreError::UserVerification => SignError::UserVerification,
        other => SignError::Other(other.to_string()),
    }
}

impl Signer for KeyStoreSigner<'_> {
    fn public_key(&self) -> DevicePublicKey {
        self.public.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        self.keys.sign(self.alias, msg).map_err(sign_error)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::keys::SoftwareKeyStore;
    use crate::storage::MemoryStorage;

    #[test]
    fn signs_with_the_key_store_key() {
        let ks = SoftwareKeyStore::new(Arc::new(MemoryStorage::new()));
        let public = ks.create("k1", false).unwrap();
        let public = DevicePublicKey::from_sec1(public.as_bytes()).unwrap();
        let signer = KeyStoreSigner::new(&ks, "k1", public.clone());
        let sig = signer.sign(b"answer").unwrap();
        public.verify(b"answer", &sig).unwrap();
        assert!(public.verify(b"other", &sig).is_err());
        assert_eq!(signer.public_key(), public);
        let gone = KeyStoreSigner::new(&ks, "missing", public);
        assert_eq!(gone.sign(b"m"), Err(SignError::KeyUnavailable));
    }
}
