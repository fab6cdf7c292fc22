//! Upgrades older vault payloads to the current format, one step at a time.
//!
//! `STEPS[v]` turns a version-`v` payload into a version-`v + 1` payload;
//! a vault of version `v` runs `STEPS[v..]`. Steps work on JSON values and
//! never see the encryption (all versions share the envelope layout).
//!
//! History:
//! - v0 (early prototypes): `{"uris": ["otpauth://…", …]}`, no ids.
//! - v1: `{"accounts": [{"id", "name", "uri"}]}`.
//! - v2 (current): structured accounts with a kind, plus `totp_offset`
//!   (see `record`).

use assent_otp::OtpAuth;
use serde_json::{json, Map, Value};
use zeroize::{Zeroize, Zeroizing};

use super::envelope::FORMAT_VERSION;
use super::record::AccountRecord;
use crate::error::{Error, Result};
use crate::random::RandomSource;
use crate::vault::{default_name, Account, AccountId};

type Step = fn(&Value, &mut dyn RandomSource) -> Result<Value>;

/// `STEPS[v]` migrates version `v` to `v + 1`.
const STEPS: [Step; FORMAT_VERSION as usize] = [v0_to_v1, v1_to_v2];

/// Returns `payload` (of format `version`) as a current-format payload.
pub(crate) fn migrate(
    version: u16,
    payload: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<Zeroizing<Vec<u8>>> {
    let start = usize::from(version);
    let steps = STEPS
        .get(start..)
        .ok_or(Error::UnsupportedVersion(version))?;
    if steps.is_empty() {
        return Ok(Zeroizing::new(payload.to_vec()));
    }
    let mut value: Value = serde_json::from_slice(payload)
        .map_err(|_| Error::Malformed("old vault payload is not JSON"))?;
    for step in steps {
        let next = step(&value, rng);
        scrub(&mut value);
        value = next?;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(4096));
    let written = serde_json::to_writer(&mut *out, &value);
    scrub(&mut value);
    written.map_err(|_| Error::Malformed("cannot encode migrated vault"))?;
    Ok(out)
}

/// Overwrites every string in `value` (they may hold secrets).
fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

fn v0_to_v1(v0: &Value, rng: &mut dyn RandomSource) -> Result<Value> {
    let uris = v0
        .get("uris")
        .and_then(Value::as_array)
        .ok_or(Error::Malformed("v0 vault without uris"))?;
    let mut accounts = Vec::with_capacity(uris.len());
    for uri in uris {
        let uri = uri.as_str().ok_or(Error::Malformed("v0 uri is not text"))?;
        let otp = OtpAuth::parse(uri)?;
        let id = AccountId::make(rng)?;
        accounts.push(json!({ "id": id.as_str(), "name": default_name(&otp), "uri": uri }));
    }
    Ok(json!({ "accounts": accounts }))
}

fn v1_to_v2(v1: &Value, _rng: &mut dyn RandomSource) -> Result<Value> {
    let old = v1
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or(Error::Malformed("v1 vault without accounts"))?;
    let mut accounts = Vec::with_capacity(old.len());
    for entry in old {
        let field = |name: &'static str| {
            entry
                .get(name)
                .and_then(Value::as_str)
                .ok_or(Error::Malformed("v1 account lacks id, name or uri"))
        };
        let otp = OtpAuth::parse(field("uri")?)?;
        let mut account = Account::new(AccountId::new(field("id")?), otp)?;
        account.name = field("name")?.to_owned();
        let record = serde_json::to_value(AccountRecord::from(&account))
            .map_err(|_| Error::Malformed("cannot encode migrated account"))?;
        accounts.push(record);
    }
    let mut out = Map::new();
    out.insert("accounts".into(), Value::Array(accounts));
    out.insert("totp_offset".into(), json!(0));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::record::decode;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const URI: &str = "otpauth://totp/ACME:jo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME";

    #[test]
    fn v0_gets_ids_and_names() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let v0 = serde_json::to_vec(&json!({ "uris": [URI, URI] })).unwrap();
        let data = decode(&migrate(0, &v0, &mut rng).unwrap()).unwrap();
        assert_eq!(data.accounts.len(), 2);
        assert_ne!(data.accounts[0].id(), data.accounts[1].id());
        assert_eq!(data.accounts[0].name(), "ACME: jo");
        assert_eq!(data.totp_offset, 0);
    }

    #[test]
    fn current_is_unchanged() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let out = migrate(FORMAT_VERSION, b"{\"accounts\":[]}", &mut rng).unwrap();
        assert_eq!(out.as_slice(), b"{\"accounts\":[]}");
    }

    #[test]
    fn bad_old_payloads_are_errors() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(matches!(
            migrate(0, b"[]", &mut rng),
            Err(Error::Malformed(_))
        ));
        let bad_uri = serde_json::to_vec(&json!({ "uris": ["http://nope"] })).unwrap();
        assert!(matches!(migrate(0, &bad_uri, &mut rng), Err(Error::Uri(_))));
        assert!(matches!(
            migrate(1, b"{\"accounts\":[{}]}", &mut rng),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            migrate(9, b"{}", &mut rng),
            Err(Error::UnsupportedVersion(9))
        ));
    }

    /// Regenerates tests/fixtures/vault_v{0,1}.bin from the JSON beside them.
    #[test]
    #[ignore = "writes the committed fixtures"]
    fn write_migration_fixtures() {
        use crate::storage::{seal_with, VaultKey};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let key = VaultKey::from_bytes([0x42; 32]);
        for version in [0u16, 1] {
            let json = std::fs::read(dir.join(format!("vault_v{version}.json"))).unwrap();
            let nonce = [u8::try_from(version).unwrap() + 1; 12];
            let sealed = seal_with(&key, version, nonce, json.trim_ascii()).unwrap();
            std::fs::write(dir.join(format!("vault_v{version}.bin")), sealed).unwrap();
        }
    }

    #[test]
    fn scrub_clears_strings() {
        let mut v = json!({ "a": ["secret"], "b": { "c": "more" } });
        scrub(&mut v);
        assert_eq!(v, json!({ "a": [""], "b": { "c": "" } }));
    }
}
