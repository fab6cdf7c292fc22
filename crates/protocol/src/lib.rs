//! The Assent wire protocol, version 1: message types and the exact bytes that are
//! signed, MACed, wrapped or sealed. Shared by the phone (mobile core), the relay and the
//! RP library. No I/O: time is an argument, randomness an injected `CryptoRng`, and device
//! signing goes through the [`Signer`] trait.
//!
//! The normative description is `docs/protocol.md`; its test vectors are checked by this
//! crate's tests.
#![forbid(unsafe_code)]

mod encoding;
mod error;
mod ids;
mod keys;
mod kinds;
mod offer;
mod relay_url;
mod rp_id;
mod seal;
mod signer;
mod wrap;

pub use encoding::{b64_decode, b64_encode, sha256, Enc};
pub use error::{Error, Result, SignError};
pub use ids::{ChallengeId, DeviceId, EnrollmentId, PushId};
pub use keys::{
    ChannelKey, DevicePublicKey, EnrollmentSecret, RpKeyPair, RpPublicKey, MAX_DER_SIGNATURE,
};
pub use kinds::{ApprovalKind, Custody, Decision, Platform};
pub use offer::{
    Offer, OfferParams, OfferSecrets, MAX_ACCOUNT, MAX_ISSUER, MAX_OFFER_URI, OFFER_URI_PREFIX,
};
pub use relay_url::RelayUrl;
pub use rp_id::RpId;
pub use seal::{open, seal, NONCE_LEN, SEAL_OVERHEAD, TAG_LEN};
pub use signer::{Signer, SoftwareSigner};
pub use wrap::{unwrap_channel_key, wrap_channel_key, wrap_info, WRAPPED_LEN};

/// The protocol version this crate speaks.
pub const VERSION: u32 = 1;

/// The largest JSON message any parser here accepts, checked before parsing.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
