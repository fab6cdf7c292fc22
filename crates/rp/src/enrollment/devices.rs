//! The account's phones: list, removal by the RP, and unenroll requests from phones
//! (docs/protocol.md §7).

use assent_protocol::{DeviceId, UnenrollConfirmation};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;

use super::{DeviceInfo, UnenrollReport};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{DeviceRecord, DeviceState, EnrollmentState};
use crate::Rp;

impl Rp {
    /// The account's phones, active or awaiting activation, oldest first.
    pub async fn devices(&self, account: &str) -> Result<Vec<DeviceInfo>> {
        Ok(self
            .store
            .devices(account)
            .await?
            .iter()
            .filter(|d| d.state != DeviceState::Removed)
            .map(DeviceInfo::from)
            .collect())
    }

    /// Removes one of the account's phones: locally first (its pending challenges die,
    /// and the account's TOTP secret goes too if it is this phone's), then at the relay,
    /// with a removal notice sealed under the channel key so that the phone learns it
    /// (docs/protocol.md §7) and the relay cannot fake it. Returns whether it was live.
    /// Calling it again for a removed device tells the relay again (idempotent), so a
    /// relay error can be retried.
    pub async fn remove_device<R: CryptoRng>(
        &self,
        account: &str,
        device_id: &DeviceId,
        rng: &mut R,
    ) -> Result<bool> {
        let setup = self.push_setup()?;
        let device = self
            .store
            .device(device_id)
            .await?
            .filter(|d| d.account == account)
            .ok_or(Error::UnknownDevice)?;
        let now = self.clock.now();
        let removed = self.remove_locally(&device, now).await?;
        if removed {
            self.events.deliver(&Event::DeviceRemoved {
                account: account.to_owned(),
                device_id: *device_id,
                by_phone: false,
                at: now,
            });
        }
        let removed_at = device.removed_at.unwrap_or(now);
        let notice = UnenrollConfirmation::seal_notice(
            &setup.rp_id,
            &device.channel_key,
            device_id,
            removed_at,
            rng,
        )?;
        setup.relay.remove_device(device_id).await?;
        setup.relay.confirm_unenroll(&notice).await?;
        Ok(removed)
    }

    /// Fetches the phones' unenroll requests from the relay, verifies each with the
    /// pinned device key, removes the device and sends the sealed confirmation. Unknown
    /// devices and bad signatures are refused and counted; a request for a device
    /// removed earlier is confirmed again (the confirmation binds its `requested_at`).
    pub async fn process_unenroll_requests<R: CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<UnenrollReport> {
        let setup = self.push_setup()?;
        let mut report = UnenrollReport::default();
        for request in setup.relay.unenroll_requests().await? {
            let Some(device) = self.store.device(&request.device_id).await? else {
                report.refused += 1;
                continue;
            };
            if let Err(e) = request.verify(&device.device_pub, &setup.rp_id) {
                tracing::warn!(device_id = %request.device_id, error = %e, "unenroll request refused");
                report.refused += 1;
                continue;
            }
            let now = self.clock.now();
            let removed_at = if self.remove_locally(&device, now).await? {
                report.removed.push(device.device_id);
                self.events.deliver(&Event::DeviceRemoved {
                    account: device.account.clone(),
                    device_id: device.device_id,
                    by_phone: true,
                    at: now,
                });
                now
            } else {
                device.removed_at.unwrap_or(now)
            };
            let confirmation = UnenrollConfirmation::seal(
                &setup.rp_id,
                &device.channel_key,
                &request,
                removed_at,
                rng,
            )?;
            setup.relay.confirm_unenroll(&confirmation).await?;
            report.confirmed += 1;
        }
        Ok(report)
    }

    /// Marks the device removed (from whatever live state), cancels its pending
    /// challenges, kills its enrollment if still awaiting activation, and removes the
    /// account's TOTP secret if it is this device's. True if this call removed it.
    async fn remove_locally(&self, device: &DeviceRecord, now: u64) -> Result<bool> {
        let mut removed = false;
        for from in [DeviceState::Active, DeviceState::Pending] {
            if self
                .store
                .set_device_state(&device.device_id, from, DeviceState::Removed, now)
                .await?
            {
                removed = true;
                break;
            }
        }
        if !removed {
            return Ok(false);
        }
        self.store
            .cancel_device_challenges(&device.device_id, now)
            .await?;
        self.kill_enrollment(&device.eid, EnrollmentState::Registered)
            .await?;
        if let Some(totp) = self.store.totp(&device.account).await? {
            let same: bool = totp
                .secret
                .as_bytes()
                .ct_eq(device.totp_secret.as_bytes())
                .into();
            if same {
                self.store.delete_totp(&device.account).await?;
            }
        }
        tracing::info!(account = %device.account, device_id = %device.device_id, "device removed");
        Ok(true)
    }
}
