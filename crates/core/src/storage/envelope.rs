//! The encrypted vault format.
//!
//! ```text
//! offset  len  field
//! 0       8    magic "ASSENTVT"
//! 8       2    format version, big-endian (the payload schema version)
//! 10      8    key check: HMAC-SHA256(key, "assent vault key check")[..8]
//! 18      4    ciphertext length (including the tag), big-endian
//! 22      12   AES-256-GCM nonce, random per write
//! 34      n    ciphertext || 16-byte tag; AAD = bytes 0..34
//! ```
//!
//! The key check tells a wrong key from a corrupted file without decrypting;
//! the length field tells a truncated file from a corrupted one. All format
//! versions so far share this layout and differ only in the JSON payload
//! (see `migration`); a later layout change would dispatch on the version.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::key_source::VaultKey;
use crate::error::{Error, Result};
use crate::random::RandomSource;

/// The first eight bytes of every vault.
pub const MAGIC: [u8; 8] = *b"ASSENTVT";
/// The format version this build writes.
pub const FORMAT_VERSION: u16 = 2;

const KEY_CHECK_LEN: usize = 8;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 8 + 2 + KEY_CHECK_LEN + 4 + NONCE_LEN;

/// A decrypted vault: its format version and JSON payload.
pub(crate) struct Opened {
    pub version: u16,
    pub payload: Zeroizing<Vec<u8>>,
}

fn key_check(key: &VaultKey) -> [u8; KEY_CHECK_LEN] {
    let mac_key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let tag = hmac::sign(&mac_key, b"assent vault key check");
    let mut out = [0u8; KEY_CHECK_LEN];
    out.copy_from_slice(&tag.as_ref()[..KEY_CHECK_LEN]);
    out
}

fn aead_key(key: &VaultKey) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key.as_bytes())
        .map(LessSafeKey::new)
        .map_err(|_| Error::Malformed("vault key rejected by AES-256-GCM"))
}

/// Encrypts `payload` in the current format with a random nonce.
pub(crate) fn seal(key: &VaultKey, payload: &[u8], rng: &mut dyn RandomSource) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce)?;
    seal_with(key, FORMAT_VERSION, nonce, payload)
}

/// Encrypts `payload` as format `version` with the given nonce (the nonce
/// must never repeat under one key: production code goes through [`seal`]).
pub(crate) fn seal_with(
    key: &VaultKey,
    version: u16,
    nonce: [u8; NONCE_LEN],
    payload: &[u8],
) -> Result<Vec<u8>> {
    let body_len =
        u32::try_from(payload.len() + TAG_LEN).map_err(|_| Error::Malformed("vault too large"))?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TAG_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&key_check(key));
    out.extend_from_slice(&body_len.to_be_bytes());
    out.extend_from_slice(&nonce);
    let mut body = payload.to_vec();
    let aad = Aad::from(out.clone());
    aead_key(key)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), aad, &mut body)
        .map_err(|_| Error::Malformed("encryption failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks the header and decrypts. Never modifies anything.
pub(crate) fn open(key: &VaultKey, bytes: &[u8]) -> Result<Opened> {
    if bytes.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(bytes) {
            Error::Truncated
        } else {
            Error::NotAVault
        });
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::NotAVault);
    }
    if bytes.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    let (header, body) = bytes.split_at(HEADER_LEN);
    let version = u16::from_be_bytes([header[8], header[9]]);
    if version > FORMAT_VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    if !bool::from(header[10..18].ct_eq(&key_check(key))) {
        return Err(Error::WrongKey);
    }
    let body_len = u32::from_be_bytes([header[18], header[19], header[20], header[21]]);
    let body_len = usize::try_from(body_len).map_err(|_| Error::Corrupted)?;
    if body.len() < body_len || body_len < TAG_LEN {
        return Err(if body.len() < body_len {
            Error::Truncated
        } else {
            Error::Corrupted
        });
    }
    if body.len() > body_len {
        return Err(Error::Corrupted);
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&header[22..HEADER_LEN]);
    let mut plain = Zeroizing::new(body.to_vec());
    let len = aead_key(key)?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut plain,
        )
        .map_err(|_| Error::Corrupted)?
        .len();
    plain.truncate(len);
    Ok(Opened {
        version,
        payload: plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn key(b: u8) -> VaultKey {
        VaultKey::from_bytes([b; 32])
    }

    #[test]
    fn round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let sealed = seal(&key(1), b"{\"hello\":1}", &mut rng).unwrap();
        assert_eq!(&sealed[..8], b"ASSENTVT");
        let opened = open(&key(1), &sealed).unwrap();
        assert_eq!(opened.version, FORMAT_VERSION);
        assert_eq!(opened.payload.as_slice(), b"{\"hello\":1}");
    }

    #[test]
    fn nonce_differs_per_write() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let a = seal(&key(1), b"same", &mut rng).unwrap();
        let b = seal(&key(1), b"same", &mut rng).unwrap();
        assert_ne!(a[22..34], b[22..34]);
        assert_ne!(a, b);
    }

    #[test]
    fn typed_errors() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let sealed = seal(&key(1), b"payload", &mut rng).unwrap();
        assert!(matches!(open(&key(2), &sealed), Err(Error::WrongKey)));
        assert!(matches!(
            open(&key(1), b"hello world, not a vault"),
            Err(Error::NotAVault)
        ));
        assert!(matches!(open(&key(1), b""), Err(Error::Truncated)));
        for cut in [4, 20, sealed.len() - 1] {
            assert!(
                matches!(open(&key(1), &sealed[..cut]), Err(Error::Truncated)),
                "cut at {cut}"
            );
        }
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(open(&key(1), &flipped), Err(Error::Corrupted)));
        // Relabelling the version is caught: the header is the AAD.
        let mut version = sealed.clone();
        version[9] = 1;
        assert!(matches!(open(&key(1), &version), Err(Error::Corrupted)));
        let mut newer = sealed.clone();
        newer[8] = 0xFF;
        assert!(matches!(
            open(&key(1), &newer),
            Err(Error::UnsupportedVersion(0xFF02))
        ));
        let mut longer = sealed;
        longer.push(0);
        assert!(matches!(open(&key(1), &longer), Err(Error::Corrupted)));
    }
}
