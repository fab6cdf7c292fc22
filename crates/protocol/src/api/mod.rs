//! The relay's HTTP contract (docs/protocol.md §10), in one place: every path
//! ([`paths`]), every error code and the one error body ([`ErrorCode`], [`ErrorBody`]),
//! the headers ([`headers`]) and the request and response body of every route. The
//! relay's router, the phone's and the RP's relay clients and every test fake use these
//! types, so a path, a code or a field cannot drift between them.
//!
//! No I/O: serde types only; statuses are plain numbers ([`ErrorCode::status`]). The
//! `openapi` feature derives their OpenAPI schemas (utoipa) for the relay's document.

mod device;
mod error;
pub mod headers;
pub mod managed;
mod ops;
pub mod paths;
mod rp;

pub use device::{
    AnswerReceipt, AnswerState, HandoverRequested, MailboxOpened, OpenMailbox, PendingList,
    PushTokenApplied, Registered, RegisteredStatus, SlotStored, UnenrollRequested, UnenrollStatus,
    WebPushInfo,
};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
#[cfg(feature = "openapi")]
pub use ops::unsigned_64;
pub use ops::{Health, HealthStatus, WaitQuery};
pub use paths::*;
pub use rp::{
    Announce, ChallengeCreated, CreateChallenge, Delivered, EnrollmentStatus, EnrollmentView,
    HandoverList, PushRoute, PushState, RegistrationList, Removed, Replaced, SetWebhook,
    TenantInfo, UnenrollList, WebhookCreated, WebhookView,
};
