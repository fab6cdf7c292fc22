//! Structure-aware twin of `otpauth_uri`: builds an arbitrary account
//! (issuer and account names with any characters, any secret length the
//! crate accepts, every algorithm, kind and parameter), renders it and
//! parses it back.
//!
//! Checks the documented property `parse(&x.to_uri()) == Ok(x)` for every
//! value whose digits is 6..=8 and whose TOTP period is at least 1, so the
//! renderer's escaping and the parser's label split agree on every name.
#![no_main]

use arbitrary::Arbitrary;
use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Account {
    totp: bool,
    period_or_counter: u64,
    issuer: Option<String>,
    account: String,
    secret: Vec<u8>,
    algorithm: u8,
    digits: u8,
}

fuzz_target!(|input: Account| {
    let Ok(secret) = Secret::from_bytes(input.secret) else {
        return;
    };
    let algorithm = match input.algorithm % 3 {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        _ => Algorithm::Sha512,
    };
    let kind = if input.totp {
        OtpKind::Totp {
            period: input.period_or_counter.max(1),
        }
    } else {
        OtpKind::Hotp {
            counter: input.period_or_counter,
        }
    };
    let account = OtpAuth {
        kind,
        issuer: input.issuer,
        account: input.account,
        secret,
        algorithm,
        digits: 6 + input.digits % 3,
    };
    let uri = account.to_uri();
    assert_eq!(OtpAuth::parse(&uri), Ok(account), "uri: {:?}", *uri);
});
