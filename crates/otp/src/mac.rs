//! The keyed MAC behind every code: HMAC with the key schedule (inner and outer
//! padded hash states) computed once, so a code costs two compressions and no
//! allocation.
//!
//! SHA-1 runs on RustCrypto's `sha1`, which detects the CPU's SHA extensions at
//! run time (ring's SHA-1 is portable code); SHA-256 and SHA-512 run on ring's
//! assembly. Both are tested against the RFC vectors and an independent oracle.

use hmac::{Hmac, Mac};
use ring::hmac as ring_hmac;

use crate::algorithm::Algorithm;

/// The largest tag (HMAC-SHA-512).
pub(crate) const MAX_TAG: usize = 64;

/// A keyed HMAC ready to sign counters.
#[derive(Clone)]
pub(crate) enum MacKey {
    Sha1(Hmac<sha1::Sha1>),
    Ring(ring_hmac::Key),
}

impl MacKey {
    pub(crate) fn new(algorithm: Algorithm, secret: &[u8]) -> MacKey {
        match algorithm {
            Algorithm::Sha1 => match Hmac::<sha1::Sha1>::new_from_slice(secret) {
                Ok(mac) => MacKey::Sha1(mac),
                // HMAC takes keys of any length; this arm is unreachable in
                // practice and falls back to ring rather than panicking.
                Err(_) => MacKey::Ring(ring_hmac::Key::new(algorithm.ring(), secret)),
            },
            Algorithm::Sha256 | Algorithm::Sha512 => {
                MacKey::Ring(ring_hmac::Key::new(algorithm.ring(), secret))
            }
        }
    }

    /// HMAC of the 8-byte big-endian counter; returns the tag buffer and its length.
    pub(crate) fn sign_counter(&self, counter: u64) -> ([u8; MAX_TAG], usize) {
        let mut out = [0u8; MAX_TAG];
        let message = counter.to_be_bytes();
        match self {
            MacKey::Sha1(keyed) => {
                let mut mac = keyed.clone();
                mac.update(&message);
                let tag = mac.finalize().into_bytes();
                let len = tag.len();
                out[..len].copy_from_slice(&tag);
                (out, len)
            }
            MacKey::Ring(key) => {
                let tag = ring_hmac::sign(key, &message);
                let tag = tag.as_ref();
                let len = tag.len().min(MAX_TAG);
                out[..len].copy_from_slice(&tag[..len]);
                (out, len)
            }
        }
    }
}
