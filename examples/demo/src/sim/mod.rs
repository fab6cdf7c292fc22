//! The demo's simulated mode: an in-process relay ([`SimRelay`]) and a phone
//! ([`SimPhone`], at `/phone`) built on the same core an app embeds, so the
//! whole login can be tried in one browser with one command. With
//! `--relay-url` the site talks to a real relay instead and a real phone (or
//! the `assent phone` CLI) answers.

pub mod phone;
pub mod relay;

pub use phone::SimPhone;
pub use relay::SimRelay;

/// The URL offers name in simulated mode. Nothing is ever sent to it: the
/// simulated phone reaches the in-process relay directly.
pub const SIM_RELAY_URL: &str = "https://relay.simulated.invalid";
