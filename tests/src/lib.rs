//! Shared harness for Assent's cross-crate flow tests: the phone ([`assent_core`]), the
//! relying party ([`assent_rp`]) and the real relay in process ([`HookedRelay`]) behind hooks
//! that can turn it hostile, wired together in a [`World`]; and the real relay served over TLS on loopback
//! ([`real_relay`]) for end-to-end tests.
//!
//! This crate is test code only (`publish = false`): it panics on setup failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod backend;
pub mod log_scan;
pub mod real_relay;
pub mod relay;
pub mod relay_handover;
pub mod relay_pair;
pub mod support;
pub mod world;

pub use relay::{Hook, HookedRelay, Hooks};
pub use support::{context, high_s_twin, CountingHasher, FastHasher, RecordingEvents};
pub use world::{
    relay_url, rp_id, Config, Enrolled, Phone, Relays, StoreKind, World, ALICE, RELAY_URL, RP_ID,
    T0,
};
