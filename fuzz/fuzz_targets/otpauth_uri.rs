//! `otpauth://` URIs as scanned from a QR code or pasted by the user
//! (`OtpAuth::parse`, which the phone's "add account" and the vault's
//! migrations call).
//!
//! Checks: parsing never panics; whatever parses renders to a URI that parses
//! back to the same account, and rendering is a fixed point
//! (`to_uri(parse(to_uri(x))) == to_uri(x)`).
#![no_main]

use assent_otp::{OtpAuth, OtpKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(account) = OtpAuth::parse(text) else {
        return;
    };
    // The documented round-trip holds for digits 6..=8 and a period of at
    // least 1; the parser must never produce anything else.
    assert!(
        (6..=8).contains(&account.digits),
        "parsed digits out of range"
    );
    if let OtpKind::Totp { period } = account.kind {
        assert!(period >= 1, "parsed a zero period");
    }
    let uri = account.to_uri();
    let again = OtpAuth::parse(&uri);
    assert_eq!(
        again.as_ref(),
        Ok(&account),
        "render → parse changed the account"
    );
    if let Ok(again) = again {
        assert_eq!(*again.to_uri(), *uri, "rendering is not a fixed point");
    }
});
