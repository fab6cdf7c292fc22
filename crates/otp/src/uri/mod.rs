//! `otpauth://` URIs, both directions (Google's Key URI Format).

pub(crate) mod parse;
mod percent;
pub(crate) mod render;
