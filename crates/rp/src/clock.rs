//! Time, injected: the one [`Clock`] of `assent-protocol`, so the phone, the RP and
//! the relay share a trait and tests one clock. Every decision that depends on time
//! (TOTP steps, throttling delays, "last used" stamps) reads it from a [`Clock`].

pub use assent_protocol::clock::{Clock, ManualClock, SystemClock};
