//! Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding
//! (RFC 8188), one record:
//!
//! ```text
//! ecdh_secret = ECDH(as_private, ua_public)                     (P-256, x coordinate)
//! PRK_key     = HKDF-Extract(salt = auth, ikm = ecdh_secret)
//! IKM         = HKDF-Expand(PRK_key, "WebPush: info" 0x00 ua_public as_public, 32)
//! PRK         = HKDF-Extract(salt, IKM)
//! CEK         = HKDF-Expand(PRK, "Content-Encoding: aes128gcm" 0x00, 16)
//! NONCE       = HKDF-Expand(PRK, "Content-Encoding: nonce" 0x00, 12)
//! body        = salt(16) rs(4, big-endian) idlen(1) = 65 keyid = as_public(65)
//!               AES-128-GCM(CEK, NONCE, plaintext 0x02 padding...)
//! ```
//!
//! The sender's key pair is fresh for every message. The relay's plaintext is always the
//! [`crate::PushPayload`] JSON and it adds no padding, so every body is
//! [`WEBPUSH_BODY_LEN`] bytes, far below the 4096 bytes push services must accept.

use rand_core::CryptoRng;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use ring::hkdf;
use zeroize::Zeroizing;

use super::keys::{check_public, AUTH_LEN, P256DH_LEN};
use crate::error::{Error, Result};

/// The record size written in every header (RFC 8188 §2; the usual value).
pub const RECORD_SIZE: u32 = 4096;
/// Length of the `aes128gcm` header with a P-256 key id: salt, rs, idlen, keyid.
pub const HEADER_LEN: usize = 16 + 4 + 1 + P256DH_LEN;
/// What encryption adds to a plaintext: header, padding delimiter, GCM tag.
pub const OVERHEAD: usize = HEADER_LEN + 1 + 16;
/// Length of every Web Push body the relay sends: the push payload, encrypted.
pub const WEBPUSH_BODY_LEN: usize = crate::PUSH_PAYLOAD_LEN + OVERHEAD;

const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// A fresh P-256 private key from `rng` (32 bytes drawn until one is a valid scalar).
pub(crate) fn make_secret(rng: &mut impl CryptoRng) -> Result<p256::SecretKey> {
    for _ in 0..16 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut bytes[..]);
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes[..]) {
            return Ok(secret);
        }
    }
    Err(Error::Crypto)
}

/// The uncompressed public point of `secret`.
pub(crate) fn public_bytes(secret: &p256::SecretKey) -> [u8; P256DH_LEN] {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let point = secret.public_key().to_encoded_point(false);
    let mut out = [0u8; P256DH_LEN];
    if point.as_bytes().len() == P256DH_LEN {
        out.copy_from_slice(point.as_bytes());
    }
    out
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| Error::Crypto)
}

/// The content-encryption key and nonce of one message.
struct MessageKeys {
    cek: Zeroizing<[u8; 16]>,
    nonce: Zeroizing<[u8; 12]>,
}

/// CEK and nonce of one message (RFC 8291 §3.4, RFC 8188 §2.2–2.3).
fn derive(
    secret: &p256::SecretKey,
    peer: &p256::PublicKey,
    auth: &[u8; AUTH_LEN],
    ua_public: &[u8; P256DH_LEN],
    as_public: &[u8; P256DH_LEN],
    salt: &[u8],
) -> Result<MessageKeys> {
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth).extract(shared.raw_secret_bytes());
    let mut ikm = Zeroizing::new([0u8; 32]);
    expand(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm[..],
    )?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm[..]);
    let mut cek = Zeroizing::new([0u8; 16]);
    let mut nonce = Zeroizing::new([0u8; 12]);
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek[..])?;
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce[..])?;
    Ok(MessageKeys { cek, nonce })
}

fn aead_key(cek: &[u8; 16]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_128_GCM, cek)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Crypto)
}

/// Encrypts `plaintext` to the subscription keys `ua_public` (`p256dh`) and `auth`, as
/// one record with no padding. Draws from `rng` the sender's private key (32 bytes,
/// again if not a valid scalar), then the salt (16 bytes).
pub fn encrypt(
    ua_public: &[u8; P256DH_LEN],
    auth: &[u8; AUTH_LEN],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>> {
    let peer = check_public(ua_public, "p256dh")?;
    // One record: the plaintext, its delimiter and the tag must fit the record size.
    if plaintext.len() + 1 + TAG_LEN > RECORD_SIZE as usize {
        return Err(Error::TooLarge {
            field: "webpush_plaintext",
            limit: RECORD_SIZE as usize - 1 - TAG_LEN,
        });
    }
    let secret = make_secret(rng)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let as_public = public_bytes(&secret);
    let MessageKeys { cek, nonce } = derive(&secret, &peer, auth, ua_public, &as_public, &salt)?;
    let mut record = Vec::with_capacity(HEADER_LEN + plaintext.len() + 1 + TAG_LEN);
    record.extend_from_slice(&salt);
    record.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    record.push(P256DH_LEN as u8);
    record.extend_from_slice(&as_public);
    let mut sealed = Zeroizing::new(Vec::with_capacity(plaintext.len() + 1 + TAG_LEN));
    sealed.extend_from_slice(plaintext);
    sealed.push(0x02); // the last (and only) record's padding delimiter
    aead_key(&cek)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::empty(),
            &mut *sealed,
        )
        .map_err(|_| Error::Crypto)?;
    record.extend_from_slice(&sealed);
    Ok(record)
}

/// Opens one `aes128gcm` body with the receiver's keys (see [`super::WebPushKeys::decrypt`]).
pub(crate) fn decrypt(
    secret: &p256::SecretKey,
    ua_public: &[u8; P256DH_LEN],
    auth: &[u8; AUTH_LEN],
    body: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    const FIELD: &str = "webpush_body";
    if body.len() > HEADER_LEN + RECORD_SIZE as usize {
        return Err(Error::TooLarge {
            field: FIELD,
            limit: HEADER_LEN + RECORD_SIZE as usize,
        });
    }
    if body.len() < HEADER_LEN + 1 + TAG_LEN {
        return Err(Error::Malformed(
            "Web Push body shorter than a header and a tag",
        ));
    }
    let (header, ciphertext) = body.split_at(HEADER_LEN);
    let salt = &header[..SALT_LEN];
    let mut rs = [0u8; 4];
    rs.copy_from_slice(&header[SALT_LEN..SALT_LEN + 4]);
    let rs = u32::from_be_bytes(rs) as usize;
    if header[SALT_LEN + 4] as usize != P256DH_LEN {
        return Err(Error::invalid(FIELD, "key id is not a P-256 public key"));
    }
    let mut as_public = [0u8; P256DH_LEN];
    as_public.copy_from_slice(&header[SALT_LEN + 5..]);
    let peer = check_public(&as_public, FIELD)?;
    if rs < 18 || ciphertext.len() > rs {
        return Err(Error::invalid(FIELD, "not a single aes128gcm record"));
    }
    let MessageKeys { cek, nonce } = derive(secret, &peer, auth, ua_public, &as_public, salt)?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let opened_len = aead_key(&cek)?
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::empty(),
            &mut buffer[..],
        )
        .map_err(|_| Error::Tampered)?
        .len();
    buffer.truncate(opened_len);
    // Padding: the delimiter is the last non-zero byte; 2 marks the last record.
    let Some(delimiter) = buffer.iter().rposition(|b| *b != 0) else {
        return Err(Error::Malformed(
            "Web Push record without a padding delimiter",
        ));
    };
    if buffer[delimiter] != 0x02 {
        return Err(Error::Malformed("Web Push record is not the last record"));
    }
    buffer.truncate(delimiter);
    Ok(buffer)
}

#[cfg(test)]
mod tests;
