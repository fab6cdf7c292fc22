//! Taking a phone's registration (docs/protocol.md §3.2) and answering it (§3.3).

use assent_protocol::api::ErrorCode;
use assent_protocol::{
    DeviceId, Enrolled, EnrollmentAnswer, EnrollmentId, Offer, OfferSecrets, Registration,
    RpKeyPair, TotpParams as WireTotp,
};
use rand_core::CryptoRng;

use super::{DeviceInfo, RegistrationStatus};
use crate::error::{Error, Result};
use crate::push_policy::PushSetup;
use crate::relay::RelayError;
use crate::store::TotpParams;
use crate::store::{DeviceRecord, DeviceState, EnrollmentState};
use crate::totp_verify::make_totp_secret;
use crate::Rp;

impl Rp {
    /// Fetches and answers the registration for `eid`.
    ///
    /// Returns [`RegistrationStatus::Waiting`] while no phone has registered. The RP
    /// itself checks, in order: the message's shape and `eid` (a relay returning garbage
    /// gets an error and changes nothing); that the offer is unused (only the first
    /// registration is taken: its secrets are deleted as it is claimed) and unexpired by
    /// the RP's clock; then bind, the device signature and the channel-key unwrap. Any
    /// failure after the claim kills the offer. On success the device is stored pending
    /// activation (its key pinned) and the sealed answer delivered; if that delivery
    /// fails, calling again re-delivers it.
    pub async fn complete_registration<R: CryptoRng>(
        &self,
        eid: &EnrollmentId,
        rng: &mut R,
    ) -> Result<RegistrationStatus> {
        let setup = self.push_setup()?;
        let record = self
            .store
            .enrollment(eid)
            .await?
            .ok_or(Error::UnknownEnrollment)?;
        match record.state {
            EnrollmentState::Offered => {}
            EnrollmentState::Registered => {
                let device_id = record.device_id.ok_or(Error::Corrupt("device id"))?;
                let device = self
                    .store
                    .device(&device_id)
                    .await?
                    .ok_or(Error::UnknownDevice)?;
                let answer = seal_answer(setup, eid, &device, rng)?;
                match setup.relay.deliver_enrollment_answer(&answer).await {
                    Ok(()) => {}
                    // An earlier delivery arrived (its reply may have been lost): the
                    // relay keeps the first answer, and only this tenant delivers for
                    // its eid.
                    Err(RelayError::Rejected {
                        code: Some(ErrorCode::AlreadyExists),
                        ..
                    }) => {}
                    Err(e) => return Err(e.into()),
                }
                return Ok(RegistrationStatus::AwaitingActivation((&device).into()));
            }
            _ => return Err(Error::EnrollmentUsed),
        }
        if self.clock.now() >= record.expires_at {
            self.kill_enrollment(eid, EnrollmentState::Offered).await?;
            return Err(Error::EnrollmentExpired);
        }
        let Some(registration) = setup.relay.registration(eid).await? else {
            return Ok(RegistrationStatus::Waiting);
        };
        // Cheap checks that need no secret: garbage from the relay changes nothing.
        registration.check_shape()?;
        if &registration.eid != eid {
            return Err(assent_protocol::Error::WrongEnrollment.into());
        }
        // Exactly one caller gets the offer's secrets; they leave the store here.
        let claimed = self
            .store
            .claim_enrollment(eid)
            .await?
            .ok_or(Error::EnrollmentUsed)?;
        let now = self.clock.now();
        let device =
            match self.verify_registration(&record.account, &registration, &claimed, now, rng) {
                Ok(device) => device,
                Err(e) => {
                    self.kill_enrollment(eid, EnrollmentState::Claimed).await?;
                    tracing::warn!(%eid, error = %e, "registration refused; enrollment killed");
                    return Err(e);
                }
            };
        let answer = seal_answer(setup, eid, &device, rng)?;
        self.store.insert_device(&device).await?;
        if !self
            .store
            .set_enrollment_state(
                eid,
                EnrollmentState::Claimed,
                EnrollmentState::Registered,
                Some(&device.device_id),
            )
            .await?
        {
            return Err(Error::EnrollmentUsed);
        }
        tracing::info!(%eid, device_id = %device.device_id, "phone registered, awaiting activation");
        setup.relay.deliver_enrollment_answer(&answer).await?;
        Ok(RegistrationStatus::AwaitingActivation(DeviceInfo::from(
            &device,
        )))
    }

    /// Verifies a claimed registration and makes the pending device record.
    fn verify_registration<R: CryptoRng>(
        &self,
        account: &str,
        registration: &Registration,
        claimed: &crate::store::ClaimedOffer,
        now: u64,
        rng: &mut R,
    ) -> Result<DeviceRecord> {
        // The stored offer was valid when made; `now` re-checks its expiry.
        let offer = Offer::from_json(claimed.offer_json.as_bytes(), now).map_err(|e| match e {
            assent_protocol::Error::OfferExpired => Error::EnrollmentExpired,
            other => Error::Protocol(other),
        })?;
        let secrets = OfferSecrets {
            rp_key: RpKeyPair::from_private_bytes(&claimed.rp_private_key)?,
        };
        let verified = registration.verify(&offer, &secrets, now)?;
        Ok(DeviceRecord {
            device_id: DeviceId::make(rng),
            account: account.to_owned(),
            eid: offer.eid,
            device_pub: verified.device_pub,
            channel_key: verified.channel_key,
            platform: verified.platform,
            name: verified.name,
            min: offer.min,
            uv: offer.uv,
            totp_secret: make_totp_secret(rng)?,
            totp_params: TotpParams::default(),
            state: DeviceState::Pending,
            created_at: now,
            activate_by: now.saturating_add(self.push_policy.offer_ttl),
            activated_at: None,
            removed_at: None,
        })
    }
}

/// Seals the enrollment answer for a pending device.
fn seal_answer<R: CryptoRng>(
    setup: &PushSetup,
    eid: &EnrollmentId,
    device: &DeviceRecord,
    rng: &mut R,
) -> Result<EnrollmentAnswer> {
    let enrolled = Enrolled {
        device_id: device.device_id,
        totp: WireTotp {
            secret: device.totp_secret.clone(),
            algorithm: device.totp_params.algorithm,
            digits: device.totp_params.digits,
            period: device.totp_params.period,
        },
        min: device.min,
    };
    Ok(EnrollmentAnswer::seal(
        &setup.rp_id,
        eid,
        &device.device_pub,
        &device.channel_key,
        &enrolled,
        rng,
    )?)
}
