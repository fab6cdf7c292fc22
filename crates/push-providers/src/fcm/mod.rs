//! FCM HTTP v1: OAuth2 service-account tokens and `messages:send`.

mod client;
mod errors;
mod oauth;
mod payload;

pub use client::{FcmClient, FcmConfig, FCM_BASE_URL};
pub use oauth::{ServiceAccount, FCM_SCOPE};
pub use payload::{android_message, DATA_LEN};
