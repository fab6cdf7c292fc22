//! Activation (docs/protocol.md §3.4): the code the new phone shows, typed on the login
//! page (or sent by the app over its authenticated session).

use assent_protocol::{Activation, EnrollmentId};
use rand_core::CryptoRng;

use super::{Activated, ActivationResult, DeviceInfo};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{DeviceRecord, DeviceState, EnrollmentRecord, EnrollmentState, TotpRecord};
use crate::totp_verify::match_step;
use crate::Rp;

impl Rp {
    /// Activates the phone registered for `eid` if `code` is the TOTP code it shows.
    ///
    /// Call it from the account's own session (the page that showed the offer): the
    /// enrollment must belong to `account`. The right code activates the device, makes
    /// its TOTP secret the account's (the activation code's time step counts as used, so
    /// it cannot log in again), issues 10 backup codes if the account has none, and
    /// delivers [`Event::NewDevice`]. A wrong code kills the enrollment
    /// ([`ActivationResult::Rejected`]): there is one guess per offer. Codes are accepted
    /// in the usual window (one step either side) until the activation deadline.
    pub async fn activate<R: CryptoRng>(
        &self,
        account: &str,
        eid: &EnrollmentId,
        code: &str,
        rng: &mut R,
    ) -> Result<ActivationResult> {
        let (record, device) = self.pending_activation(account, eid).await?;
        let now = self.clock.now();
        if now >= device.activate_by {
            self.kill_pending(&record, &device, now).await?;
            return Err(Error::EnrollmentExpired);
        }
        if !record.authorized_by_proof && self.has_second_factor(account).await? {
            // The offer was made as the account's first second factor, and it has one
            // now: refuse rather than add a phone without proof.
            self.kill_pending(&record, &device, now).await?;
            return Err(Error::SecondFactorRequired);
        }
        let totp = device.totp_params.totp(device.totp_secret.clone())?;
        let Some(step) = match_step(&totp, code, now, None) else {
            self.kill_pending(&record, &device, now).await?;
            tracing::info!(account, %eid, "wrong activation code; enrollment killed");
            return Ok(ActivationResult::Rejected);
        };
        if !self
            .store
            .set_enrollment_state(
                eid,
                EnrollmentState::Registered,
                EnrollmentState::Activated,
                None,
            )
            .await?
        {
            return Err(Error::NotAwaitingActivation);
        }
        if !self
            .store
            .set_device_state(
                &device.device_id,
                DeviceState::Pending,
                DeviceState::Active,
                now,
            )
            .await?
        {
            return Err(Error::NotAwaitingActivation);
        }
        self.store
            .put_totp(
                account,
                &TotpRecord {
                    secret: device.totp_secret.clone(),
                    params: device.totp_params,
                    last_step: Some(step),
                    created_at: now,
                },
            )
            .await?;
        let backup_codes = if self.store.backup_codes_remaining(account).await? == 0 {
            Some(self.generate_backup_codes(account, rng).await?)
        } else {
            None
        };
        let mut info = DeviceInfo::from(&device);
        info.state = DeviceState::Active;
        info.activated_at = Some(now);
        self.events.deliver(&Event::NewDevice {
            account: account.to_owned(),
            device_id: device.device_id,
            name: device.name.clone(),
            platform: device.platform,
            at: now,
        });
        tracing::info!(account, device_id = %device.device_id, "phone activated");
        Ok(ActivationResult::Activated(Activated {
            account: account.to_owned(),
            device: info,
            backup_codes,
        }))
    }

    /// The in-app form of [`Rp::activate`]: the app's [`Activation`] message, received
    /// over its authenticated session for `account`. A device id other than the one
    /// registered is treated as a wrong code.
    pub async fn activate_in_app<R: CryptoRng>(
        &self,
        account: &str,
        activation: &Activation,
        rng: &mut R,
    ) -> Result<ActivationResult> {
        let (record, device) = self.pending_activation(account, &activation.eid).await?;
        if device.device_id != activation.device_id {
            self.kill_pending(&record, &device, self.clock.now())
                .await?;
            return Ok(ActivationResult::Rejected);
        }
        self.activate(account, &activation.eid, &activation.code, rng)
            .await
    }

    /// The enrollment and device awaiting activation for `account` and `eid`.
    async fn pending_activation(
        &self,
        account: &str,
        eid: &EnrollmentId,
    ) -> Result<(EnrollmentRecord, DeviceRecord)> {
        let record = self
            .store
            .enrollment(eid)
            .await?
            .filter(|r| r.account == account)
            .ok_or(Error::UnknownEnrollment)?;
        if record.state != EnrollmentState::Registered {
            return Err(Error::NotAwaitingActivation);
        }
        let device_id = record.device_id.ok_or(Error::Corrupt("device id"))?;
        let device = self
            .store
            .device(&device_id)
            .await?
            .filter(|d| d.state == DeviceState::Pending)
            .ok_or(Error::NotAwaitingActivation)?;
        Ok((record, device))
    }

    /// Kills a registered enrollment and its pending device.
    async fn kill_pending(
        &self,
        record: &EnrollmentRecord,
        device: &DeviceRecord,
        now: u64,
    ) -> Result<()> {
        self.kill_enrollment(&record.eid, EnrollmentState::Registered)
            .await?;
        self.store
            .set_device_state(
                &device.device_id,
                DeviceState::Pending,
                DeviceState::Removed,
                now,
            )
            .await?;
        Ok(())
    }
}
