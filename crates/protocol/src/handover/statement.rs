//! The handover statement of one push account (docs/protocol.md §11.4): the old device
//! key names the new one, the new key proves it is held, the RP verifies both against
//! the key it pinned and swaps; its confirmation is sealed under the channel key, which
//! both phones hold and the relay does not.
//!
//! ```text
//! input = enc("assent/v1/handover", rp_id, device_id, old_device_pub, new_device_pub,
//!             platform, name, rid, issued_at, expires_at)
//! old_signature = ECDSA(old device key, input)
//! new_signature = ECDSA(new device key, input)
//! ```

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use super::HANDOVER_MAX_TTL;
use crate::encoding::{b64_vec, Dec, Enc};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, ReplacementId};
use crate::keys::{ChannelKey, DevicePublicKey, MAX_DER_SIGNATURE};
use crate::kinds::Platform;
use crate::offer::check_display;
use crate::registration::{check_push_token, MAX_DEVICE_NAME};
use crate::request::MAX_SKEW;
use crate::rp_id::RpId;
use crate::seal::{open, seal};
use crate::signer::{sign_der, Signer};

/// What the two device keys sign: one device's key moves from `old_device_pub` to
/// `new_device_pub`. The new phone writes it; the old phone checks and countersigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverStatement {
    /// The device (enrollment) whose key moves; it keeps its id.
    pub device_id: DeviceId,
    /// The key the RP pinned, held by the old phone.
    pub old_device_pub: DevicePublicKey,
    /// The new phone's key for this account, made for this handover.
    pub new_device_pub: DevicePublicKey,
    /// How the relay reaches the new phone.
    pub platform: Platform,
    /// What the login page will show about the new phone.
    pub name: String,
    /// This replacement's id (the confirmation is fetched by it).
    pub rid: ReplacementId,
    /// When the new phone wrote it (relay time).
    pub issued_at: u64,
    /// The RP refuses it from then on (its own clock); at most
    /// [`HANDOVER_MAX_TTL`] after `issued_at`.
    pub expires_at: u64,
}

/// `enc("assent/v1/handover", rp_id, device_id, old_device_pub, new_device_pub,
/// platform, name, rid, issued_at, expires_at)`.
pub fn handover_signing_input(rp_id: &RpId, s: &HandoverStatement) -> Vec<u8> {
    Enc::new("assent/v1/handover")
        .str(rp_id.as_str())
        .bytes(s.device_id.as_bytes())
        .bytes(s.old_device_pub.as_bytes())
        .bytes(s.new_device_pub.as_bytes())
        .str(s.platform.as_str())
        .str(&s.name)
        .bytes(s.rid.as_bytes())
        .u64(s.issued_at)
        .u64(s.expires_at)
        .finish()
}

/// `aad = enc("assent/v1/replaced", rp_id, device_id, rid, old_device_pub, new_device_pub)`.
pub fn replaced_aad(rp_id: &RpId, s: &HandoverStatement) -> Vec<u8> {
    Enc::new("assent/v1/replaced")
        .str(rp_id.as_str())
        .bytes(s.device_id.as_bytes())
        .bytes(s.rid.as_bytes())
        .bytes(s.old_device_pub.as_bytes())
        .bytes(s.new_device_pub.as_bytes())
        .finish()
}

impl HandoverStatement {
    /// Checks what needs no key: the name, the two keys differ, `issued_at <
    /// expires_at <= issued_at + HANDOVER_MAX_TTL`.
    pub fn check_shape(&self) -> Result<()> {
        check_display("name", &self.name, MAX_DEVICE_NAME)?;
        if self.old_device_pub == self.new_device_pub {
            return Err(Error::invalid("new_device_pub", "same as the old key"));
        }
        if self.expires_at <= self.issued_at || self.expires_at - self.issued_at > HANDOVER_MAX_TTL
        {
            return Err(Error::invalid(
                "expires_at",
                "not within the handover lifetime",
            ));
        }
        Ok(())
    }

    /// New phone: signs the statement with the new key (proof that it holds it).
    pub fn sign_new(&self, new_signer: &impl Signer, rp_id: &RpId) -> Result<Vec<u8>> {
        if new_signer.public_key() != self.new_device_pub {
            return Err(Error::WrongDeviceKey);
        }
        self.check_shape()?;
        sign_der(new_signer, &handover_signing_input(rp_id, self))
    }

    /// Verifies `signature` by `key` over this statement.
    fn verify_by(&self, rp_id: &RpId, key: &DevicePublicKey, signature: &[u8]) -> Result<()> {
        if signature.is_empty() || signature.len() > MAX_DER_SIGNATURE {
            return Err(Error::BadSignature);
        }
        key.verify(&handover_signing_input(rp_id, self), signature)
    }
}

/// The signed handover (JSON): the old phone sends it to the relay in a signed device
/// request from the old device; the relay keeps it for the RP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverRequest {
    /// The statement both keys signed.
    pub statement: HandoverStatement,
    /// By the old key (the pinned one).
    #[serde(with = "b64_vec")]
    pub old_signature: Vec<u8>,
    /// By the new key.
    #[serde(with = "b64_vec")]
    pub new_signature: Vec<u8>,
    /// The new phone's push token for the relay (as in a registration; not signed
    /// by the statement, like a registration's).
    pub push_token: String,
}

impl HandoverRequest {
    /// Old phone: checks the new phone's statement (shape, that it names this
    /// device and this key, the new key's signature) and countersigns it.
    pub fn make(
        old_signer: &impl Signer,
        rp_id: &RpId,
        device_id: &DeviceId,
        statement: HandoverStatement,
        new_signature: Vec<u8>,
        push_token: String,
    ) -> Result<Self> {
        statement.check_shape()?;
        if statement.device_id != *device_id {
            return Err(Error::WrongDevice);
        }
        if statement.old_device_pub != old_signer.public_key() {
            return Err(Error::WrongDeviceKey);
        }
        check_push_token(statement.platform, &push_token)?;
        statement.verify_by(rp_id, &statement.new_device_pub, &new_signature)?;
        let old_signature = sign_der(old_signer, &handover_signing_input(rp_id, &statement))?;
        Ok(Self {
            statement,
            old_signature,
            new_signature,
            push_token,
        })
    }

    /// Relay: what it can check without the RP's state: the shape, the push token
    /// for the platform, signature sizes.
    pub fn check_shape(&self) -> Result<()> {
        self.statement.check_shape()?;
        check_push_token(self.statement.platform, &self.push_token)?;
        for sig in [&self.old_signature, &self.new_signature] {
            if sig.is_empty() || sig.len() > MAX_DER_SIGNATURE {
                return Err(Error::BadSignature);
            }
        }
        Ok(())
    }

    /// RP: verifies the handover against the key it pinned for the device, at its own
    /// time `now`. Errors, in the order checked:
    /// - the shape ([`Error::Invalid`], …);
    /// - either signature does not verify over the statement as received
    ///   ([`Error::BadSignature`]: tampered);
    /// - the key it replaces is not the pinned one ([`Error::WrongDeviceKey`]: a
    ///   replay of a handover already applied, or a statement by a key never pinned);
    /// - `now >= expires_at` ([`Error::Expired`]) or `issued_at` more than
    ///   [`MAX_SKEW`] ahead of `now` ([`Error::ClockSkew`]).
    pub fn verify(&self, rp_id: &RpId, pinned: &DevicePublicKey, now: u64) -> Result<()> {
        self.check_shape()?;
        let s = &self.statement;
        s.verify_by(rp_id, &s.old_device_pub, &self.old_signature)?;
        s.verify_by(rp_id, &s.new_device_pub, &self.new_signature)?;
        if *pinned != s.old_device_pub {
            return Err(Error::WrongDeviceKey);
        }
        if now >= s.expires_at {
            return Err(Error::Expired);
        }
        if s.issued_at > now.saturating_add(MAX_SKEW) {
            return Err(Error::ClockSkew);
        }
        Ok(())
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

/// The RP's confirmation that it swapped the key (JSON, RP → relay → both phones),
/// sealed under `k_chan` with [`replaced_aad`]; the plaintext is
/// `enc("assent/v1/replaced-body", replaced_at)`. The relay applies the new key when
/// it receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverConfirmation {
    /// The device whose key moved.
    pub device_id: DeviceId,
    /// The replacement confirmed.
    pub rid: ReplacementId,
    /// The key now pinned (the relay checks it against the request it holds).
    pub new_device_pub: DevicePublicKey,
    /// The sealed confirmation.
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

impl HandoverConfirmation {
    /// RP: confirms a verified handover after swapping the key.
    pub fn seal(
        rp_id: &RpId,
        k_chan: &ChannelKey,
        statement: &HandoverStatement,
        replaced_at: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        let body = Enc::new("assent/v1/replaced-body")
            .u64(replaced_at)
            .finish();
        Ok(Self {
            device_id: statement.device_id,
            rid: statement.rid,
            new_device_pub: statement.new_device_pub.clone(),
            sealed: seal(k_chan, &replaced_aad(rp_id, statement), &body, rng)?,
        })
    }

    /// Either phone: opens the confirmation of `statement`; returns the RP's time of
    /// the swap. Anything else than the RP's confirmation of exactly this statement
    /// is [`Error::Tampered`] (or [`Error::WrongDevice`] for another device).
    pub fn open(
        &self,
        rp_id: &RpId,
        statement: &HandoverStatement,
        k_chan: &ChannelKey,
    ) -> Result<u64> {
        if self.device_id != statement.device_id {
            return Err(Error::WrongDevice);
        }
        if self.rid != statement.rid || self.new_device_pub != statement.new_device_pub {
            return Err(Error::Tampered);
        }
        let body = open(k_chan, &replaced_aad(rp_id, statement), &self.sealed)?;
        let mut d = Dec::new(&body, "assent/v1/replaced-body")?;
        let at = d.u64()?;
        d.finish()?;
        Ok(at)
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

    pub(crate) fn statement(
        old: &SoftwareSigner,
        new: &SoftwareSigner,
        rng: &mut impl CryptoRng,
    ) -> HandoverStatement {
        HandoverStatement {
            device_id: DeviceId::from_bytes([0xd0; 16]),
            old_device_pub: old.public_key(),
            new_device_pub: new.public_key(),
            platform: Platform::Poll,
            name: "Alice's Pixel".into(),
            rid: ReplacementId::make(rng),
            issued_at: 1000,
            expires_at: 1300,
        }
    }

    #[test]
    fn handover_round_trip_and_refusals() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(61);
        let rp = RpId::parse("example.com").unwrap();
        let old = SoftwareSigner::make(&mut rng).unwrap();
        let new = SoftwareSigner::make(&mut rng).unwrap();
        let st = statement(&old, &new, &mut rng);
        let pop = st.sign_new(&new, &rp).unwrap();
        assert_eq!(st.sign_new(&old, &rp), Err(Error::WrongDeviceKey));
        let device = st.device_id;
        let req = HandoverRequest::make(&old, &rp, &device, st.clone(), pop.clone(), String::new())
            .unwrap();
        let req = HandoverRequest::from_json(req.to_json().as_bytes()).unwrap();
        req.verify(&rp, &old.public_key(), 1100).unwrap();

        // Expired, by the RP's clock; from the future.
        assert_eq!(
            req.verify(&rp, &old.public_key(), 1300),
            Err(Error::Expired)
        );
        assert_eq!(
            req.verify(&rp, &old.public_key(), 900),
            Err(Error::ClockSkew)
        );
        // Replayed: the pinned key is already the new one.
        assert_eq!(
            req.verify(&rp, &new.public_key(), 1100),
            Err(Error::WrongDeviceKey)
        );
        // Tampered: any field of the statement.
        let mut bad = req.clone();
        bad.statement.expires_at += 1;
        assert_eq!(
            bad.verify(&rp, &old.public_key(), 1100),
            Err(Error::BadSignature)
        );
        let mut bad = req.clone();
        bad.statement.name = "Mallory".into();
        assert_eq!(
            bad.verify(&rp, &old.public_key(), 1100),
            Err(Error::BadSignature)
        );
        let mallory = SoftwareSigner::make(&mut rng).unwrap();
        let mut bad = req.clone();
        bad.statement.new_device_pub = mallory.public_key();
        assert_eq!(
            bad.verify(&rp, &old.public_key(), 1100),
            Err(Error::BadSignature)
        );
        // Another RP.
        let other = RpId::parse("other.example").unwrap();
        assert_eq!(
            req.verify(&other, &old.public_key(), 1100),
            Err(Error::BadSignature)
        );
        // The old phone refuses a statement for another device or key, or without proof.
        let other_device = DeviceId::from_bytes([1; 16]);
        assert_eq!(
            HandoverRequest::make(
                &old,
                &rp,
                &other_device,
                st.clone(),
                pop.clone(),
                String::new()
            ),
            Err(Error::WrongDevice)
        );
        assert_eq!(
            HandoverRequest::make(
                &mallory,
                &rp,
                &device,
                st.clone(),
                pop.clone(),
                String::new()
            ),
            Err(Error::WrongDeviceKey)
        );
        let forged = st.sign_new(&new, &other).unwrap();
        assert_eq!(
            HandoverRequest::make(&old, &rp, &device, st.clone(), forged, String::new()),
            Err(Error::BadSignature)
        );
        // A statement that lives too long.
        let mut long = st.clone();
        long.expires_at = long.issued_at + HANDOVER_MAX_TTL + 1;
        assert!(long.check_shape().is_err());

        // The confirmation opens for this statement only.
        let k = ChannelKey::make(&mut rng);
        let conf = HandoverConfirmation::seal(&rp, &k, &req.statement, 1101, &mut rng).unwrap();
        let conf = HandoverConfirmation::from_json(conf.to_json().as_bytes()).unwrap();
        assert_eq!(conf.open(&rp, &req.statement, &k), Ok(1101));
        let mut other_st = req.statement.clone();
        other_st.rid = ReplacementId::make(&mut rng);
        assert_eq!(conf.open(&rp, &other_st, &k), Err(Error::Tampered));
        let mut forged = conf.clone();
        forged.new_device_pub = mallory.public_key();
        assert_eq!(forged.open(&rp, &req.statement, &k), Err(Error::Tampered));
        let wrong_key = ChannelKey::make(&mut rng);
        assert_eq!(
            conf.open(&rp, &req.statement, &wrong_key),
            Err(Error::Tampered)
        );
    }
}
