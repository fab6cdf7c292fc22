//! The key derivations and AEAD the encrypted exports use. Every derived
//! key and every plaintext is zeroized on drop.

use std::num::NonZeroU32;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

/// A 256-bit key, zeroized on drop.
pub(crate) type Key = Zeroizing<[u8; 32]>;

/// AES-256-GCM decryption of `ciphertext || tag`; `None` when it fails
/// authentication or the nonce is not 12 bytes.
pub(crate) fn open(key: &[u8], nonce: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
        .ok()?
        .len();
    buf.truncate(len);
    Some(buf)
}

/// AES-256-GCM encryption; returns `ciphertext || tag`.
pub(crate) fn seal(key: &[u8], nonce: [u8; NONCE_LEN], plain: &[u8]) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let mut buf = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
        .ok()?;
    Some(buf)
}

/// The PBKDF2 hash functions the exports use.
#[derive(Clone, Copy)]
pub(crate) enum Prf {
    Sha1,
    Sha256,
}

/// PBKDF2 with `iterations` (at least 1) to a 256-bit key.
pub(crate) fn pbkdf2(prf: Prf, password: &[u8], salt: &[u8], iterations: u32) -> Option<Key> {
    let iterations = NonZeroU32::new(iterations)?;
    let alg = match prf {
        Prf::Sha1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        Prf::Sha256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
    };
    let mut key = Zeroizing::new([0u8; 32]);
    ring::pbkdf2::derive(alg, iterations, salt, password, key.as_mut());
    Some(key)
}

/// SHA-256 of the password (andOTP's old format).
pub(crate) fn sha256(password: &[u8]) -> Key {
    let digest = ring::digest::digest(&ring::digest::SHA256, password);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(digest.as_ref());
    key
}

/// Largest scrypt memory a file may ask for (128 · N · r bytes): 256 MiB.
pub(crate) const MAX_SCRYPT_MEMORY: u64 = 256 << 20;

/// scrypt to a 256-bit key; `None` when N is not a power of two or the
/// parameters ask for more than [`MAX_SCRYPT_MEMORY`] or p above 16.
pub(crate) fn scrypt(password: &[u8], salt: &[u8], n: u64, r: u32, p: u32) -> Option<Key> {
    if n < 2 || !n.is_power_of_two() || p > 16 || r == 0 || p == 0 {
        return None;
    }
    if 128u64.checked_mul(n)?.checked_mul(u64::from(r))? > MAX_SCRYPT_MEMORY {
        return None;
    }
    let log_n = u8::try_from(n.trailing_zeros()).ok()?;
    let params = scrypt::Params::new(log_n, r, p, 32).ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut()).ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let key = [7u8; 32];
        let sealed = seal(&key, [1; 12], b"hello").unwrap();
        assert_eq!(open(&key, &[1; 12], &sealed).unwrap().as_slice(), b"hello");
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert!(open(&key, &[1; 12], &bad).is_none());
        assert!(open(&key, &[1; 11], &sealed).is_none());
    }

    #[test]
    fn scrypt_limits() {
        assert!(scrypt(b"pw", b"salt", 3, 8, 1).is_none());
        assert!(scrypt(b"pw", b"salt", 1 << 20, 8, 1).is_none());
        assert!(scrypt(b"pw", b"salt", 16, 1, 1).is_some());
        assert!(pbkdf2(Prf::Sha1, b"pw", b"s", 0).is_none());
    }
}
