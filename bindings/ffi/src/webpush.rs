//! UnifiedPush / Web Push (Android without Google Play services): the subscription
//! keys, the endpoint registration and incoming messages.

use std::sync::Arc;

use crate::assent::Assent;
use crate::challenge::Challenge;
use crate::device::PushTokenFailure;
use crate::error::AssentError;

/// The phone's Web Push subscription keys (base64url), as UnifiedPush's Web Push mode
/// and the browser Push API show them. Made in the secure storage on first use.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct WebPushKeys {
    /// The public key (`p256dh`).
    pub p256dh: String,
    /// The authentication secret (`auth`). Secret: it goes to the relay inside the
    /// push-token update and nowhere else.
    pub auth: String,
}

impl std::fmt::Debug for WebPushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushKeys")
            .field("p256dh", &self.p256dh)
            .field("auth", &"<redacted>")
            .finish()
    }
}

impl Assent {
    fn webpush_receiver(&self) -> Result<assent_core::WebPushReceiver, AssentError> {
        let storage = self.storage();
        Ok(self.lock_blocking()?.webpush_receiver(storage)?)
    }

    async fn webpush_receiver_async(&self) -> Result<assent_core::WebPushReceiver, AssentError> {
        let storage = self.storage();
        Ok(self.lock().await.webpush_receiver(storage)?)
    }
}

#[uniffi::export]
impl Assent {
    /// The Web Push subscription keys (made and stored on first use).
    pub fn webpush_keys(&self) -> Result<WebPushKeys, AssentError> {
        let receiver = self.webpush_receiver()?;
        Ok(WebPushKeys {
            p256dh: receiver.p256dh(),
            auth: receiver.auth(),
        })
    }

    /// Decrypts one Web Push message body (the raw bytes the UnifiedPush distributor
    /// delivered, RFC 8291 `aes128gcm`) into the push payload JSON
    /// (`{"p":"…","r":"…"}`); `handleWebpush` does this and the rest in one call.
    /// `NotAuthentic` when the body was not encrypted to this phone's keys.
    pub fn decrypt_webpush(&self, body: Vec<u8>) -> Result<Vec<u8>, AssentError> {
        Ok(self.webpush_receiver()?.decrypt(&body)?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Assent {
    /// Registers the endpoint the UnifiedPush distributor gave (`onNewEndpoint`; the
    /// app subscribed with the relay's VAPID key from `GET /v1/webpush`) with the
    /// relay of every push account, with this phone's Web Push keys, through the
    /// signed push-token update; future enrollments use it too. Returns the accounts
    /// that failed; the others are updated. `InvalidInput` for an endpoint that is not
    /// an https:// URL.
    pub async fn use_webpush_endpoint(
        &self,
        endpoint: String,
    ) -> Result<Vec<PushTokenFailure>, AssentError> {
        let receiver = self.webpush_receiver_async().await?;
        let mut client = self.lock().await;
        let failed = client.use_webpush(&receiver, &endpoint).await?;
        Ok(failed
            .into_iter()
            .map(|(id, e)| PushTokenFailure {
                account_id: id.to_string(),
                reason: AssentError::from(e).to_string(),
            })
            .collect())
    }

    /// Handles a Web Push message (`onMessage` of the UnifiedPush receiver, the raw
    /// body): decrypts it and continues as `handlePush`.
    pub async fn handle_webpush(&self, body: Vec<u8>) -> Result<Arc<Challenge>, AssentError> {
        let receiver = self.webpush_receiver_async().await?;
        let view = self.lock().await.handle_webpush(&receiver, &body).await?;
        Ok(Arc::new(Challenge::from_view(view)))
    }
}
