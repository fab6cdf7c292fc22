//! Randomness, injected.
//!
//! The core takes any rand_core 0.9 `TryCryptoRng`: `rand_core::OsRng` in
//! production, a seeded `ChaCha20Rng` in tests (every `CryptoRng` is also a
//! `TryCryptoRng`). Taking the fallible trait means an OS RNG failure is an
//! [`Error::Random`](crate::Error::Random), never a panic.
//!
//! The one exception is ECDSA in [`crate::keys::SoftwareKeyStore`]: ring's
//! key generation and signing only accept ring's own sealed `SecureRandom`,
//! so that store uses `ring::rand::SystemRandom`.

use rand_core::TryCryptoRng;

use crate::error::{Error, Result};

/// An object-safe cryptographic random source; implemented for every
/// `rand_core::TryCryptoRng`.
pub trait RandomSource: Send {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]) -> Result<()>;
}

impl<R: TryCryptoRng + Send> RandomSource for R {
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        self.try_fill_bytes(dest).map_err(|_| Error::Random)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn seeded_rng_is_deterministic() {
        let mut a = ChaCha20Rng::seed_from_u64(7);
        let mut b = ChaCha20Rng::seed_from_u64(7);
        let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
        RandomSource::fill(&mut a, &mut x).unwrap();
        RandomSource::fill(&mut b, &mut y).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 16]);
    }

    #[test]
    fn os_rng_fills() {
        let mut rng = rand_core::OsRng;
        let mut x = [0u8; 32];
        rng.fill(&mut x).unwrap();
        assert_ne!(x, [0u8; 32]);
    }

    #[test]
    fn hex_encodes() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
