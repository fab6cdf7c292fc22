//! What the phone says about itself, and push-token updates.

use crate::assent::Assent;
use crate::error::AssentError;
use crate::kinds::Platform;

/// What this phone tells the relay and the login server about itself when
/// it enrolls.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    /// How the relay reaches the phone.
    pub platform: Platform,
    /// What the login page shows about the phone, e.g. "Alice's Pixel"
    /// (1–64 bytes, no control characters).
    pub name: String,
    /// The APNs device token or FCM registration token; empty for `Poll`. For
    /// `WebPush`, register the endpoint with `useWebpushEndpoint` instead.
    pub push_token: String,
}

impl From<DeviceInfo> for assent_core::DeviceInfo {
    fn from(d: DeviceInfo) -> Self {
        Self {
            platform: d.platform.into(),
            name: d.name,
            push_token: d.push_token,
        }
    }
}

/// An account whose relay did not take a push-token update.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushTokenFailure {
    /// The account.
    pub account_id: String,
    /// Why (retry later when it is a network failure).
    pub reason: String,
}

#[uniffi::export(async_runtime = "tokio")]
impl Assent {
    /// Sends a new push token (FCM `onNewToken`, APNs registration) to the
    /// relay of every push account, and uses it for future enrollments.
    /// Pass `Platform.POLL` and an empty token to stop pushes. Returns the
    /// accounts that failed; the others are updated.
    pub async fn update_push_token(
        &self,
        platform: Platform,
        push_token: String,
    ) -> Vec<PushTokenFailure> {
        let mut client = self.lock().await;
        client
            .update_push_token_everywhere(platform.into(), &push_token)
            .await
            .into_iter()
            .map(|(id, e)| PushTokenFailure {
                account_id: id.to_string(),
                reason: AssentError::from(e).to_string(),
            })
            .collect()
    }
}

#[uniffi::export]
impl Assent {
    /// Changes what the phone says about itself at the next enrollment
    /// (existing enrollments: `update_push_token`).
    pub fn set_device_info(&self, device: DeviceInfo) -> Result<(), AssentError> {
        self.lock_blocking()?.set_device_info(device.into());
        Ok(())
    }
}
