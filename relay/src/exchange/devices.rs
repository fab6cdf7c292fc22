//! Devices after enrollment: the RP removes one (keeping a removal record for the
//! phone), phones update their push token and ask to be unenrolled, the RP confirms
//! with a sealed statement the phone then fetches.

use assent_protocol::api::{
    PushTokenApplied, Removed, UnenrollList, UnenrollRequested, UnenrollStatus,
};
use assent_protocol::webpush::WebPushSubscription;
use assent_protocol::{DeviceId, Platform, PushTokenUpdate, UnenrollConfirmation, UnenrollRequest};

use super::challenges::unknown_device;
use super::Exchange;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{db_time, DeviceRecord, RemovalRecord};

/// How long a removal record (and its confirmation) stays for the phone.
const REMOVAL_RETENTION_SECS: u64 = 7 * 24 * 3600;

/// Where a device's unenrollment stands, with the key that signs its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unenrollment {
    /// Still enrolled (the RP has not removed it).
    Enrolled {
        /// The device key (SEC1).
        device_pub: Vec<u8>,
    },
    /// Removed; the RP's confirmation once it sent one.
    Removed {
        /// The device key (SEC1) the removal record keeps.
        device_pub: Vec<u8>,
        /// The RP's sealed confirmation.
        confirmation: Option<UnenrollConfirmation>,
    },
}

impl Exchange {
    /// Removes the tenant's device and its challenges (keeping a removal record with
    /// `confirmation` for the phone), or confirms an earlier removal by this tenant;
    /// idempotent. Another tenant's device answers like a missing one.
    pub async fn remove_device(
        &self,
        tenant_id: &str,
        device_id: &str,
        confirmation: Option<&UnenrollConfirmation>,
    ) -> AppResult<Removed> {
        if let Some(confirmation) = confirmation {
            if confirmation.device_id.to_string() != device_id {
                return Err(AppError::new(
                    ErrorCode::InvalidBody,
                    "confirmation is for another device",
                ));
            }
        }
        DeviceId::parse(device_id).map_err(|_| unknown_device())?;
        let confirmation = confirmation.map(UnenrollConfirmation::to_json);
        let removed = Removed {
            device_id: device_id.to_owned(),
            removed: true,
        };
        let Some(device) = self.store.device(device_id).await? else {
            return match self.store.removal(device_id).await? {
                Some(r) if r.tenant_id == tenant_id => {
                    if let Some(confirmation) = confirmation {
                        self.store
                            .confirm_removal(tenant_id, device_id, &confirmation)
                            .await?;
                    }
                    Ok(removed)
                }
                _ => Err(unknown_device()),
            };
        };
        if device.tenant_id != tenant_id {
            return Err(unknown_device());
        }
        let now = self.clock.now();
        let record = RemovalRecord {
            device_id: device_id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            device_pub: device.device_pub,
            confirmation,
            removed_at: db_time(now),
            expires_at: db_time(now.saturating_add(REMOVAL_RETENTION_SECS)),
        };
        self.store
            .remove_device(tenant_id, device_id, &record)
            .await?;
        Ok(removed)
    }

    /// The unenroll requests of the tenant's phones (at most 100, oldest first).
    pub async fn unenroll_requests(&self, tenant_id: &str) -> AppResult<UnenrollList> {
        let devices = self.store.unenroll_requests(tenant_id, 100).await?;
        let requests = devices
            .iter()
            .filter_map(|d| d.unenroll.as_deref())
            .map(|text| UnenrollRequest::from_json(text.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::internal(format!("stored unenroll request unreadable: {e}")))?;
        Ok(UnenrollList { requests })
    }

    /// The device updates its push target; applied only if `seq` is greater than the
    /// stored one (a replay or a reordering changes nothing).
    pub async fn update_push_token(
        &self,
        device: &DeviceRecord,
        update: &PushTokenUpdate,
    ) -> AppResult<PushTokenApplied> {
        let seq = i64::try_from(update.seq)
            .map_err(|_| AppError::new(ErrorCode::InvalidBody, "seq is too large"))?;
        self.check_push_target(update.platform, &update.push_token)?;
        let applied = self
            .store
            .update_push_token(
                &device.device_id,
                update.platform.as_str(),
                &update.push_token,
                seq,
                // When this token was registered: an APNs 410 older than this is
                // about an earlier registration and does not kill the token.
                db_time(self.clock.now()),
            )
            .await?;
        Ok(PushTokenApplied { applied })
    }

    /// A Web Push token's endpoint is a URL of the phone's choosing that the relay will
    /// POST to: it must pass the relay's outbound address rules (the webhook rules:
    /// https, public addresses or the operator's `--webhook-allow-network`s), here at
    /// registration and push-token update, and again at every send (names are checked
    /// when resolved). Other platforms' tokens pass.
    pub fn check_push_target(&self, platform: Platform, push_token: &str) -> AppResult<()> {
        if platform != Platform::WebPush {
            return Ok(());
        }
        let subscription = WebPushSubscription::from_push_token(push_token)
            .map_err(|e| AppError::new(ErrorCode::InvalidBody, e.to_string()))?;
        let destinations =
            crate::webhook::Destinations::with_networks(&self.config.webhook_allow_networks);
        crate::webhook::check_url(subscription.endpoint(), &destinations).map_err(|e| {
            AppError::new(
                ErrorCode::InvalidBody,
                format!("Web Push endpoint refused by the relay's outbound address rules ({e})"),
            )
        })
    }

    /// The device asks its RP to remove it; idempotent. The RP hears of it through
    /// [`Exchange::unenroll_requests`] and the `unenroll_requested` event.
    pub async fn request_unenroll(
        &self,
        device: &DeviceRecord,
        statement: &UnenrollRequest,
    ) -> AppResult<UnenrollRequested> {
        if statement.device_id.to_string() != device.device_id {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                "statement names another device than the request",
            ));
        }
        self.store
            .request_unenroll(
                &device.device_id,
                &statement.to_json(),
                db_time(self.clock.now()),
            )
            .await?;
        if device.unenroll.is_none() {
            self.events
                .unenroll_requested(self, &device.tenant_id, &device.device_id)
                .await;
        }
        Ok(UnenrollRequested {
            status: UnenrollStatus::Requested,
        })
    }

    /// Where the unenrollment of `device_id` stands (the caller verifies the request
    /// signature with the key returned); works after removal, from the removal record.
    pub async fn unenrollment(&self, device_id: &str) -> AppResult<Unenrollment> {
        if let Some(device) = self.store.device(device_id).await? {
            return Ok(Unenrollment::Enrolled {
                device_pub: device.device_pub,
            });
        }
        let removal = self
            .store
            .removal(device_id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::UnknownDevice, "unknown device"))?;
        let confirmation = removal
            .confirmation
            .map(|text| {
                UnenrollConfirmation::from_json(text.as_bytes())
                    .map_err(|e| AppError::internal(format!("stored confirmation unreadable: {e}")))
            })
            .transpose()?;
        Ok(Unenrollment::Removed {
            device_pub: removal.device_pub,
            confirmation,
        })
    }
}
