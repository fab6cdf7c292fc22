//! Web Push (RFC 8030) for phones without Google Play services, reached through a
//! UnifiedPush distributor: the subscription the phone registers, and the message
//! encryption both ends run (RFC 8291 on the `aes128gcm` content coding of RFC 8188).
//!
//! - [`WebPushSubscription`]: the push service's endpoint URL and the phone's keys
//!   (`p256dh`, `auth`), carried as the push token of [`crate::Platform::WebPush`] in the
//!   same signed [`crate::PushTokenUpdate`] as APNs/FCM tokens (docs/protocol.md §6.1).
//! - [`encrypt`] (relay) and [`WebPushKeys::decrypt`] (phone): one record, record size
//!   [`RECORD_SIZE`]. The relay encrypts only the fixed-size [`crate::PushPayload`], so
//!   every message body is [`WEBPUSH_BODY_LEN`] bytes.
//!
//! No I/O: the sender's ephemeral key and salt come from an injected `CryptoRng`
//! (the tests replay RFC 8291's worked example through it).

pub(crate) mod ece;
mod keys;
mod subscription;

pub use ece::{encrypt, HEADER_LEN, OVERHEAD, RECORD_SIZE, WEBPUSH_BODY_LEN};
pub use keys::{WebPushKeys, AUTH_LEN, P256DH_LEN};
pub use subscription::{WebPushSubscription, MAX_ENDPOINT};
