//! Push delivery for the Assent relay: APNs (HTTP/2, token auth), FCM HTTP v1 and Web
//! Push (RFC 8030 with RFC 8291 encryption and VAPID, for UnifiedPush) clients that wake
//! a phone with nothing but a random per-push id.
//!
//! - [`apns::ApnsClient`], [`fcm::FcmClient`] and [`webpush::WebPushClient`] implement
//!   [`PushProvider`]: one
//!   send is one push to one device token, retried on transient provider errors
//!   with exponential backoff and jitter, honouring `Retry-After`, never past the
//!   challenge's deadline ([`retry`]).
//! - Every provider answer maps to one [`Outcome`]: delivered, dead token (stop
//!   using it, the phone polls), or a [`Failure`] with a reason.
//! - [`Dispatcher`] picks the provider by the device's platform, runs each send in
//!   its own task behind a per-provider concurrency limit, and falls back to
//!   poll-only when there are no credentials or no token.
//! - [`metrics::PushMetrics`] is the hook for per-provider counters and latency.
//! - With the `mock` feature, [`mock`] has local mock APNs and FCM servers
//!   (HTTP/2 over TLS with a test CA) and a mock Web Push service, with scripted
//!   answers.
//!
//! Time and randomness are injected ([`Clock`], the jitter RNG). Secrets (signing
//! keys, JWTs, OAuth tokens, device tokens) are redacted in `Debug`, zeroized on
//! drop and never logged.

pub mod apns;
mod clock;
mod dispatch;
mod error;
pub mod fcm;
mod http;
pub mod metrics;
#[cfg(feature = "mock")]
pub mod mock;
mod outcome;
mod pem;
mod provider;
pub mod retry;
mod secret;
pub mod webpush;

#[cfg(any(test, feature = "mock"))]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
pub use dispatch::{Dispatcher, DispatcherConfig, Push};
pub use error::{Error, Result};
pub use outcome::{Failure, Outcome, ProviderKind};
pub use provider::{PushProvider, PushTarget};
pub use secret::DeviceToken;

pub use assent_protocol::{Platform, PushId, PushPayload, RouteTag};
