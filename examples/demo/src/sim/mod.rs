//! The simulated phone ([`SimPhone`], at `/phone`, built on the same core an app
//! embeds) so the whole login can be tried in one browser with one command. It
//! reaches the real relay the demo starts in process (`crate::embedded`) over HTTPS;
//! with `--relay-url` the demo talks to a running relay instead, and the `assent phone`
//! CLI plays the phone.

pub mod phone;

pub use phone::SimPhone;
