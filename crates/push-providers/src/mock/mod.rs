//! Mock APNs, FCM and Web Push servers for tests (feature `mock`): HTTP/2 over TLS with a
//! test CA made at start, checks of what real providers check, answers scripted
//! per device token, and a record of every request so tests can assert on
//! payloads. Nothing here is for production: the FCM mock's service-account key
//! is a fixed test key.

mod apns;
mod fcm;
mod server;
mod tls;
mod webpush;

pub use apns::{reason as apns_reason, ApnsRequest, MockApns, MOCK_TOPIC};
pub use fcm::{error as fcm_error, FcmRequest, MockFcm};
pub use server::{Answer, MockError};
pub use tls::TestCa;
pub use webpush::{
    LoopbackOnly, MockWebPush, WebPushRequest, MOCK_CONTACT, MOCK_VAPID_PRIVATE_KEY,
};
