//! Property tests of the otpauth:// parser and renderer.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn kind() -> impl Strategy<Value = OtpKind> {
    prop_oneof![
        (1u64..=u64::MAX).prop_map(|period| OtpKind::Totp { period }),
        (1u64..=300).prop_map(|period| OtpKind::Totp { period }),
        any::<u64>().prop_map(|counter| OtpKind::Hotp { counter }),
    ]
}

/// Names with the characters that matter to the syntax, plus any unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ :a-zA-Z0-9+%&=?#/@.~é✓]{0,24}",
        "( |:)*[a-z]{0,4}(:| )*",
    ]
}

fn auth() -> impl Strategy<Value = OtpAuth> {
    (
        kind(),
        proptest::option::of(name()),
        name(),
        proptest::collection::vec(any::<u8>(), 10..=64),
        algorithm(),
        6u8..=8,
    )
        .prop_map(
            |(kind, issuer, account, secret, algorithm, digits)| OtpAuth {
                kind,
                issuer,
                account,
                secret: Secret::from_bytes(secret).unwrap(),
                algorithm,
                digits,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn render_then_parse_is_identity(a in auth()) {
        let uri = a.to_uri();
        let back = OtpAuth::parse(&uri);
        prop_assert_eq!(back.as_ref(), Ok(&a), "{}", uri.as_str());
        // And the rendered form is stable.
        let again = back.unwrap().to_uri();
        prop_assert_eq!(again.as_str(), uri.as_str());
    }

    #[test]
    fn secrets_round_trip_through_base32(bytes in proptest::collection::vec(any::<u8>(), 10..=128)) {
        let s = Secret::from_bytes(bytes.clone()).unwrap();
        let text = s.to_base32();
        let upper = Secret::from_base32(&text).unwrap();
        let lower = Secret::from_base32(&text.to_lowercase()).unwrap();
        prop_assert_eq!(upper.as_bytes(), &bytes[..]);
        prop_assert_eq!(lower.as_bytes(), &bytes[..]);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = OtpAuth::parse(&s);
    }

    #[test]
    fn arbitrary_otpauth_strings_never_panic(
        t in "(totp|hotp|TOTP|xotp|)",
        rest in any::<String>(),
        params in "([a-z%=&+:0-9A-Z/?#]{0,40})",
    ) {
        let _ = OtpAuth::parse(&format!("otpauth://{rest}"));
        let _ = OtpAuth::parse(&format!("otpauth://{t}/{rest}"));
        let _ = OtpAuth::parse(&format!("otpauth://{t}/{rest}?{params}"));
        let _ = OtpAuth::parse(&format!("otpauth://{t}/a?secret=JBSWY3DPEHPK3PXP&{params}"));
    }

    #[test]
    fn errors_never_contain_the_secret(a in auth(), cut in 0usize..400, junk in "[%&=a-z]{0,3}") {
        // Damage a valid URI at some point; whatever error comes back must
        // not carry the secret.
        let uri = a.to_uri();
        let mut damaged = String::from(uri.as_str());
        let at = (0..=cut.min(damaged.len())).rev().find(|i| damaged.is_char_boundary(*i)).unwrap_or(0);
        damaged.insert_str(at, &junk);
        if let Err(e) = OtpAuth::parse(&damaged) {
            let text = format!("{e} {e:?}").to_uppercase();
            let secret = a.secret.to_base32();
            prop_assert!(!text.contains(&secret[..16]), "{}", text);
        }
    }
}

#[test]
fn debug_of_parsed_uri_never_shows_the_secret() {
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let a = OtpAuth::parse(&format!("otpauth://totp/X:y?secret={secret}&issuer=X")).unwrap();
    let dbg = format!("{a:?} {a:#?} {:?} {:?}", a.totp().unwrap(), a.secret);
    assert!(!dbg.contains(secret));
    assert!(!dbg.contains("GEZDGNBV"));
    assert!(!dbg.contains("12345678901234567890"));
    let bytes = format!("{:?}", a.secret.as_bytes());
    assert!(!dbg.contains(&bytes[1..20]));
}
