//! Unenroll: a signed statement from the phone (carried in a signed device request and
//! forwarded by the relay to the RP), and the RP's confirmation sealed under the channel
//! key. Only that confirmation makes the phone report success.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::encoding::{b64_vec, Dec, Enc};
use crate::error::{Error, Result};
use crate::ids::DeviceId;
use crate::keys::{ChannelKey, DevicePublicKey, MAX_DER_SIGNATURE};
use crate::rp_id::RpId;
use crate::seal::{open, seal};
use crate::signer::{sign_der, Signer};

/// `enc("assent/v1/unenroll", rp_id, device_id, requested_at)`.
pub fn unenroll_signing_input(rp_id: &RpId, device_id: &DeviceId, requested_at: u64) -> Vec<u8> {
    Enc::new("assent/v1/unenroll")
        .str(rp_id.as_str())
        .bytes(device_id.as_bytes())
        .u64(requested_at)
        .finish()
}

/// `aad = enc("assent/v1/unenrolled", rp_id, device_id, requested_at)`.
pub fn unenrolled_aad(rp_id: &RpId, device_id: &DeviceId, requested_at: u64) -> Vec<u8> {
    Enc::new("assent/v1/unenrolled")
        .str(rp_id.as_str())
        .bytes(device_id.as_bytes())
        .u64(requested_at)
        .finish()
}

/// The phone's request to be removed (JSON body of a signed device request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnenrollRequest {
    /// The device to remove.
    pub device_id: DeviceId,
    /// The phone's time of the request (relay time estimate), Unix seconds.
    pub requested_at: u64,
    /// DER signature over [`unenroll_signing_input`].
    #[serde(with = "b64_vec")]
    pub signature: Vec<u8>,
}

impl UnenrollRequest {
    /// Phone: signs the request.
    pub fn make(
        signer: &impl Signer,
        rp_id: &RpId,
        device_id: &DeviceId,
        requested_at: u64,
    ) -> Result<Self> {
        let input = unenroll_signing_input(rp_id, device_id, requested_at);
        Ok(UnenrollRequest {
            device_id: *device_id,
            requested_at,
            signature: sign_der(signer, &input)?,
        })
    }

    /// RP: verifies it with the pinned key. Removal is idempotent and device ids are never
    /// reused, so a replayed request can do no harm and no freshness check is needed.
    pub fn verify(&self, pinned: &DevicePublicKey, rp_id: &RpId) -> Result<()> {
        if self.signature.is_empty() || self.signature.len() > MAX_DER_SIGNATURE {
            return Err(Error::BadSignature);
        }
        pinned.verify(
            &unenroll_signing_input(rp_id, &self.device_id, self.requested_at),
            &self.signature,
        )
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        crate::encoding::from_json(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

/// The RP's confirmation (JSON, RP → relay → phone), sealed under `k_chan` with
/// [`unenrolled_aad`]; the plaintext is `enc("assent/v1/unenrolled-body", removed_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnenrollConfirmation {
    /// The removed device.
    pub device_id: DeviceId,
    /// Echo of the request's `requested_at`.
    pub requested_at: u64,
    /// The sealed confirmation.
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

impl UnenrollConfirmation {
    /// RP: confirms a verified request after removing the device.
    pub fn seal(
        rp_id: &RpId,
        k_chan: &ChannelKey,
        request: &UnenrollRequest,
        removed_at: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        let aad = unenrolled_aad(rp_id, &request.device_id, request.requested_at);
        let body = Enc::new("assent/v1/unenrolled-body")
            .u64(removed_at)
            .finish();
        Ok(UnenrollConfirmation {
            device_id: request.device_id,
            requested_at: request.requested_at,
            sealed: seal(k_chan, &aad, &body, rng)?,
        })
    }

    /// RP: tells the phone that the RP removed the device on its own (the user
    /// removed the phone on the account's security page). The same message as
    /// a confirmation, with `requested_at` = `removed_at`; the phone accepts
    /// it because only the RP can seal under `k_chan`.
    pub fn seal_notice(
        rp_id: &RpId,
        k_chan: &ChannelKey,
        device_id: &DeviceId,
        removed_at: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        let aad = unenrolled_aad(rp_id, device_id, removed_at);
        let body = Enc::new("assent/v1/unenrolled-body")
            .u64(removed_at)
            .finish();
        Ok(UnenrollConfirmation {
            device_id: *device_id,
            requested_at: removed_at,
            sealed: seal(k_chan, &aad, &body, rng)?,
        })
    }

    /// Phone: opens the confirmation of the request it sent; returns the RP's removal time.
    pub fn open(
        &self,
        rp_id: &RpId,
        request: &UnenrollRequest,
        k_chan: &ChannelKey,
    ) -> Result<u64> {
        if self.device_id != request.device_id {
            return Err(Error::WrongDevice);
        }
        if self.requested_at != request.requested_at {
            return Err(Error::Tampered);
        }
        let aad = unenrolled_aad(rp_id, &request.device_id, request.requested_at);
        let body = open(k_chan, &aad, &self.sealed)?;
        let mut d = Dec::new(&body, "assent/v1/unenrolled-body")?;
        let removed_at = d.u64()?;
        d.finish()?;
        Ok(removed_at)
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        crate::encoding::from_json(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::SoftwareSigner;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn unenroll_round_trip() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(51);
        let rp = RpId::parse("example.com").unwrap();
        let signer = SoftwareSigner::make(&mut rng).unwrap();
        let k = ChannelKey::make(&mut rng);
        let device = DeviceId::make(&mut rng);
        let req = UnenrollRequest::make(&signer, &rp, &device, 100).unwrap();
        let req = UnenrollRequest::from_json(req.to_json().as_bytes()).unwrap();
        req.verify(&signer.public_key(), &rp).unwrap();
        let mut bad = req.clone();
        bad.requested_at += 1;
        assert_eq!(
            bad.verify(&signer.public_key(), &rp),
            Err(Error::BadSignature)
        );
        let conf = UnenrollConfirmation::seal(&rp, &k, &req, 101, &mut rng).unwrap();
        let conf = UnenrollConfirmation::from_json(conf.to_json().as_bytes()).unwrap();
        assert_eq!(conf.open(&rp, &req, &k), Ok(101));
        // A confirmation of an older request does not confirm this one.
        let newer = UnenrollRequest::make(&signer, &rp, &device, 200).unwrap();
        assert_eq!(conf.open(&rp, &newer, &k), Err(Error::Tampered));
        let mut forged = conf.clone();
        forged.requested_at = 200;
        assert_eq!(forged.open(&rp, &newer, &k), Err(Error::Tampered));
        let other = ChannelKey::make(&mut rng);
        assert_eq!(conf.open(&rp, &req, &other), Err(Error::Tampered));
    }
}
