//! The Assent wire protocol, version 1: message types and the exact bytes that are
//! signed, MACed, wrapped or sealed. Shared by the phone (mobile core), the relay and the
//! RP library. No I/O: time is an argument, randomness an injected `CryptoRng`, and device
//! signing goes through the [`Signer`] trait.
//!
//! The normative description is `docs/protocol.md`; its test vectors are checked by this
//! crate's tests.
//!
//! # Phone side (mobile core)
//!
//! - [`Offer::parse_uri`] / [`Offer::from_json`] (time passed in), then
//!   [`Registration::make`] with the account's [`Signer`] → registration JSON and the
//!   [`ChannelKey`] to store.
//! - [`EnrollmentAnswer::open`] → [`Enrolled`] (device id, [`TotpParams`], minimum kind);
//!   show the TOTP code for activation ([`Activation`] in the in-app flow).
//! - [`PushPayload`] → [`PushPayload::is_for`] picks the one enrollment whose relay to
//!   ask → fetch with [`RequestAuth::sign`] → [`Challenge::open`] (kind ≥ min,
//!   expiry estimate, authenticity; keep [`ChallengeId`]s until `expires_at` to refuse
//!   repeats) → [`Answer::make`].
//! - [`PushTokenUpdate`], [`UnenrollRequest::make`] and [`UnenrollConfirmation::open`].
//! - Moving to a new phone: [`handover`] (the QR, the session keys and confirmation
//!   code, the sealed mailbox messages, the signed [`handover::HandoverStatement`]).
//! - Web Push (UnifiedPush): [`webpush::WebPushKeys`] makes the subscription keys, its
//!   [`webpush::WebPushSubscription`] is the `webpush` push token, and
//!   [`webpush::WebPushKeys::decrypt`] opens a message into the [`PushPayload`] JSON.
//!
//! # RP side (RP library)
//!
//! - [`Offer::make`] → [`Offer::to_uri`] / [`Offer::to_json`], keep [`OfferSecrets`].
//! - [`Registration::verify`] → [`VerifiedRegistration`] (pin `device_pub`, keep the
//!   channel key) → [`EnrollmentAnswer::seal`]; activation compares the TOTP code.
//! - [`Challenge::make`] (store the [`Challenge`]) → [`verify_answer`] →
//!   [`VerifiedAnswer::outcome`] (constant-time `entered` comparison, `uv` rule).
//! - [`UnenrollRequest::verify`] → [`UnenrollConfirmation::seal`].
//! - [`handover::HandoverRequest::verify`] (against the pinned key, by the RP's clock)
//!   → swap the key → [`handover::HandoverConfirmation::seal`].
//!
//! # Relay
//!
//! - [`Registration::from_json`] / [`Registration::check_shape`], [`RequestAuth::from_headers`]
//!   → [`RequestAuth::check_time`] → [`RequestAuth::verify`], [`PushPayload::derive`] (the
//!   push and its [`RouteTag`] for the device's key),
//!   [`PushTokenUpdate::is_newer_than`], [`webpush::encrypt`] for Web Push devices. In
//!   managed custody it may call the RP functions.
#![forbid(unsafe_code)]

mod answer;
pub mod api;
#[cfg(feature = "ca-pem")]
pub mod ca_pem;
mod challenge;
pub mod clock;
mod context;
mod encoding;
mod enrollment;
mod error;
pub mod handover;
mod ids;
mod keys;
mod kinds;
mod offer;
mod push;
mod registration;
mod relay_url;
mod request;
mod route;
mod rp_id;
mod seal;
mod signer;
#[cfg(any(test, feature = "test-vectors"))]
pub mod testing;
mod unenroll;
#[cfg(test)]
mod vectors;
pub mod webpush;
mod wrap;

pub use answer::{
    answer_signing_input, entered_matches, verify_answer, Answer, Outcome, VerifiedAnswer,
};
pub use assent_otp::{Algorithm, Secret};
pub use challenge::{
    challenge_header, Challenge, ChallengeParams, OpenedChallenge, DEFAULT_CHALLENGE_TTL,
    SEALED_CONTEXT_LEN,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{LoginContext, CONTEXT_PADDED_LEN, MAX_CLIENT, MAX_LOCATION};
pub use encoding::{b64_decode, b64_encode, sha256, Enc};
pub use enrollment::{
    enrolled_aad, Activation, Enrolled, EnrollmentAnswer, TotpParams, MAX_TOTP_SECRET,
};
pub use error::{Error, Result, SignError};
pub use ids::{ChallengeId, DeviceId, EnrollmentId, HandoverId, PushId, ReplacementId};
pub use keys::{
    ChannelKey, DevicePublicKey, EnrollmentSecret, RpKeyPair, RpPublicKey, MAX_DER_SIGNATURE,
};
pub use kinds::{ApprovalKind, Custody, Decision, Platform};
pub use offer::{
    Offer, OfferParams, OfferSecrets, MAX_ACCOUNT, MAX_ISSUER, MAX_OFFER_URI, OFFER_URI_PREFIX,
};
pub use push::{PushPayload, PushTokenUpdate, PUSH_PAYLOAD_LEN};
pub use registration::{
    derive_bind_key, registration_input, Registration, VerifiedRegistration, MAX_DEVICE_NAME,
    MAX_PUSH_TOKEN,
};
pub use relay_url::RelayUrl;
pub use request::{
    request_signing_input, RequestAuth, HEADER_DEVICE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SKEW,
};
pub use route::{RouteTag, ROUTE_TAG_LEN};
pub use rp_id::RpId;
pub use seal::{open, seal, NONCE_LEN, SEAL_OVERHEAD, TAG_LEN};
pub use signer::{Signer, SoftwareSigner};
pub use unenroll::{unenroll_signing_input, unenrolled_aad, UnenrollConfirmation, UnenrollRequest};
pub use wrap::{unwrap_channel_key, wrap_channel_key, wrap_info, WRAPPED_LEN};

/// The protocol version this crate speaks.
pub const VERSION: u32 = 1;

/// The largest JSON message any parser here accepts, checked before parsing.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
