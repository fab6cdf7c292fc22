//! Time source: the one [`Clock`] of `assent-protocol`. Every expiry and timestamp
//! check reads time through it so tests can stand exactly on a boundary.

#[cfg(test)]
pub use assent_protocol::clock::ManualClock;
pub use assent_protocol::clock::{Clock, SystemClock};
