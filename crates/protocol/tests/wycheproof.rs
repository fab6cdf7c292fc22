//! Every Wycheproof ECDSA P-256/SHA-256 (DER) vector through the crate's verification path
//! (`DevicePublicKey::from_sec1` then `DevicePublicKey::verify`). Data: tests/data/, copied
//! unchanged from C2SP/wycheproof (see tests/data/WYCHEPROOF.md).

use assent_protocol::DevicePublicKey;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    #[serde(rename = "numberOfTests")]
    number_of_tests: usize,
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "publicKey")]
    public_key: Key,
    sha: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Key {
    curve: String,
    uncompressed: String,
}

#[derive(Deserialize)]
struct Case {
    #[serde(rename = "tcId")]
    id: u32,
    msg: String,
    sig: String,
    result: String,
}

#[test]
fn wycheproof_ecdsa_p256_sha256_der() {
    let data = include_str!("data/ecdsa_secp256r1_sha256_test.json");
    let file: File = serde_json::from_str(data).unwrap();
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    let mut wrong = Vec::new();
    for group in &file.groups {
        assert_eq!(group.public_key.curve, "secp256r1");
        assert_eq!(group.sha, "SHA-256");
        let key = DevicePublicKey::from_sec1(&hex::decode(&group.public_key.uncompressed).unwrap());
        for case in &group.tests {
            let msg = hex::decode(&case.msg).unwrap();
            let sig = hex::decode(&case.sig).unwrap();
            let accepted = match &key {
                Ok(key) => key.verify(&msg, &sig).is_ok(),
                Err(_) => false,
            };
            match case.result.as_str() {
                "valid" => {
                    valid += 1;
                    if !accepted {
                        wrong.push(case.id);
                    }
                }
                "invalid" => {
                    invalid += 1;
                    if accepted {
                        wrong.push(case.id);
                    }
                }
                "acceptable" => acceptable += 1,
                other => panic!("unknown result {other}"),
            }
        }
    }
    assert_eq!(file.number_of_tests, 484);
    assert_eq!(
        (valid, invalid, acceptable),
        (174, 310, 0),
        "truncated or changed file"
    );
    assert!(wrong.is_empty(), "misjudged cases: {wrong:?}");
}
