//! Runs every vector of tests/data/otp-vectors.json (RFC 4226 appendix D,
//! RFC 6238 appendix B with per-algorithm seeds, one base32 example).
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use assent_otp::{Algorithm, Hotp, Secret, Totp};
use serde_json::Value;

fn load() -> Value {
    let text = include_str!("data/otp-vectors.json");
    serde_json::from_str(text).unwrap()
}

fn secret_ascii(v: &Value) -> Secret {
    Secret::from_bytes(v.as_str().unwrap().as_bytes().to_vec()).unwrap()
}

fn digits(v: &Value) -> u8 {
    u8::try_from(v.as_u64().unwrap()).unwrap()
}

#[test]
fn all_vectors() {
    let data = load();
    let mut ran = 0;

    let hotp_data = &data["hotp"];
    let algorithm: Algorithm = hotp_data["algorithm"].as_str().unwrap().parse().unwrap();
    let hotp = Hotp::new(
        secret_ascii(&hotp_data["secret_ascii"]),
        algorithm,
        digits(&hotp_data["digits"]),
    )
    .unwrap();
    for (counter, want) in hotp_data["codes_by_counter"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(
            hotp.code(counter as u64).to_string(),
            want.as_str().unwrap(),
            "HOTP counter {counter}"
        );
        ran += 1;
    }

    let totp_data = &data["totp"];
    let period = totp_data["period"].as_u64().unwrap();
    let t0 = totp_data["t0"].as_u64().unwrap();
    let totp_digits = digits(&totp_data["digits"]);
    let secrets = totp_data["secrets_ascii"].as_object().unwrap();
    for case in totp_data["cases"].as_array().unwrap() {
        let case = case.as_object().unwrap();
        let time = case["unix_time"].as_u64().unwrap();
        let mut algorithms = 0;
        for (name, want) in case.iter().filter(|(k, _)| *k != "unix_time") {
            let algorithm: Algorithm = name.parse().unwrap();
            let totp = Totp::new(secret_ascii(&secrets[name]), algorithm, totp_digits, period)
                .unwrap()
                .with_t0(t0);
            assert_eq!(
                totp.code_at(time).to_string(),
                want.as_str().unwrap(),
                "TOTP {name} at {time}"
            );
            algorithms += 1;
            ran += 1;
        }
        assert_eq!(algorithms, 3, "every case covers SHA1, SHA256 and SHA512");
    }

    let example = &data["base32_example"];
    let secret = Secret::from_base32(example["secret"].as_str().unwrap()).unwrap();
    let hex: String = secret
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, example["bytes_hex"].as_str().unwrap());
    assert_eq!(
        secret.to_base32().as_str(),
        example["secret"].as_str().unwrap()
    );
    ran += 1;

    // 10 HOTP + 6 times x 3 algorithms + 1 base32 example.
    assert_eq!(ran, 29);
}
