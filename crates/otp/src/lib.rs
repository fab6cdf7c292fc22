//! One-time passwords for Assent: HOTP ([RFC 4226]) and TOTP ([RFC 6238])
//! with HMAC-SHA-1/256/512, 6 to 8 digits, any period and `T0`, and
//! `otpauth://` URIs in both directions ([Google's Key URI Format]).
//!
//! The crate does no I/O and reads no clock: time is always an argument
//! (Unix seconds), so callers pick the clock and tests hit step boundaries.
//!
//! ```
//! use assent_otp::OtpAuth;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let account: OtpAuth =
//!     "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example".parse()?;
//! let totp = account.totp()?;
//! let code = totp.code_at(1_700_000_000);
//! assert_eq!(code.to_string().len(), 6);
//! assert!(code.matches(&code.to_string()));
//! assert_eq!(totp.seconds_left(1_700_000_000), 10);
//! # Ok(()) }
//! ```
//!
//! # Secrets
//!
//! [`Secret`] is zeroized on drop and redacted in `Debug`; URIs from
//! [`OtpAuth::to_uri`] and base32 from [`Secret::to_base32`] come back as
//! [`zeroize::Zeroizing`]. Errors never carry the secret or any URI value.
//! Comparisons ([`Secret`] `==`, [`Code::matches`]) are constant time.
//! One limit: [`Hotp`] and [`Totp`] hold the precomputed HMAC key (the
//! hash states after absorbing the padded key), and neither ring nor
//! RustCrypto's `hmac` zeroizes it on drop. It is as sensitive as the secret; keep generators short-lived
//! where that matters.
//!
//! # Why ring and not totp-rs
//!
//! The engine keys HMAC once per [`Hotp`]/[`Totp`] (inner and outer padded
//! states precomputed), so one code costs two hash compressions (SHA-1/256)
//! and no allocation. SHA-1 runs on RustCrypto's `sha1`, which uses the CPU's
//! SHA extensions when present (ring's SHA-1 is portable code, about 2-3x
//! slower per code on such CPUs); SHA-256/512 run on ring. `totp-rs` is used only as an independent oracle in the
//! tests: its checked constructor refuses secrets under 128 bits, while
//! Assent must accept the 80-bit secrets many services issue, and it
//! re-keys HMAC and allocates a `String` for every code.
//!
//! [RFC 4226]: https://www.rfc-editor.org/rfc/rfc4226
//! [RFC 6238]: https://www.rfc-editor.org/rfc/rfc6238
//! [Google's Key URI Format]: https://github.com/google/google-authenticator/wiki/Key-Uri-Format

mod algorithm;
mod base32;
mod code;
mod error;
mod hotp;
mod mac;
mod otpauth;
mod secret;
mod steam;
mod totp;
mod uri;

pub use algorithm::Algorithm;
pub use code::Code;
pub use error::{OtpError, UnknownAlgorithm, UriError};
pub use hotp::{Hotp, DIGITS};
pub use otpauth::{OtpAuth, OtpKind, Warning, LONG_PERIOD};
pub use secret::{Secret, MIN_SECRET_BYTES};
pub use steam::{Steam, STEAM_ALPHABET, STEAM_PERIOD};
pub use totp::Totp;
pub use zeroize::Zeroizing;
