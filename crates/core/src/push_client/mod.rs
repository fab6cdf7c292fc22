//! The phone side of push approval: enrollment from an offer, challenges
//! from a push (APNs, FCM, or a decrypted Web Push message) or a poll, answers,
//! push-token updates and removal, all through [`PushClient`].
//!
//! [`PushClient`] owns the [`Vault`] (push accounts live there, with their
//! channel keys encrypted), reaches the relay through a [`RelayTransport`]
//! and signs with device keys in a [`KeyStore`]. Nothing the relay returns
//! is trusted before the protocol crate has authenticated it.
//!
//! Time: every relay reply's `Assent-Time` sets the offset used for signed
//! request timestamps (a refused timestamp is retried once); the TOTP
//! display offset moves only from challenges the RP sealed, capped at one
//! TOTP step (see [`ClockStatus`]).

mod answer;
mod challenge;
mod clock;
mod enroll;
mod handover;
mod relay;
mod rng;
mod token;
mod unenroll;
mod webpush;

use std::sync::Arc;

use assent_protocol::{DevicePublicKey, Platform};

pub use challenge::{ChallengeView, Entry, PendingChallenges, Refused};
pub use clock::ClockStatus;
pub use enroll::PendingEnrollment;
pub use handover::{
    HandoverPreview, HandoverProgress, IncomingHandover, OutgoingHandover, PreviewAccount,
    PreviewKind, Received, Sent,
};
pub use webpush::{WebPushReceiver, WEBPUSH_KEYS_BLOB};

use crate::error::{Error, Result};
use crate::keys::{KeyStore, KeyStoreSigner};
use crate::transport::RelayTransport;
use crate::vault::{AccountId, AccountKind, PushEnrollment, Vault};

/// What this phone tells the relay and the RP about itself at enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// How the relay reaches the phone (APNs, FCM, Web Push, or poll only).
    pub platform: Platform,
    /// What the login page shows about the phone, e.g. "Alice's iPhone"
    /// (1–64 bytes, no control characters).
    pub name: String,
    /// The APNs/FCM token, or for [`Platform::WebPush`] the subscription's push token
    /// ([`WebPushReceiver::push_token`]); empty for [`Platform::Poll`].
    pub push_token: String,
}

/// The phone's push-approval client: a [`Vault`], a [`RelayTransport`] and
/// a [`KeyStore`].
///
/// Methods that reach the relay are `async` (the transport's I/O); the rest
/// is synchronous. Every state change is persisted in the vault before the
/// method returns.
pub struct PushClient {
    vault: Vault,
    transport: Arc<dyn RelayTransport>,
    keys: Arc<dyn KeyStore>,
    device: DeviceInfo,
}

impl std::fmt::Debug for PushClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushClient")
            .field("vault", &self.vault)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl PushClient {
    /// A client over `vault`, reaching relays through `transport` and
    /// keeping device keys in `keys`. Time and randomness are the vault's.
    pub fn new(
        vault: Vault,
        transport: Arc<dyn RelayTransport>,
        keys: Arc<dyn KeyStore>,
        device: DeviceInfo,
    ) -> Self {
        Self {
            vault,
            transport,
            keys,
            device,
        }
    }

    /// The vault (accounts, codes).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The vault, to rename, reorder or add OTP accounts.
    pub fn vault_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }

    /// Gives the vault back.
    pub fn into_vault(self) -> Vault {
        self.vault
    }

    /// What the phone says about itself at the next enrollment.
    pub fn device_info(&self) -> &DeviceInfo {
        &self.device
    }

    /// Changes what the phone says about itself at the next enrollment
    /// (existing enrollments: see [`PushClient::update_push_token`]).
    pub fn set_device_info(&mut self, device: DeviceInfo) {
        self.device = device;
    }

    /// The push enrollment of account `id`.
    pub fn push_enrollment(&self, id: &AccountId) -> Result<&PushEnrollment> {
        match self.vault.account(id)?.kind() {
            AccountKind::Push(push) => Ok(push),
            AccountKind::Otp | AccountKind::Steam => Err(Error::NotPush(id.clone())),
        }
    }

    /// Every push account, in display order (snapshots, for calls that
    /// mutate the client while iterating).
    fn push_accounts(&self) -> Vec<(AccountId, PushEnrollment)> {
        self.vault
            .accounts()
            .iter()
            .filter_map(|a| match a.kind() {
                AccountKind::Push(p) => Some((a.id().clone(), p.as_ref().clone())),
                AccountKind::Otp | AccountKind::Steam => None,
            })
            .collect()
    }
}

/// The signer of a push account's device key.
fn signer<'a>(keys: &'a dyn KeyStore, push: &'a PushEnrollment) -> KeyStoreSigner<'a> {
    let public: DevicePublicKey = push.device_pub.clone();
    KeyStoreSigner::new(keys, &push.key_alias, public)
}

/// Maps a protocol error from building a message: a signer failure is
/// [`Error::Sign`], anything else [`Error::Protocol`].
fn protocol_error(e: assent_protocol::Error) -> Error {
    match e {
        assent_protocol::Error::Sign(s) => Error::Sign(s),
        other => Error::Protocol(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Hosts run these futures on multi-threaded executors.
    #[allow(dead_code)]
    fn futures_are_send(client: &mut PushClient, view: &ChallengeView, id: &AccountId) {
        assert_send(&client.handle_push(b""));
        assert_send(&client.pending());
        assert_send(&client.answer(view, assent_protocol::Decision::Deny, "", false));
        assert_send(&client.enroll_uri(""));
        assert_send(&client.request_unenroll(id));
        assert_send(&client.finish_unenroll(id));
        assert_send(&client.update_push_token(id, Platform::Poll, ""));
    }

    #[test]
    fn clock_diff_saturates() {
        assert_eq!(clock::diff(5, 7), -2);
        assert_eq!(clock::diff(u64::MAX, 0), i64::MAX);
        assert_eq!(clock::diff(0, u64::MAX), i64::MIN);
    }
}
