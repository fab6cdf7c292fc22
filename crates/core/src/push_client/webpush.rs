//! UnifiedPush / Web Push on the phone (Android without Google Play services): the
//! subscription keys, kept in the host's [`SecureStorage`], registration of the
//! distributor's endpoint with the relays, and decryption of incoming messages.
//!
//! The app gets an endpoint URL from its UnifiedPush distributor (subscribing with the
//! relay's VAPID key from `GET /v1/webpush`), calls [`PushClient::use_webpush`], and
//! hands every message body the distributor delivers to [`PushClient::handle_webpush`]
//! (or decrypts with [`WebPushReceiver::decrypt`] and calls
//! [`PushClient::handle_push`] itself). docs/push.md, "UnifiedPush".

use assent_protocol::webpush::WebPushKeys;
use assent_protocol::Platform;
use zeroize::Zeroizing;

use super::rng::with_rng;
use super::{protocol_error, ChallengeView, PushClient};
use crate::error::{Error, Result};
use crate::random::RandomSource;
use crate::storage::SecureStorage;
use crate::vault::AccountId;

/// Blob name of the Web Push keys in the host's [`SecureStorage`].
pub const WEBPUSH_KEYS_BLOB: &str = "webpush-keys";

/// The phone's Web Push subscription keys (a P-256 key pair and the 16-byte `auth`
/// secret, RFC 8291), stored in the host's secure storage. Secrets never show in
/// `Debug` and are zeroized on drop.
pub struct WebPushReceiver {
    keys: WebPushKeys,
}

impl std::fmt::Debug for WebPushReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebPushReceiver(<redacted>)")
    }
}

impl WebPushReceiver {
    /// The keys stored in `storage`, made from `rng` and stored on first use.
    pub fn open_or_create(storage: &dyn SecureStorage, rng: &mut dyn RandomSource) -> Result<Self> {
        match storage.get(WEBPUSH_KEYS_BLOB)?.map(Zeroizing::new) {
            Some(bytes) => Ok(WebPushReceiver {
                keys: WebPushKeys::from_bytes(&bytes)
                    .map_err(|_| Error::Malformed("stored Web Push keys are unreadable"))?,
            }),
            None => Self::replace(storage, rng),
        }
    }

    /// New keys, replacing the stored ones (after the distributor gave a new endpoint
    /// for a fresh subscription; messages to the old keys no longer open).
    pub fn replace(storage: &dyn SecureStorage, rng: &mut dyn RandomSource) -> Result<Self> {
        let keys = with_rng(rng, |rng| WebPushKeys::make(rng))?.map_err(protocol_error)?;
        storage.put(WEBPUSH_KEYS_BLOB, &keys.to_bytes())?;
        Ok(WebPushReceiver { keys })
    }

    /// The public key (`p256dh`, base64url), as UnifiedPush's Web Push mode shows it.
    pub fn p256dh(&self) -> String {
        assent_protocol::b64_encode(self.keys.p256dh())
    }

    /// The authentication secret (`auth`, base64url), as UnifiedPush's Web Push mode
    /// shows it. Secret: it goes to the relay inside the push token, nowhere else.
    pub fn auth(&self) -> String {
        assent_protocol::b64_encode(self.keys.auth())
    }

    /// The push token of a subscription at `endpoint` (an `https://` URL from the
    /// distributor): what [`PushClient::use_webpush`] registers.
    pub fn push_token(&self, endpoint: &str) -> Result<String> {
        let subscription = self
            .keys
            .subscription(endpoint)
            .map_err(Error::WebPushEndpoint)?;
        Ok(subscription.to_push_token())
    }

    /// Decrypts one Web Push message body (`aes128gcm`): the raw push payload to hand to
    /// [`PushClient::handle_push`]. [`Error::Protocol`] when it was not encrypted to
    /// these keys or was altered.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>> {
        let plain = self.keys.decrypt(body).map_err(Error::Protocol)?;
        Ok(plain.to_vec())
    }
}

impl PushClient {
    /// Registers the Web Push subscription at `endpoint` with every push account's
    /// relay (the signed push-token update, platform `webpush`) and for future
    /// enrollments; returns the accounts that failed, with why.
    pub async fn use_webpush(
        &mut self,
        receiver: &WebPushReceiver,
        endpoint: &str,
    ) -> Result<Vec<(AccountId, Error)>> {
        let token = receiver.push_token(endpoint)?;
        Ok(self
            .update_push_token_everywhere(Platform::WebPush, &token)
            .await)
    }

    /// Decrypts a Web Push message and handles the push payload inside
    /// ([`PushClient::handle_push`]).
    pub async fn handle_webpush(
        &mut self,
        receiver: &WebPushReceiver,
        body: &[u8],
    ) -> Result<ChallengeView> {
        let payload = Zeroizing::new(receiver.decrypt(body)?);
        self.handle_push(&payload).await
    }

    /// The Web Push keys in `storage`, made with the vault's randomness on first use.
    pub fn webpush_receiver(&mut self, storage: &dyn SecureStorage) -> Result<WebPushReceiver> {
        WebPushReceiver::open_or_create(storage, self.vault.rng())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn keys_are_made_once_and_stored() {
        let storage = MemoryStorage::new();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let a = WebPushReceiver::open_or_create(&storage, &mut rng).unwrap();
        let b = WebPushReceiver::open_or_create(&storage, &mut rng).unwrap();
        assert_eq!(a.p256dh(), b.p256dh());
        assert_eq!(a.p256dh().len(), 87);
        let c = WebPushReceiver::replace(&storage, &mut rng).unwrap();
        assert_ne!(c.p256dh(), a.p256dh());
        assert_eq!(
            WebPushReceiver::open_or_create(&storage, &mut rng)
                .unwrap()
                .p256dh(),
            c.p256dh()
        );
        assert_eq!(format!("{a:?}"), "WebPushReceiver(<redacted>)");
        storage.put(WEBPUSH_KEYS_BLOB, b"junk").unwrap();
        assert!(WebPushReceiver::open_or_create(&storage, &mut rng).is_err());
    }

    #[test]
    fn decrypts_what_the_relay_encrypts_and_refuses_the_rest() {
        let storage = MemoryStorage::new();
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let r = WebPushReceiver::open_or_create(&storage, &mut rng).unwrap();
        let token = r.push_token("https://up.example.net/UP?token=1").unwrap();
        let sub = assent_protocol::webpush::WebPushSubscription::from_push_token(&token).unwrap();
        let payload = br#"{"p":"AAAAAAAAAAAAAAAAAAAAAA","r":"AAAAAAAAAAAA"}"#;
        let body =
            assent_protocol::webpush::encrypt(sub.p256dh(), sub.auth(), payload, &mut rng).unwrap();
        assert_eq!(r.decrypt(&body).unwrap(), payload);
        let mut altered = body.clone();
        altered[100] ^= 1;
        assert!(matches!(r.decrypt(&altered), Err(Error::Protocol(_))));
        assert!(matches!(
            r.push_token("http://up.example.net/x"),
            Err(Error::WebPushEndpoint(_))
        ));
        assert_eq!(r.auth().len(), 22);
    }
}
