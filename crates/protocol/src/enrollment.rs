//! Delivery and activation: the RP's enrollment answer sealed under the channel key, and
//! the activation message of the in-app flow.

use assent_otp::{Algorithm, Secret, Totp};
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::encoding::{b64_vec, Dec, Enc};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, EnrollmentId};
use crate::keys::{ChannelKey, DevicePublicKey};
use crate::kinds::ApprovalKind;
use crate::rp_id::RpId;
use crate::seal::{open, seal};

/// Longest TOTP secret carried, in bytes.
pub const MAX_TOTP_SECRET: usize = 64;

/// The TOTP parameters of the new account. Debug redacts the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TotpParams {
    /// The shared secret (the RP library makes 160-bit ones).
    pub secret: Secret,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// 6 to 8.
    pub digits: u8,
    /// Step in seconds, at least 1.
    pub period: u64,
}

impl TotpParams {
    /// A TOTP generator for these parameters.
    pub fn totp(&self) -> Result<Totp> {
        Totp::new(
            self.secret.clone(),
            self.algorithm,
            self.digits,
            self.period,
        )
        .map_err(|_| Error::invalid("totp", "parameters out of range"))
    }

    fn check(&self) -> Result<()> {
        if self.secret.as_bytes().len() > MAX_TOTP_SECRET {
            return Err(Error::TooLarge {
                field: "totp_secret",
                limit: MAX_TOTP_SECRET,
            });
        }
        self.totp().map(|_| ())
    }
}

fn algorithm_word(a: Algorithm) -> &'static str {
    match a {
        Algorithm::Sha1 => "sha1",
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha512 => "sha512",
    }
}

fn parse_algorithm(word: &str) -> Result<Algorithm> {
    match word {
        "sha1" => Ok(Algorithm::Sha1),
        "sha256" => Ok(Algorithm::Sha256),
        "sha512" => Ok(Algorithm::Sha512),
        _ => Err(Error::Malformed("unknown TOTP algorithm")),
    }
}

/// What the enrollment answer carries (its sealed plaintext).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// The device id the RP assigned.
    pub device_id: DeviceId,
    /// TOTP secret and parameters.
    pub totp: TotpParams,
    /// The weakest approval kind the phone accepts for this account from now on. The phone
    /// keeps the stronger of this and the offer's `min`.
    pub min: ApprovalKind,
}

impl Enrolled {
    /// `enc("assent/v1/enrolled-body", device_id, secret, algorithm, digits, period, min)`.
    fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(
            Enc::new("assent/v1/enrolled-body")
                .bytes(self.device_id.as_bytes())
                .bytes(self.totp.secret.as_bytes())
                .str(algorithm_word(self.totp.algorithm))
                .u64(u64::from(self.totp.digits))
                .u64(self.totp.period)
                .str(self.min.as_str())
                .finish(),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut d = Dec::new(bytes, "assent/v1/enrolled-body")?;
        let device_id = DeviceId::from_bytes(
            d.bytes()?
                .try_into()
                .map_err(|_| Error::Malformed("device id is not 16 bytes"))?,
        );
        let secret = Secret::from_bytes(d.bytes()?.to_vec())
            .map_err(|_| Error::Malformed("TOTP secret too short"))?;
        let algorithm = parse_algorithm(d.str()?)?;
        let digits = u8::try_from(d.u64()?).map_err(|_| Error::Malformed("digits"))?;
        let period = d.u64()?;
        let min = ApprovalKind::parse(d.str()?)?;
        d.finish()?;
        let enrolled = Enrolled {
            device_id,
            totp: TotpParams {
                secret,
                algorithm,
                digits,
                period,
            },
            min,
        };
        enrolled.totp.check()?;
        Ok(enrolled)
    }
}

/// `aad = enc("assent/v1/enrolled", rp_id, eid, device_id, device_pub)`.
pub fn enrolled_aad(
    rp_id: &RpId,
    eid: &EnrollmentId,
    device_id: &DeviceId,
    device_pub: &DevicePublicKey,
) -> Vec<u8> {
    Enc::new("assent/v1/enrolled")
        .str(rp_id.as_str())
        .bytes(eid.as_bytes())
        .bytes(device_id.as_bytes())
        .bytes(device_pub.as_bytes())
        .finish()
}

/// The RP's enrollment answer, as JSON on the wire (returned to the phone by the relay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentAnswer {
    /// The enrollment id.
    pub eid: EnrollmentId,
    /// The assigned device id (also inside the sealed body).
    pub device_id: DeviceId,
    /// The device key the RP pinned (also in the aad).
    pub device_pub: DevicePublicKey,
    /// [`Enrolled`] sealed under `k_chan` with [`enrolled_aad`].
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

impl EnrollmentAnswer {
    /// RP: seals the answer for a verified registration.
    pub fn seal(
        rp_id: &RpId,
        eid: &EnrollmentId,
        device_pub: &DevicePublicKey,
        k_chan: &ChannelKey,
        enrolled: &Enrolled,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        enrolled.totp.check()?;
        let aad = enrolled_aad(rp_id, eid, &enrolled.device_id, device_pub);
        let sealed = seal(k_chan, &aad, &enrolled.encode(), rng)?;
        Ok(EnrollmentAnswer {
            eid: *eid,
            device_id: enrolled.device_id,
            device_pub: device_pub.clone(),
            sealed,
        })
    }

    /// Phone: opens the answer with its own channel key, checking that it is for this
    /// enrollment ([`Error::WrongEnrollment`]) and names this phone's device key
    /// ([`Error::WrongDeviceKey`]); anything altered gives [`Error::Tampered`].
    pub fn open(
        &self,
        rp_id: &RpId,
        eid: &EnrollmentId,
        own_device_pub: &DevicePublicKey,
        k_chan: &ChannelKey,
    ) -> Result<Enrolled> {
        if &self.eid != eid {
            return Err(Error::WrongEnrollment);
        }
        if &self.device_pub != own_device_pub {
            return Err(Error::WrongDeviceKey);
        }
        let aad = enrolled_aad(rp_id, eid, &self.device_id, own_device_pub);
        let plaintext = open(k_chan, &aad, &self.sealed)?;
        let enrolled = Enrolled::decode(&plaintext)?;
        if enrolled.device_id != self.device_id {
            return Err(Error::Tampered);
        }
        Ok(enrolled)
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

/// Activation in the in-app flow: the app submits the new account's current TOTP code to
/// the RP over its authenticated session (in the QR flow the user types it on the login
/// page). Not through the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// The enrollment id.
    pub eid: EnrollmentId,
    /// The device id from the enrollment answer.
    pub device_id: DeviceId,
    /// The TOTP code shown by the phone (6–8 ASCII digits).
    pub code: String,
}

impl Activation {
    /// Parses the JSON form and checks the code's shape.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let a: Activation = crate::encoding::from_json(json)?;
        let ok = (6..=8).contains(&a.code.len()) && a.code.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(Error::invalid("code", "must be 6 to 8 digits"));
        }
        Ok(a)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::tests::{setup, NOW};
    use crate::signer::{Signer as _, SoftwareSigner};

    pub(crate) fn enrolled(device_id: DeviceId) -> Enrolled {
        Enrolled {
            device_id,
            totp: TotpParams {
                secret: Secret::from_bytes(vec![7; 20]).unwrap(),
                algorithm: Algorithm::Sha256,
                digits: 6,
                period: 30,
            },
            min: ApprovalKind::Code,
        }
    }

    #[test]
    fn answer_opens_only_for_the_right_phone() {
        let mut s = setup();
        let v = s.registration.verify(&s.offer, &s.secrets, NOW).unwrap();
        let id = DeviceId::make(&mut s.rng);
        let e = enrolled(id);
        let answer = EnrollmentAnswer::seal(
            &s.offer.rp,
            &s.offer.eid,
            &v.device_pub,
            &v.channel_key,
            &e,
            &mut s.rng,
        )
        .unwrap();
        let answer = EnrollmentAnswer::from_json(answer.to_json().as_bytes()).unwrap();
        let me = s.signer.public_key();
        let opened = answer
            .open(&s.offer.rp, &s.offer.eid, &me, &s.k_chan)
            .unwrap();
        assert_eq!(opened, e);
        assert!(opened.totp.totp().is_ok());

        // An answer naming another device key is refused.
        let other = SoftwareSigner::make(&mut s.rng).unwrap().public_key();
        let mut a = answer.clone();
        a.device_pub = other.clone();
        assert_eq!(
            a.open(&s.offer.rp, &s.offer.eid, &me, &s.k_chan),
            Err(Error::WrongDeviceKey)
        );
        // Sealed for another device key but relabelled with ours: fails to open.
        let forged = EnrollmentAnswer::seal(
            &s.offer.rp,
            &s.offer.eid,
            &other,
            &v.channel_key,
            &e,
            &mut s.rng,
        )
        .unwrap();
        let mut a = forged;
        a.device_pub = me.clone();
        assert_eq!(
            a.open(&s.offer.rp, &s.offer.eid, &me, &s.k_chan),
            Err(Error::Tampered)
        );
        // Another device id in the clear: fails to open.
        let mut a = answer.clone();
        a.device_id = DeviceId::make(&mut s.rng);
        assert_eq!(
            a.open(&s.offer.rp, &s.offer.eid, &me, &s.k_chan),
            Err(Error::Tampered)
        );
        let other_rp = RpId::parse("example.net").unwrap();
        assert_eq!(
            answer.open(&other_rp, &s.offer.eid, &me, &s.k_chan),
            Err(Error::Tampered)
        );
        let other_eid = EnrollmentId::make(&mut s.rng);
        assert_eq!(
            answer.open(&s.offer.rp, &other_eid, &me, &s.k_chan),
            Err(Error::WrongEnrollment)
        );
    }

    #[test]
    fn activation_json() {
        let mut s = setup();
        let a = Activation {
            eid: s.offer.eid,
            device_id: DeviceId::make(&mut s.rng),
            code: "123456".into(),
        };
        assert_eq!(Activation::from_json(a.to_json().as_bytes()).unwrap(), a);
        let bad = a.to_json().replace("123456", "12a456");
        assert!(Activation::from_json(bad.as_bytes()).is_err());
    }
}
