//! The phone side of push approval against an in-memory relay that plays
//! the RP with the assent-protocol builders.
// The fake relay and helpers (not #[test] fns) unwrap, which allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

mod challenge;
mod clock;
mod enroll;
mod fake_relay;
mod phone;
mod routing;
mod unenroll;
