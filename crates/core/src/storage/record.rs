//! The vault's JSON payload in the current format (version 2), and its
//! conversion to and from the in-memory accounts.
//!
//! Buffers holding serialized secrets are zeroized; serde_json error
//! messages (which may quote input) are never passed on.

use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::push_record::{PushRecord, PushStateRecord};
use crate::backup::ReactivationItem;
use crate::error::{Error, Result};
use crate::vault::{Account, AccountId, AccountKind, PushState};

/// What the vault stores: accounts in display order, the TOTP offset and the
/// phone-wide push state.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct VaultData {
    pub accounts: Vec<Account>,
    pub totp_offset: i64,
    pub push: PushState,
    /// Push accounts restored from a backup, waiting for re-enrollment.
    pub reactivation: Vec<ReactivationItem>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct VaultRecord {
    pub accounts: Vec<AccountRecord>,
    #[serde(default)]
    pub totp_offset: i64,
    #[serde(default)]
    pub push: PushStateRecord,
    /// Absent in vaults that never restored a push account (so older builds
    /// read those unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactivation: Vec<ReactivationItem>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct AccountRecord {
    pub id: String,
    pub name: String,
    pub issuer: Option<String>,
    pub account: String,
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub secret: Secret,
    pub algorithm: String,
    pub digits: u8,
    pub otp: OtpRecord,
    pub kind: KindRecord,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum OtpRecord {
    Totp { period: u64 },
    Hotp { counter: u64 },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(super) enum KindRecord {
    Otp,
    /// Steam Guard codes (added with imports; older builds refuse such a
    /// vault as malformed rather than show wrong codes).
    Steam,
    Push(Box<PushRecord>),
}

pub(crate) fn ser_secret<S: Serializer>(
    secret: &Secret,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&secret.to_base32())
}

pub(crate) fn de_secret<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
    let text = Zeroizing::new(String::deserialize(d)?);
    Secret::from_base32(&text).map_err(|_| serde::de::Error::custom("bad secret"))
}

impl From<&Account> for AccountRecord {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.as_str().to_owned(),
            name: a.name.clone(),
            issuer: a.otp.issuer.clone(),
            account: a.otp.account.clone(),
            secret: a.otp.secret.clone(),
            algorithm: a.otp.algorithm.to_string(),
            digits: a.otp.digits,
            otp: match a.otp.kind {
                OtpKind::Totp { period } => OtpRecord::Totp { period },
                OtpKind::Hotp { counter } => OtpRecord::Hotp { counter },
            },
            kind: match &a.kind {
                AccountKind::Otp => KindRecord::Otp,
                AccountKind::Steam => KindRecord::Steam,
                AccountKind::Push(p) => KindRecord::Push(Box::new(p.as_ref().into())),
            },
        }
    }
}

impl TryFrom<AccountRecord> for Account {
    type Error = Error;
    fn try_from(r: AccountRecord) -> Result<Self> {
        let algorithm: Algorithm = r
            .algorithm
            .parse()
            .map_err(|_| Error::Malformed("unknown algorithm"))?;
        let otp = OtpAuth {
            kind: match r.otp {
                OtpRecord::Totp { period } => OtpKind::Totp { period },
                OtpRecord::Hotp { counter } => OtpKind::Hotp { counter },
            },
            issuer: r.issuer,
            account: r.account,
            secret: r.secret,
            algorithm,
            digits: r.digits,
        };
        let mut account = match r.kind {
            KindRecord::Steam => Account::new_steam(AccountId::new(r.id), otp)?,
            _ => Account::new(AccountId::new(r.id), otp)?,
        };
        account.name = r.name;
        account.kind = match r.kind {
            KindRecord::Otp => AccountKind::Otp,
            KindRecord::Steam => AccountKind::Steam,
            KindRecord::Push(p) => AccountKind::Push(Box::new((*p).into())),
        };
        Ok(account)
    }
}

/// Serializes `data` as the current payload, into a zeroizing buffer.
pub(crate) fn encode(data: &VaultData) -> Result<Zeroizing<Vec<u8>>> {
    let record = VaultRecord {
        accounts: data.accounts.iter().map(AccountRecord::from).collect(),
        totp_offset: data.totp_offset,
        push: (&data.push).into(),
        reactivation: data.reactivation.clone(),
    };
    // One large allocation up front, so growth leaves no stray copies.
    let mut out = Zeroizing::new(Vec::with_capacity(1024 + 512 * data.accounts.len()));
    serde_json::to_writer(&mut *out, &record).map_err(|_| Error::Malformed("cannot encode"))?;
    Ok(out)
}

/// Parses a current payload.
pub(crate) fn decode(payload: &[u8]) -> Result<VaultData> {
    let record: VaultRecord = serde_json::from_slice(payload)
        .map_err(|_| Error::Malformed("payload does not match format version 2"))?;
    let accounts = record
        .accounts
        .into_iter()
        .map(Account::try_from)
        .collect::<Result<Vec<_>>>()?;
    let mut seen = std::collections::HashSet::new();
    if !accounts.iter().all(|a| seen.insert(a.id.clone())) {
        return Err(Error::Malformed("duplicate account id"));
    }
    Ok(VaultData {
        accounts,
        totp_offset: record.totp_offset,
        push: record.push.into(),
        reactivation: record.reactivation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_push_kind() {
        let otp = OtpAuth::parse(
            "otpauth://hotp/Acme:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&counter=5&digits=8&algorithm=SHA256",
        )
        .unwrap();
        let mut account = Account::new(AccountId::new("id1"), otp).unwrap();
        account.name = "Renamed".into();
        account.kind = AccountKind::Push(Box::new(crate::vault::sample_enrollment()));
        let data = VaultData {
            accounts: vec![account],
            totp_offset: -7,
            push: PushState {
                relay_offset: -600,
                clock_samples: vec![-3, -1],
                seen: vec![crate::vault::SeenChallenge {
                    id: assent_protocol::ChallengeId::from_bytes([9; 16]),
                    expires_at: 1_700_000_120,
                    answered: true,
                }],
            },
            reactivation: Vec::new(),
        };
        let bytes = encode(&data).unwrap();
        assert_eq!(decode(&bytes).unwrap(), data);
        // The channel key (32 × 0x4b) is in the payload only as base64url, never in Debug.
        let b64 = assent_protocol::b64_encode(&[0x4b; 32]);
        assert!(String::from_utf8_lossy(&bytes).contains(&b64));
        let dbg = format!("{data:?}");
        assert!(!dbg.contains(&b64) && !dbg.contains("75, 75"), "{dbg}");
    }

    #[test]
    fn bad_payloads_are_typed_and_quote_nothing() {
        let err = decode(br#"{"accounts":[{"id":"a","secret":"TOPSECRETVALUE"}]}"#).unwrap_err();
        assert!(matches!(err, Error::Malformed(_)));
        assert!(!err.to_string().contains("TOPSECRET"));
        assert!(decode(b"not json").is_err());
    }
}
