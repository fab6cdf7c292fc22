//! Registration (phone → RP through the relay): the device key, the wrapped channel key,
//! the bind MAC under a key derived from the offer's enrollment secret, and the device
//! signature over the same message.

use rand_core::CryptoRng;
use ring::{hkdf, hmac};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{b64_vec, Enc};
use crate::error::{Error, Result};
use crate::ids::EnrollmentId;
use crate::keys::{ChannelKey, DevicePublicKey, EnrollmentSecret};
use crate::kinds::Platform;
use crate::offer::{check_display, Offer, OfferSecrets};
use crate::rp_id::RpId;
use crate::signer::{sign_der, Signer};
use crate::wrap::{unwrap_channel_key, wrap_channel_key, WRAPPED_LEN};

/// Longest display name of a phone, in bytes of UTF-8.
pub const MAX_DEVICE_NAME: usize = 64;
/// Longest push token, in bytes (APNs tokens are 64 hex digits, FCM tokens ~160 chars).
pub const MAX_PUSH_TOKEN: usize = 4096;

/// The registration message, as JSON on the wire (`POST /v1/register` at the relay, which
/// forwards it to the RP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The offer's enrollment id.
    pub eid: EnrollmentId,
    /// The new per-enrollment device public key.
    pub device_pub: DevicePublicKey,
    /// How the relay reaches the phone.
    pub platform: Platform,
    /// What the login page shows about the phone, e.g. "Alice's Pixel 8".
    pub name: String,
    /// APNs/FCM token for the relay; empty for [`Platform::Poll`]. Not covered by bind or
    /// the signature: only the relay uses it, and the relay controls delivery anyway.
    pub push_token: String,
    /// `k_chan` wrapped to the offer's `rpk` (113 bytes).
    #[serde(with = "b64_vec")]
    pub wrapped: Vec<u8>,
    /// `HMAC-SHA256(k_bind, registration input)` (32 bytes).
    #[serde(with = "b64_vec")]
    pub bind: Vec<u8>,
    /// The device key's DER signature over the registration input.
    #[serde(with = "b64_vec")]
    pub signature: Vec<u8>,
}

/// `k_bind = HKDF-SHA256(salt = "", ikm = es, info = enc("assent/v1/bind", rp_id, eid), L = 32)`.
pub fn derive_bind_key(
    es: &EnrollmentSecret,
    rp_id: &RpId,
    eid: &EnrollmentId,
) -> Result<Zeroizing<[u8; 32]>> {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let info = Enc::new("assent/v1/bind")
        .str(rp_id.as_str())
        .bytes(eid.as_bytes())
        .finish();
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(es.expose_secret());
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[&info], Len32)
        .and_then(|okm| okm.fill(&mut out[..]))
        .map_err(|_| Error::Crypto)?;
    Ok(out)
}

/// The bytes that bind MACs and the device signs:
/// `enc("assent/v1/register", rp_id, eid, device_pub, platform, name, wrapped)`.
pub fn registration_input(
    rp_id: &RpId,
    eid: &EnrollmentId,
    device_pub: &DevicePublicKey,
    platform: Platform,
    name: &str,
    wrapped: &[u8],
) -> Vec<u8> {
    Enc::new("assent/v1/register")
        .str(rp_id.as_str())
        .bytes(eid.as_bytes())
        .bytes(device_pub.as_bytes())
        .str(platform.as_str())
        .str(name)
        .bytes(wrapped)
        .finish()
}

/// What the RP learns from a verified registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRegistration {
    /// The device key to pin.
    pub device_pub: DevicePublicKey,
    /// The phone's platform.
    pub platform: Platform,
    /// The phone's display name.
    pub name: String,
    /// The channel key shared with this phone.
    pub channel_key: ChannelKey,
}

impl Registration {
    /// Phone: makes the channel key, wraps it to the offer's `rpk`, binds and signs.
    /// Returns the message and the channel key to store with the account.
    ///
    /// The caller has already parsed the offer (which checked `exp`) and created the
    /// device key behind `signer` (with user-verification access control if `offer.uv`).
    pub fn make(
        offer: &Offer,
        signer: &impl Signer,
        platform: Platform,
        name: &str,
        push_token: &str,
        rng: &mut impl CryptoRng,
    ) -> Result<(Registration, ChannelKey)> {
        check_display("name", name, MAX_DEVICE_NAME)?;
        check_push_token(platform, push_token)?;
        let device_pub = signer.public_key();
        let k_chan = ChannelKey::make(rng);
        let wrapped =
            wrap_channel_key(&k_chan, &offer.rp, &offer.eid, &offer.rpk, &device_pub, rng)?;
        let input =
            registration_input(&offer.rp, &offer.eid, &device_pub, platform, name, &wrapped);
        let k_bind = derive_bind_key(&offer.es, &offer.rp, &offer.eid)?;
        let bind = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k_bind[..]), &input)
            .as_ref()
            .to_vec();
        let signature = sign_der(signer, &input)?;
        let registration = Registration {
            eid: offer.eid,
            device_pub,
            platform,
            name: name.to_owned(),
            push_token: push_token.to_owned(),
            wrapped,
            bind,
            signature,
        };
        Ok((registration, k_chan))
    }

    /// Parses the JSON form (size-limited, unknown fields refused). Field checks happen in
    /// [`Registration::check_shape`] and [`Registration::verify`].
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let registration: Registration = crate::encoding::from_json(json)?;
        registration.check_shape()?;
        Ok(registration)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }

    /// Cheap checks with no key (the relay runs them before storing anything): name,
    /// push token and field sizes.
    pub fn check_shape(&self) -> Result<()> {
        check_display("name", &self.name, MAX_DEVICE_NAME)?;
        check_push_token(self.platform, &self.push_token)?;
        if self.wrapped.len() != WRAPPED_LEN {
            return Err(Error::Length {
                field: "wrapped",
                expected: WRAPPED_LEN,
                actual: self.wrapped.len(),
            });
        }
        if self.bind.len() != 32 {
            return Err(Error::Length {
                field: "bind",
                expected: 32,
                actual: self.bind.len(),
            });
        }
        if self.signature.is_empty() || self.signature.len() > crate::keys::MAX_DER_SIGNATURE {
            return Err(Error::invalid("signature", "not a DER P-256 signature"));
        }
        Ok(())
    }

    /// RP: verifies the registration against the offer it made and returns the device key to
    /// pin and the channel key. In order: shape, eid, expiry (`now >= exp` refused), bind,
    /// signature, unwrap. The RP itself must also take only the first registration per eid
    /// (and kill the eid on a second one).
    pub fn verify(
        &self,
        offer: &Offer,
        secrets: &OfferSecrets,
        now: u64,
    ) -> Result<VerifiedRegistration> {
        self.check_shape()?;
        if self.eid != offer.eid {
            return Err(Error::WrongEnrollment);
        }
        offer.check_fresh(now)?;
        if secrets.rp_key.public_key() != &offer.rpk {
            return Err(Error::invalid("rp_key", "does not match the offer's rpk"));
        }
        let input = registration_input(
            &offer.rp,
            &offer.eid,
            &self.device_pub,
            self.platform,
            &self.name,
            &self.wrapped,
        );
        let k_bind = derive_bind_key(&offer.es, &offer.rp, &offer.eid)?;
        hmac::verify(
            &hmac::Key::new(hmac::HMAC_SHA256, &k_bind[..]),
            &input,
            &self.bind,
        )
        .map_err(|_| Error::BindMismatch)?;
        self.device_pub.verify(&input, &self.signature)?;
        let channel_key = unwrap_channel_key(
            &secrets.rp_key,
            &offer.rp,
            &offer.eid,
            &self.device_pub,
            &self.wrapped,
        )?;
        Ok(VerifiedRegistration {
            device_pub: self.device_pub.clone(),
            platform: self.platform,
            name: self.name.clone(),
            channel_key,
        })
    }
}

/// A push token: empty for poll, otherwise 1..=4096 printable ASCII characters; for
/// Web Push, a [`crate::webpush::WebPushSubscription`] in its push-token form.
pub(crate) fn check_push_token(platform: Platform, token: &str) -> Result<()> {
    match platform {
        Platform::Poll if token.is_empty() => Ok(()),
        Platform::Poll => Err(Error::invalid("push_token", "must be empty for poll")),
        Platform::WebPush if token.is_empty() => Err(Error::invalid("push_token", "missing")),
        Platform::WebPush => {
            crate::webpush::WebPushSubscription::from_push_token(token).map(|_| ())
        }
        _ if token.is_empty() => Err(Error::invalid("push_token", "missing")),
        _ if token.len() > MAX_PUSH_TOKEN => Err(Error::TooLarge {
            field: "push_token",
            limit: MAX_PUSH_TOKEN,
        }),
        _ if !token.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(Error::invalid("push_token", "must be printable ASCII"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kinds::{ApprovalKind, Custody};
    use crate::offer::OfferParams;
    use crate::relay_url::RelayUrl;
    use crate::signer::SoftwareSigner;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    pub(crate) const NOW: u64 = 1_700_000_000;

    pub(crate) struct Setup {
        pub offer: Offer,
        pub secrets: OfferSecrets,
        pub signer: SoftwareSigner,
        pub registration: Registration,
        pub k_chan: ChannelKey,
        pub rng: ChaCha20Rng,
    }

    pub(crate) fn setup() -> Setup {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let (offer, secrets) = Offer::make(
            OfferParams {
                rp: RpId::parse("example.com").unwrap(),
                issuer: "Example".into(),
                account: "alice".into(),
                relay: RelayUrl::parse("https://relay.example.com").unwrap(),
                min: ApprovalKind::Number,
                custody: Custody::Rp,
                uv: true,
                expires_at: NOW + 600,
            },
            &mut rng,
        )
        .unwrap();
        let signer = SoftwareSigner::make(&mut rng).unwrap();
        let (registration, k_chan) = Registration::make(
            &offer,
            &signer,
            Platform::Android,
            "Alice's Pixel",
            "fcm-token-123",
            &mut rng,
        )
        .unwrap();
        Setup {
            offer,
            secrets,
            signer,
            registration,
            k_chan,
            rng,
        }
    }

    #[test]
    fn registration_verifies_and_unwraps() {
        let s = setup();
        let json = s.registration.to_json();
        let parsed = Registration::from_json(json.as_bytes()).unwrap();
        assert_eq!(parsed, s.registration);
        let v = parsed.verify(&s.offer, &s.secrets, NOW).unwrap();
        assert_eq!(v.channel_key, s.k_chan);
        assert_eq!(v.device_pub, s.signer.public_key());
        assert_eq!(v.name, "Alice's Pixel");
    }

    #[test]
    fn any_altered_field_fails_bind_or_signature() {
        let s = setup();
        let check = |r: &Registration| r.verify(&s.offer, &s.secrets, NOW).map(|_| ());
        let mut r = s.registration.clone();
        r.platform = Platform::Ios;
        assert_eq!(check(&r), Err(Error::BindMismatch));
        let mut r = s.registration.clone();
        r.name = "Mallory".into();
        assert_eq!(check(&r), Err(Error::BindMismatch));
        let mut r = s.registration.clone();
        r.wrapped[100] ^= 1;
        assert_eq!(check(&r), Err(Error::BindMismatch));
        let mut r = s.registration.clone();
        r.bind[0] ^= 1;
        assert_eq!(check(&r), Err(Error::BindMismatch));
        let mut r = s.registration.clone();
        let last = r.signature.len() - 1;
        r.signature[last] ^= 1;
        assert_eq!(check(&r), Err(Error::BadSignature));
        // A relay holding es (photo of the QR) can recompute bind for its own key, but then
        // the signature or the unwrap fails.
        let mut rng = ChaCha20Rng::seed_from_u64(99);
        let mallory = SoftwareSigner::make(&mut rng).unwrap();
        let mut r = s.registration.clone();
        r.device_pub = mallory.public_key();
        assert_eq!(check(&r), Err(Error::BindMismatch));
        let input = registration_input(
            &s.offer.rp,
            &s.offer.eid,
            &r.device_pub,
            r.platform,
            &r.name,
            &r.wrapped,
        );
        let k_bind = derive_bind_key(&s.offer.es, &s.offer.rp, &s.offer.eid).unwrap();
        r.bind = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k_bind[..]), &input)
            .as_ref()
            .to_vec();
        assert_eq!(check(&r), Err(Error::BadSignature));
        r.signature = mallory.sign(&input).unwrap();
        // Device key A (Mallory's) paired with the phone's wrapped key: unwrap fails.
        assert_eq!(check(&r), Err(Error::UnwrapFailed));
    }

    #[test]
    fn registration_after_exp_or_for_another_eid_is_refused() {
        let s = setup();
        assert_eq!(
            s.registration.verify(&s.offer, &s.secrets, NOW + 600),
            Err(Error::OfferExpired)
        );
        let mut r = s.registration.clone();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        r.eid = EnrollmentId::make(&mut rng);
        assert_eq!(
            r.verify(&s.offer, &s.secrets, NOW),
            Err(Error::WrongEnrollment)
        );
    }

    #[test]
    fn push_tokens_and_names_are_checked() {
        assert!(check_push_token(Platform::Poll, "").is_ok());
        assert!(check_push_token(Platform::Poll, "x").is_err());
        assert!(check_push_token(Platform::Ios, "").is_err());
        assert!(check_push_token(Platform::Ios, "ab cd").is_err());
        assert!(check_push_token(Platform::Ios, &"a".repeat(4097)).is_err());
        let mut s = setup();
        assert!(
            Registration::make(&s.offer, &s.signer, Platform::Ios, "", "t", &mut s.rng).is_err()
        );
        assert!(Registration::from_json(b"{}").is_err());
        assert!(Registration::from_json(&vec![b' '; crate::MAX_MESSAGE_BYTES + 1]).is_err());
    }
}
