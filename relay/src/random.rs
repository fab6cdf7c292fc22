//! Random identifiers and secrets from the operating system's CSPRNG.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{OsRng, TryRngCore};

/// The operating system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("operating system random source failed")]
pub struct RandomError;

/// `N` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    OsRng.try_fill_bytes(&mut buf).map_err(|_| RandomError)?;
    Ok(buf)
}

/// A random identifier: 16 bytes as unpadded base64url (22 characters).
pub fn random_id() -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_chars_and_distinct() {
        let a = random_id().unwrap();
        let b = random_id().unwrap();
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
    }
}
