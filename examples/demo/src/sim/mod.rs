//! The simulated phone ([`SimPhone`], at `/phone`, built on the same core an
//! app embeds) so the whole login can be tried in one browser with one
//! command, and the simulated relay ([`SimRelay`], in memory, no TLS) used by
//! `--simulated-relay` and the in-process tests. By default the demo starts
//! the real relay in process (`crate::embedded`); with `--relay-url` it talks
//! to a running relay, and the `assent phone` CLI plays the phone.

pub mod phone;
pub mod relay;

pub use phone::SimPhone;
pub use relay::SimRelay;

/// The URL offers name in simulated mode. Nothing is ever sent to it: the
/// simulated phone reaches the in-process relay directly.
pub const SIM_RELAY_URL: &str = "https://relay.simulated.invalid";
