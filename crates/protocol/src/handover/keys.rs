//! The handover's keys (docs/protocol.md §11.2): the two phones' ephemeral P-256 keys,
//! the QR's secret `sc`, and the key schedule that gives one AES-256-GCM key per
//! direction and the six-digit confirmation code both phones show.
//!
//! ```text
//! ikm    = x-coordinate of ECDH(e_old, pk_new) = ECDH(e_new, pk_old)
//! info   = enc("assent/v1/handover-keys", hid, pk_new, pk_old)
//! okm    = HKDF-SHA256(salt = sc, ikm, info, L = 72)
//! k_o2n  = okm[0..32]     (old → new: the accounts)
//! k_n2o  = okm[32..64]    (new → old: the receipt and new device keys)
//! sas    = u64_be(okm[64..72]) mod 1 000 000, six digits
//! ```
//!
//! The SAS depends on the ECDH secret, which only the two phones can compute, so a relay
//! that substitutes a key of its own cannot aim at the code the real phone shows.

use rand_core::CryptoRng;
use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::{b64_decode, b64_decode_array, b64_encode, text_serde, Enc};
use crate::error::{Error, Result};
use crate::ids::HandoverId;
use crate::keys::ChannelKey;

/// An ephemeral P-256 public key of a handover (65-byte uncompressed SEC1, on the curve).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EphemeralPublicKey([u8; 65]);

impl EphemeralPublicKey {
    /// Parses and validates 65-byte uncompressed SEC1.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 65] = bytes.try_into().map_err(|_| Error::Length {
            field: "pk",
            expected: 65,
            actual: bytes.len(),
        })?;
        if array[0] != 0x04 {
            return Err(Error::invalid("pk", "not an uncompressed SEC1 point"));
        }
        p256::PublicKey::from_sec1_bytes(&array)
            .map_err(|_| Error::invalid("pk", "not a point on P-256"))?;
        Ok(Self(array))
    }

    /// The 65 SEC1 bytes.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Parses canonical base64url.
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_sec1(&b64_decode(text, "pk")?)
    }

    fn to_text(&self) -> String {
        b64_encode(&self.0)
    }

    fn point(&self) -> Result<p256::PublicKey> {
        p256::PublicKey::from_sec1_bytes(&self.0).map_err(|_| Error::Crypto)
    }
}

impl core::fmt::Debug for EphemeralPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EphemeralPublicKey({})", self.to_text())
    }
}

text_serde!(EphemeralPublicKey);

/// One phone's ephemeral P-256 private key for one handover. Kept in memory only;
/// zeroized on drop (p256's `SecretKey`); Debug is redacted.
#[derive(Clone)]
pub struct EphemeralSecret(p256::SecretKey);

impl EphemeralSecret {
    /// A fresh key from `rng`.
    pub fn make(rng: &mut impl CryptoRng) -> Result<Self> {
        crate::webpush::ece::make_secret(rng).map(Self)
    }

    /// From a 32-byte scalar (test vectors; a host that must survive a restart).
    pub fn from_bytes(scalar: &[u8; 32]) -> Result<Self> {
        p256::SecretKey::from_slice(scalar)
            .map(Self)
            .map_err(|_| Error::invalid("scalar", "not a valid P-256 scalar"))
    }

    /// The 32-byte scalar, for secure storage only.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&self.0.to_bytes());
        out
    }

    /// Its public key.
    pub fn public_key(&self) -> EphemeralPublicKey {
        EphemeralPublicKey(crate::webpush::ece::public_bytes(&self.0))
    }

    fn shared_x(&self, peer: &EphemeralPublicKey) -> Result<Zeroizing<[u8; 32]>> {
        let point = peer.point()?;
        let shared = p256::ecdh::diffie_hellman(self.0.to_nonzero_scalar(), point.as_affine());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(shared.raw_secret_bytes());
        Ok(out)
    }
}

impl core::fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EphemeralSecret(..redacted..)")
    }
}

/// The QR's 16-byte secret `sc` (the HKDF salt). Zeroized on drop; Debug is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HandoverSecret([u8; 16]);

impl HandoverSecret {
    /// A fresh secret.
    pub fn make(rng: &mut impl CryptoRng) -> Self {
        let mut s = Self([0; 16]);
        rng.fill_bytes(&mut s.0);
        s
    }

    /// Wraps raw bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn expose_secret(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses canonical base64url (22 characters).
    pub fn parse(text: &str) -> Result<Self> {
        let mut bytes = b64_decode_array::<16>(text, "sc")?;
        let s = Self(bytes);
        bytes.zeroize();
        Ok(s)
    }
}

impl PartialEq for HandoverSecret {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}
impl Eq for HandoverSecret {}

impl core::fmt::Debug for HandoverSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HandoverSecret(..redacted..)")
    }
}

/// The keys of one handover session, the same on both phones.
pub struct SessionKeys {
    pub(crate) o2n: ChannelKey,
    pub(crate) n2o: ChannelKey,
    sas: u32,
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionKeys(..redacted..)")
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// `info = enc("assent/v1/handover-keys", hid, pk_new, pk_old)`.
pub fn handover_keys_info(
    hid: &HandoverId,
    pk_new: &EphemeralPublicKey,
    pk_old: &EphemeralPublicKey,
) -> Vec<u8> {
    Enc::new("assent/v1/handover-keys")
        .bytes(hid.as_bytes())
        .bytes(pk_new.as_bytes())
        .bytes(pk_old.as_bytes())
        .finish()
}

impl SessionKeys {
    /// Derives the session keys. `mine` is this phone's ephemeral secret and `peer` the
    /// other phone's public key; `pk_new`/`pk_old` say which one is whose.
    pub fn derive(
        mine: &EphemeralSecret,
        peer: &EphemeralPublicKey,
        hid: &HandoverId,
        sc: &HandoverSecret,
        pk_new: &EphemeralPublicKey,
        pk_old: &EphemeralPublicKey,
    ) -> Result<Self> {
        if pk_new == pk_old {
            return Err(Error::invalid("pk", "both phones use the same key"));
        }
        let ikm = mine.shared_x(peer)?;
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, sc.expose_secret()).extract(&ikm[..]);
        let info = handover_keys_info(hid, pk_new, pk_old);
        let mut okm = Zeroizing::new([0u8; 72]);
        prk.expand(&[&info], Len(72))
            .and_then(|o| o.fill(&mut okm[..]))
            .map_err(|_| Error::Crypto)?;
        let mut o2n = [0u8; 32];
        let mut n2o = [0u8; 32];
        o2n.copy_from_slice(&okm[..32]);
        n2o.copy_from_slice(&okm[32..64]);
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&okm[64..]);
        let sas = (u64::from_be_bytes(tail) % 1_000_000) as u32;
        tail.zeroize();
        let keys = Self {
            o2n: ChannelKey::from_bytes(o2n),
            n2o: ChannelKey::from_bytes(n2o),
            sas,
        };
        o2n.zeroize();
        n2o.zeroize();
        Ok(keys)
    }

    /// The confirmation code both phones show, as six digits `"042 917"` (a space
    /// in the middle, for reading aloud).
    pub fn confirmation_code(&self) -> String {
        let digits = format!("{:06}", self.sas);
        format!("{} {}", &digits[..3], &digits[3..])
    }
}
