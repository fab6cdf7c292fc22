//! The phone side of push approval against an in-memory relay that plays
//! the RP with the assent-protocol builders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod challenge;
mod clock;
mod enroll;
mod fake_relay;
mod phone;
mod unenroll;
