//! The channel-key wrap: HPKE (RFC 9180) base mode, DHKEM(P-256, HKDF-SHA256),
//! HKDF-SHA256, AES-256-GCM, to the per-offer RP key.
//!
//! `info = enc("assent/v1/wrap", rp_id, eid, rpk)`, `aad = device_pub`,
//! `wrapped = enc(65-byte encapsulated key) ‖ ciphertext(32) ‖ tag(16)` (113 bytes).

use hpke::Serializable as _;
use hpke::{aead::AesGcm256, kdf::HkdfSha256, Deserializable as _, OpModeR, OpModeS};
use rand_core::CryptoRng;

use crate::encoding::Enc;
use crate::error::{Error, Result};
use crate::ids::EnrollmentId;
use crate::keys::{ChannelKey, DevicePublicKey, RpKem, RpKeyPair, RpPublicKey};
use crate::rp_id::RpId;

/// Length of `wrapped`.
pub const WRAPPED_LEN: usize = 65 + 32 + 16;

/// `info = enc("assent/v1/wrap", rp_id, eid, rpk)`.
pub fn wrap_info(rp_id: &RpId, eid: &EnrollmentId, rpk: &RpPublicKey) -> Vec<u8> {
    Enc::new("assent/v1/wrap")
        .str(rp_id.as_str())
        .bytes(eid.as_bytes())
        .bytes(rpk.as_bytes())
        .finish()
}

/// Phone: wraps `k_chan` to `rpk`, bound to `device_pub` (the aad).
pub fn wrap_channel_key(
    k_chan: &ChannelKey,
    rp_id: &RpId,
    eid: &EnrollmentId,
    rpk: &RpPublicKey,
    device_pub: &DevicePublicKey,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>> {
    let info = wrap_info(rp_id, eid, rpk);
    let (encapped, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, RpKem, _>(
        &OpModeS::Base,
        &rpk.to_hpke()?,
        &info,
        k_chan.expose_secret(),
        device_pub.as_bytes(),
        rng,
    )
    .map_err(|_| Error::Crypto)?;
    let mut wrapped = Vec::with_capacity(WRAPPED_LEN);
    wrapped.extend_from_slice(&encapped.to_bytes());
    wrapped.extend_from_slice(&ciphertext);
    if wrapped.len() != WRAPPED_LEN {
        return Err(Error::Crypto);
    }
    Ok(wrapped)
}

/// RP: unwraps `k_chan`. Fails with [`Error::UnwrapFailed`] if the encapsulated key is not a
/// valid point (off the curve, the identity), or if anything — the key, the ciphertext, the
/// device key it was wrapped for, the RP id, eid or rpk — differs.
pub fn unwrap_channel_key(
    rp_key: &RpKeyPair,
    rp_id: &RpId,
    eid: &EnrollmentId,
    device_pub: &DevicePublicKey,
    wrapped: &[u8],
) -> Result<ChannelKey> {
    if wrapped.len() != WRAPPED_LEN {
        return Err(Error::Length {
            field: "wrapped",
            expected: WRAPPED_LEN,
            actual: wrapped.len(),
        });
    }
    let (enc, ciphertext) = wrapped.split_at(65);
    let encapped =
        <RpKem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| Error::UnwrapFailed)?;
    let info = wrap_info(rp_id, eid, rp_key.public_key());
    let plaintext = zeroize::Zeroizing::new(
        hpke::single_shot_open::<AesGcm256, HkdfSha256, RpKem>(
            &OpModeR::Base,
            rp_key.hpke_private(),
            &encapped,
            &info,
            ciphertext,
            device_pub.as_bytes(),
        )
        .map_err(|_| Error::UnwrapFailed)?,
    );
    let key: [u8; 32] = plaintext[..].try_into().map_err(|_| Error::UnwrapFailed)?;
    Ok(ChannelKey::from_bytes(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::{Signer as _, SoftwareSigner};
    use rand_chacha::rand_core::SeedableRng;

    struct Fixture {
        rp: RpId,
        eid: EnrollmentId,
        pair: RpKeyPair,
        device: DevicePublicKey,
        k: ChannelKey,
        wrapped: Vec<u8>,
    }

    fn fixture() -> Fixture {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        let rp = RpId::parse("example.com").unwrap();
        let eid = EnrollmentId::make(&mut rng);
        let pair = RpKeyPair::make(&mut rng);
        let device = SoftwareSigner::make(&mut rng).unwrap().public_key();
        let k = ChannelKey::make(&mut rng);
        let wrapped =
            wrap_channel_key(&k, &rp, &eid, pair.public_key(), &device, &mut rng).unwrap();
        Fixture {
            rp,
            eid,
            pair,
            device,
            k,
            wrapped,
        }
    }

    #[test]
    fn wrap_round_trips() {
        let f = fixture();
        assert_eq!(f.wrapped.len(), WRAPPED_LEN);
        let k = unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &f.wrapped).unwrap();
        assert_eq!(k, f.k);
    }

    #[test]
    fn wrap_paired_with_another_device_key_fails() {
        let f = fixture();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(12);
        let other = SoftwareSigner::make(&mut rng).unwrap().public_key();
        assert_eq!(
            unwrap_channel_key(&f.pair, &f.rp, &f.eid, &other, &f.wrapped),
            Err(Error::UnwrapFailed)
        );
        let other_rp = RpId::parse("example.org").unwrap();
        assert!(unwrap_channel_key(&f.pair, &other_rp, &f.eid, &f.device, &f.wrapped).is_err());
        let other_eid = EnrollmentId::make(&mut rng);
        assert!(unwrap_channel_key(&f.pair, &f.rp, &other_eid, &f.device, &f.wrapped).is_err());
        let other_pair = RpKeyPair::make(&mut rng);
        assert!(unwrap_channel_key(&other_pair, &f.rp, &f.eid, &f.device, &f.wrapped).is_err());
    }

    #[test]
    fn encapsulated_key_negated_off_curve_or_identity_is_refused() {
        let f = fixture();
        // Negation: same x, y' = p - y. A valid point whose ECDH x-coordinate is the same,
        // refused because HPKE binds enc itself into the key schedule.
        let p = hex::decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")
            .unwrap();
        let mut neg = f.wrapped.clone();
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(p[i]) - i16::from(f.wrapped[33 + i]) - borrow;
            neg[33 + i] = d.rem_euclid(256) as u8;
            borrow = i16::from(d < 0);
        }
        assert!(<RpKem as hpke::Kem>::EncappedKey::from_bytes(&neg[..65]).is_ok());
        assert_eq!(
            unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &neg),
            Err(Error::UnwrapFailed)
        );
        let mut off = f.wrapped.clone();
        off[64] ^= 1;
        assert_eq!(
            unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &off),
            Err(Error::UnwrapFailed)
        );
        let mut identity = f.wrapped.clone();
        identity[..65].fill(0);
        assert_eq!(
            unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &identity),
            Err(Error::UnwrapFailed)
        );
        let mut ct = f.wrapped.clone();
        ct[70] ^= 1;
        assert_eq!(
            unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &ct),
            Err(Error::UnwrapFailed)
        );
        assert!(unwrap_channel_key(&f.pair, &f.rp, &f.eid, &f.device, &f.wrapped[1..]).is_err());
    }
}
