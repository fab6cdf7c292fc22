//! APNs: HTTP/2 with token-based auth (.p8 key, ES256 JWT).

mod client;
mod jwt;
mod payload;
mod reason;

pub use client::{ApnsClient, ApnsConfig, ApnsEndpoint};
pub use jwt::{ApnsKey, JWT_MAX_AGE, JWT_MIN_AGE};
pub use payload::{ios_payload, ALERT_BODY, ALERT_TITLE, APNS_PAYLOAD_LEN};
