//! Headers of the relay's HTTP API. The signed-request headers of the device API are
//! [`crate::HEADER_DEVICE`], [`crate::HEADER_TIMESTAMP`] and [`crate::HEADER_SIGNATURE`].

/// The relay's clock (Unix seconds), on every relay response; phones sign with it.
pub const TIME: &str = "assent-time";

/// On the RP's answer read while no answer is there: what happened to the challenge's
/// push, as a [`super::PushState`] word (`sent`, `failed`, `dead_token`); absent while in
/// flight or when no push was tried.
pub const PUSH: &str = "assent-push-providers";
