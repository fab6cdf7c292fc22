//! Test doubles for code built on this library (feature `testing`; never in a server).
//!
//! [`FastHasher`] stands in for argon2id so that test flows which issue backup codes or
//! application passwords stay fast in debug builds. It is a salted SHA-256: worthless
//! against a stolen database, which is why it lives behind a feature.

use assent_protocol::sha256;

use crate::error::{Error, Result};
use crate::secret_hash::{SecretHasher, SALT_LEN};

/// A salted SHA-256 "hash" (`test-sha256$<salt hex>$<digest hex>`). Tests only.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl SecretHasher for FastHasher {
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> Result<String> {
        let mut input = salt.to_vec();
        input.extend_from_slice(secret);
        Ok(format!(
            "test-sha256${}${}",
            hex(salt),
            hex(&sha256(&input))
        ))
    }

    fn verify(&self, secret: &[u8], encoded: &str) -> Result<bool> {
        let mut parts = encoded.split('$');
        let (Some("test-sha256"), Some(salt), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Corrupt("test hash"));
        };
        let salt: [u8; SALT_LEN] = unhex(salt)
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::Corrupt("test hash salt"))?;
        Ok(self.hash(secret, &salt)? == encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_its_own_hashes_only() {
        let salt = [7; SALT_LEN];
        let encoded = FastHasher.hash(b"secret", &salt).unwrap();
        assert!(FastHasher.verify(b"secret", &encoded).unwrap());
        assert!(!FastHasher.verify(b"other", &encoded).unwrap());
        assert!(FastHasher.verify(b"secret", "argon2id$x").is_err());
        assert!(FastHasher.verify(b"secret", "test-sha256$zz$00").is_err());
    }
}
