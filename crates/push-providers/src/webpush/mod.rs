//! Web Push (RFC 8030) for phones without Google Play services: one `POST` of the
//! encrypted push payload (RFC 8291, `aes128gcm`) to the endpoint URL a UnifiedPush
//! distributor gave the app, authenticated with VAPID (RFC 8292).
//!
//! The endpoint is chosen by the phone, so it is outbound traffic to an address the relay
//! did not pick: every send goes through the operator's [`AddressPolicy`] (the relay
//! passes its webhook rules: public addresses and the networks it opened), checked for
//! address literals before the request and, for names, in the resolver, which hands the
//! connection only addresses that passed.

mod address;
mod answer;
mod client;
mod random;
mod vapid;

pub use address::AddressPolicy;
pub use client::{WebPushClient, WebPushConfig};
pub use random::KeyRandom;
pub use vapid::{VapidKey, VAPID_JWT_LIFETIME, VAPID_JWT_REFRESH};
