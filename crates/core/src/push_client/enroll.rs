//! Enrollment from an offer: QR URI ("connect from a computer") or JSON
//! value passed in-app over the app's authenticated session ("connect from
//! this phone"; never from an unverified link).
//!
//! 1. [`PushClient::enroll_uri`] / [`PushClient::enroll_json`]: parse the
//!    offer (expired, non-HTTPS relay, duplicate parameters refused), create
//!    the device key (with user-verification access control when the offer
//!    says `uv`), make the channel key and register through the relay.
//! 2. [`PushClient::finish_enrollment`]: fetch the RP's sealed answer
//!    (`None` while the RP has not answered: call again later), open it and
//!    store the push account with its TOTP secret.
//! 3. Activation: the account's current TOTP code
//!    ([`PushClient::activation_code`]) is what the user types on the login
//!    page that showed the QR. In-app, the app posts
//!    [`PushClient::activation`]'s JSON to the RP over its own session.

use assent_otp::{OtpAuth, OtpKind};
use assent_protocol::{
    api, Activation, ChannelKey, DevicePublicKey, Enrolled, EnrollmentAnswer, Offer, Platform,
    Registration,
};

use super::relay::ok_body;
use super::rng::with_rng;
use super::{protocol_error, PushClient};
use crate::error::{Error, Result};
use crate::keys::KeyStoreSigner;
use crate::random::hex;
use crate::transport::{DeviceCall, Method};
use crate::vault::{Account, AccountId, AccountKind, CodeView, PushEnrollment};

/// An enrollment registered with the relay and waiting for the RP's answer.
/// Not persisted: if it is lost, the user scans a new offer (and the device
/// key should be deleted with [`PushClient::cancel_enrollment`]).
pub struct PendingEnrollment {
    offer: Offer,
    channel_key: ChannelKey,
    key_alias: String,
    device_pub: DevicePublicKey,
    platform: Platform,
}

impl std::fmt::Debug for PendingEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEnrollment")
            .field("rp", &self.offer.rp)
            .field("eid", &self.offer.eid)
            .field("key_alias", &self.key_alias)
            .finish_non_exhaustive()
    }
}

impl PendingEnrollment {
    /// The offer's issuer (display name of the RP).
    pub fn issuer(&self) -> &str {
        &self.offer.issuer
    }
    /// The offer's account name.
    pub fn account(&self) -> &str {
        &self.offer.account
    }
    /// The alias of the new device key in the [`KeyStore`](crate::keys::KeyStore).
    pub fn key_alias(&self) -> &str {
        &self.key_alias
    }
    /// Whether the RP keeps its keys itself ([`Custody::Rp`](assent_protocol::Custody::Rp))
    /// or lets the relay hold them (managed mode: the app should say so).
    pub fn custody(&self) -> assent_protocol::Custody {
        self.offer.custody
    }
}

impl PushClient {
    /// Starts enrolling from an `assent://enroll?…` URI (a scanned QR code).
    pub async fn enroll_uri(&mut self, uri: &str) -> Result<PendingEnrollment> {
        let offer = Offer::parse_uri(uri, 0).map_err(Error::Offer)?;
        self.enroll(offer).await
    }

    /// Starts enrolling from an offer JSON value that the app received over
    /// its authenticated session with the RP.
    pub async fn enroll_json(&mut self, json: &[u8]) -> Result<PendingEnrollment> {
        let offer = Offer::from_json(json, 0).map_err(Error::Offer)?;
        self.enroll(offer).await
    }

    async fn enroll(&mut self, offer: Offer) -> Result<PendingEnrollment> {
        self.check_offer_fresh(&offer).await?;
        let duplicate = self
            .push_accounts()
            .iter()
            .any(|(_, p)| p.enrollment_id == offer.eid && p.rp_id == offer.rp);
        if duplicate {
            return Err(Error::AlreadyEnrolled);
        }
        let mut alias = [0u8; 16];
        self.vault.rng().fill(&mut alias)?;
        let key_alias = format!("push-{}", hex(&alias));
        let keys = self.keys.clone();
        let created = keys.create(&key_alias, offer.uv)?;
        let pending = self
            .register(offer, key_alias.clone(), created.as_bytes())
            .await;
        if pending.is_err() {
            if let Err(e) = keys.delete(&key_alias) {
                tracing::warn!(error = %e, "could not delete the device key of a failed enrollment");
            }
        }
        pending
    }

    /// The phone's clock may be off before it has heard from this relay:
    /// when the offer looks expired, learn the relay's time from one
    /// unsigned request and check again. The RP enforces `exp` anyway.
    async fn check_offer_fresh(&mut self, offer: &Offer) -> Result<()> {
        if offer.check_fresh(self.relay_now()).is_ok() {
            return Ok(());
        }
        let probe = DeviceCall {
            method: Method::Get,
            path: api::enrollment_answer(&offer.eid),
            body: Vec::new(),
            auth: None,
        };
        self.call(&offer.relay, probe).await?;
        offer.check_fresh(self.relay_now()).map_err(Error::Offer)
    }

    async fn register(
        &mut self,
        offer: Offer,
        key_alias: String,
        device_pub: &[u8],
    ) -> Result<PendingEnrollment> {
        let device_pub = DevicePublicKey::from_sec1(device_pub).map_err(Error::Protocol)?;
        let keys = self.keys.clone();
        let signer = KeyStoreSigner::new(keys.as_ref(), &key_alias, device_pub.clone());
        let device = self.device.clone();
        let (registration, channel_key) = with_rng(self.vault.rng(), |rng| {
            Registration::make(
                &offer,
                &signer,
                device.platform,
                &device.name,
                &device.push_token,
                rng,
            )
        })?
        .map_err(protocol_error)?;
        let call = DeviceCall {
            method: Method::Post,
            path: assent_protocol::api::REGISTER.to_owned(),
            body: registration.to_json().into_bytes(),
            auth: None,
        };
        ok_body(self.call(&offer.relay, call).await?)?;
        Ok(PendingEnrollment {
            offer,
            channel_key,
            key_alias,
            device_pub,
            platform: device.platform,
        })
    }

    /// Fetches and opens the RP's enrollment answer and stores the push
    /// account. `Ok(None)` while the RP has not answered yet (the relay says
    /// 404): call again after a short wait. Calling it again after success
    /// returns the same account.
    ///
    /// Errors: [`Error::AnswerForAnotherEnrollment`],
    /// [`Error::AnswerForAnotherDeviceKey`], [`Error::EnrollmentTampered`].
    pub async fn finish_enrollment(
        &mut self,
        pending: &PendingEnrollment,
    ) -> Result<Option<AccountId>> {
        if let Some(id) = self.account_of_enrollment(pending) {
            return Ok(Some(id));
        }
        let call = DeviceCall {
            method: Method::Get,
            path: api::enrollment_answer(&pending.offer.eid),
            body: Vec::new(),
            auth: None,
        };
        let reply = self.call(&pending.offer.relay, call).await?;
        if reply.status == 404 {
            return Ok(None);
        }
        let answer = EnrollmentAnswer::from_json(&ok_body(reply)?).map_err(Error::Protocol)?;
        let enrolled = answer
            .open(
                &pending.offer.rp,
                &pending.offer.eid,
                &pending.device_pub,
                &pending.channel_key,
            )
            .map_err(answer_error)?;
        self.store_account(pending, enrolled).map(Some)
    }

    fn account_of_enrollment(&self, pending: &PendingEnrollment) -> Option<AccountId> {
        self.push_accounts()
            .into_iter()
            .find(|(_, p)| p.enrollment_id == pending.offer.eid && p.rp_id == pending.offer.rp)
            .map(|(id, _)| id)
    }

    fn store_account(
        &mut self,
        pending: &PendingEnrollment,
        enrolled: Enrolled,
    ) -> Result<AccountId> {
        let offer = &pending.offer;
        let otp = OtpAuth {
            kind: OtpKind::Totp {
                period: enrolled.totp.period,
            },
            issuer: Some(offer.issuer.clone()),
            account: offer.account.clone(),
            secret: enrolled.totp.secret.clone(),
            algorithm: enrolled.totp.algorithm,
            digits: enrolled.totp.digits,
        };
        let id = AccountId::make(self.vault.rng())?;
        let mut account = Account::new(id.clone(), otp)?;
        account.kind = AccountKind::Push(Box::new(PushEnrollment {
            rp_id: offer.rp.clone(),
            relay_url: offer.relay.clone(),
            enrollment_id: offer.eid,
            device_id: enrolled.device_id,
            device_pub: pending.device_pub.clone(),
            key_alias: pending.key_alias.clone(),
            channel_key: pending.channel_key.clone(),
            min_kind: offer.min.max(enrolled.min),
            user_verification: offer.uv,
            custody: offer.custody,
            platform: pending.platform,
            push_token_seq: 0,
            unenroll_requested_at: None,
            handover: None,
        }));
        self.vault.change(|data| {
            data.accounts.push(account);
            Ok(())
        })?;
        Ok(id)
    }

    /// Abandons an enrollment that was not finished: deletes its device key.
    pub fn cancel_enrollment(&self, pending: PendingEnrollment) -> Result<()> {
        self.keys.delete(&pending.key_alias)?;
        Ok(())
    }

    /// The activation code the user types on the login page (which
    /// activates the phone): the account's code at the phone's estimate of
    /// the relay's time, learnt from the enrollment replies. The RP checks it
    /// by its own clock, so a phone whose clock is minutes off still
    /// activates; a relay lying about its time can only make activation
    /// fail, and this offset never moves the offline codes (those move only
    /// from RP-sealed challenges, capped at one step).
    pub fn activation_code(&self, id: &AccountId) -> Result<CodeView> {
        self.push_enrollment(id)?;
        self.vault.code_at(id, self.relay_now())
    }

    /// In-app flow: the activation message the app sends to the RP over its
    /// own authenticated session (not through the relay); its `to_json()` is
    /// `{"eid","device_id","code"}`.
    pub fn activation(&self, id: &AccountId) -> Result<Activation> {
        let push = self.push_enrollment(id)?;
        Ok(Activation {
            eid: push.enrollment_id,
            device_id: push.device_id,
            code: self.activation_code(id)?.code.to_string(),
        })
    }
}

fn answer_error(e: assent_protocol::Error) -> Error {
    use assent_protocol::Error as P;
    match e {
        P::WrongEnrollment => Error::AnswerForAnotherEnrollment,
        P::WrongDeviceKey => Error::AnswerForAnotherDeviceKey,
        P::Tampered => Error::EnrollmentTampered,
        other => Error::Protocol(other),
    }
}
