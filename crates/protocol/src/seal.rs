//! AES-256-GCM under the channel key: `sealed = nonce(12) ‖ ciphertext ‖ tag(16)`, with a
//! fresh random nonce from the injected RNG. Only the RP seals (enrollment answer,
//! challenge body, unenroll confirmation); the phone only opens.

use rand_core::CryptoRng;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::ChannelKey;

/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;
/// What sealing adds to a plaintext.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

fn aes_key(key: &ChannelKey) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key.expose_secret())
        .map(LessSafeKey::new)
        .map_err(|_| Error::Crypto)
}

/// Seals `plaintext` under `key` with `aad`, drawing the 12-byte nonce from `rng`.
pub fn seal(
    key: &ChannelKey,
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = aes_key(key)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| Error::Crypto)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens `sealed` under `key` with `aad`. Any change to the nonce, ciphertext, tag or
/// aad, or another key, gives [`Error::Tampered`].
pub fn open(key: &ChannelKey, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (nonce, ciphertext) = sealed
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(Error::Tampered)?;
    if ciphertext.len() < TAG_LEN {
        return Err(Error::Tampered);
    }
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = aes_key(key)?
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| Error::Tampered)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn seal_open_and_every_bit_matters() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let key = ChannelKey::make(&mut rng);
        let sealed = seal(&key, b"aad", b"hello", &mut rng).unwrap();
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(&open(&key, b"aad", &sealed).unwrap()[..], b"hello");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x80;
            assert_eq!(open(&key, b"aad", &bad), Err(Error::Tampered));
        }
        assert_eq!(open(&key, b"aaD", &sealed), Err(Error::Tampered));
        let other = ChannelKey::make(&mut rng);
        assert_eq!(open(&other, b"aad", &sealed), Err(Error::Tampered));
        assert_eq!(open(&key, b"aad", &sealed[..20]), Err(Error::Tampered));
        assert_eq!(open(&key, b"aad", &[]), Err(Error::Tampered));
    }

    #[test]
    fn nonces_are_fresh() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let key = ChannelKey::make(&mut rng);
        let a = seal(&key, b"", b"x", &mut rng).unwrap();
        let b = seal(&key, b"", b"x", &mut rng).unwrap();
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
    }
}
