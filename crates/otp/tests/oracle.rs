//! Cross-checks the engine against totp-rs, an independent implementation.
//! totp-rs' `new_unchecked` is used because its checked constructor refuses
//! the 80-bit secrets Assent must accept.

use assent_otp::{Algorithm, Secret, Totp};
use proptest::prelude::*;

fn oracle_algorithm(a: Algorithm) -> totp_rs::Algorithm {
    match a {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

#[test]
fn totp_rs_refuses_80_bit_secrets_that_we_accept() {
    let bytes = vec![0x42; 10];
    assert!(totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes.clone()).is_err());
    assert!(Totp::new(Secret::from_bytes(bytes).unwrap(), Algorithm::Sha1, 6, 30).is_ok());
}

#[test]
fn agrees_at_the_end_of_time() {
    let bytes = vec![0x42; 20];
    let ours = Totp::new(
        Secret::from_bytes(bytes.clone()).unwrap(),
        Algorithm::Sha1,
        6,
        30,
    )
    .unwrap();
    let theirs = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
    assert_eq!(
        ours.code_at(u64::MAX).to_string(),
        theirs.generate(u64::MAX)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_totp_rs(
        secret in proptest::collection::vec(any::<u8>(), 10..=128),
        algorithm in algorithm(),
        digits in 6u8..=8,
        period in 1u64..=300,
        time in prop_oneof![0u64..=u64::MAX - 301, Just(u64::MAX - 301), 0u64..100_000],
    ) {
        let ours = Totp::new(Secret::from_bytes(secret.clone()).unwrap(), algorithm, digits, period).unwrap();
        let theirs = totp_rs::TOTP::new_unchecked(
            oracle_algorithm(algorithm), usize::from(digits), 1, period, secret);
        prop_assert_eq!(ours.code_at(time).to_string(), theirs.generate(time));
        prop_assert_eq!(ours.seconds_left(time), theirs.next_step(time) - time);
    }
}
