//! Other authenticators' export files (`assent_core::import::preview`, what
//! `Vault::import` parses before touching the vault): format detection and
//! every format's parser (otpauth lists, Google migration protobuf, Aegis,
//! 2FAS, andOTP, FreeOTP+, Bitwarden JSON/CSV, Authenticator Pro, Proton).
//!
//! Checks: never panics; detection agrees with parsing (a file that parses
//! was detected as that format); every entry that would be imported has
//! usable OTP parameters (a TOTP/HOTP generator can be made, or it is a
//! Steam account with five digits) and an `otpauth://` rendering that parses
//! back to the same account. No password is given, so encrypted files stop
//! before any key derivation (which would make each run slow); decryption is
//! covered by crates/core's tests on real encrypted files.
#![no_main]

use assent_core::import::{detect, preview};
use assent_otp::{OtpAuth, OtpKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((format, entries)) = preview(data, None) else {
        return;
    };
    assert_eq!(
        detect(data),
        Some(format),
        "parsed as a format detect() does not name"
    );
    for entry in entries {
        let Ok(otp) = entry.result else {
            continue;
        };
        if entry.steam {
            assert_eq!(otp.digits, 5, "Steam account without five digits");
            continue;
        }
        let usable = match otp.kind {
            OtpKind::Totp { .. } => otp.totp().is_ok(),
            OtpKind::Hotp { .. } => otp.hotp().is_ok(),
        };
        assert!(usable, "an entry to import cannot make codes");
        let uri = otp.to_uri();
        assert_eq!(
            OtpAuth::parse(&uri).as_ref(),
            Ok(&otp),
            "render → parse changed the entry"
        );
    }
});
