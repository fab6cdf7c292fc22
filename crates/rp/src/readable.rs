//! Randomness helpers and the readable alphabet of backup codes and
//! application passwords.
//!
//! The alphabet has 31 characters: the digits 2–9 and the lowercase letters
//! without `i`, `l` and `o`, so none of `0 O o 1 l I i` can be misread. Each
//! character carries log2(31) ≈ 4.95 bits.

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The 31 characters codes and passwords are drawn from.
pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Fills `buf` from a cryptographic RNG.
pub(crate) fn fill<R: TryCryptoRng + ?Sized>(rng: &mut R, buf: &mut [u8]) -> Result<()> {
    rng.try_fill_bytes(buf).map_err(|_| Error::Rng)
}

/// One uniformly drawn character of [`ALPHABET`] (rejection sampling, no bias).
pub(crate) fn draw_char<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<u8> {
    // 248 = 8 * 31: bytes at or above it are redrawn.
    const LIMIT: u8 = 248;
    loop {
        let mut byte = Zeroizing::new([0u8; 1]);
        fill(rng, &mut byte[..])?;
        if byte[0] < LIMIT {
            return Ok(ALPHABET[usize::from(byte[0] % 31)]);
        }
    }
}

/// Draws `n` characters into `out`.
pub(crate) fn draw_chars<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    n: usize,
    out: &mut Zeroizing<String>,
) -> Result<()> {
    for _ in 0..n {
        out.push(char::from(draw_char(rng)?));
    }
    Ok(())
}

/// Lowercases `typed`, drops separators (`-`, spaces) and checks that exactly
/// `len` alphabet characters remain.
pub(crate) fn normalize(typed: &str, len: usize) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(len));
    for c in typed.chars() {
        if c == '-' || c.is_whitespace() {
            continue;
        }
        let c = c.to_ascii_lowercase();
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() >= len {
            return None;
        }
        out.push(c);
    }
    (out.len() == len).then_some(out)
}

/// A fresh 16-byte salt.
pub(crate) fn make_salt<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
) -> Result<[u8; crate::secret_hash::SALT_LEN]> {
    let mut salt = [0u8; crate::secret_hash::SALT_LEN];
    fill(rng, &mut salt)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn alphabet_has_no_look_alikes_and_no_repeats() {
        for bad in b"01ilo" {
            assert!(!ALPHABET.contains(bad));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 31);
    }

    #[test]
    fn draws_cover_the_alphabet() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            seen.insert(draw_char(&mut rng).unwrap());
        }
        assert_eq!(seen.len(), 31);
    }

    #[test]
    fn normalize_accepts_separators_and_case() {
        assert_eq!(normalize("AB2cd-EF3gh", 10).unwrap().as_str(), "ab2cdef3gh");
        assert_eq!(
            normalize(" ab2cd ef3gh ", 10).unwrap().as_str(),
            "ab2cdef3gh"
        );
        assert!(normalize("ab2cd-ef3g", 10).is_none());
        assert!(normalize("ab2cd-ef3ghh", 10).is_none());
        assert!(normalize("ab2cd-ef3g0", 10).is_none());
        assert!(normalize("ab2cd-ef3gé", 10).is_none());
    }
}
