//! The backup payload (the plaintext inside the AEAD): JSON of every
//! account in display order, then the accounts waiting for re-activation.
//!
//! OTP accounts carry their secret and parameters (the vault's own
//! [`OtpRecord`]); push accounts carry only what shows the account and
//! restarts enrollment (issuer, label, RP id, relay URL), never the channel
//! key, the device key alias or the push account's TOTP secret.

use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::BackupError;
use super::ReactivationItem;
use crate::storage::record::{de_secret, ser_secret, OtpRecord};
use crate::vault::{Account, AccountKind};

/// Most accounts a backup may hold.
pub const MAX_BACKUP_ACCOUNTS: usize = 10_000;

/// The payload format version (inside the encryption).
pub(crate) const PAYLOAD_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Payload {
    pub version: u32,
    pub accounts: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Entry {
    Otp(OtpEntry),
    Steam(OtpEntry),
    Push(PushEntry),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtpEntry {
    pub name: String,
    pub issuer: Option<String>,
    pub account: String,
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub secret: Secret,
    pub algorithm: String,
    pub digits: u8,
    pub otp: OtpRecord,
}

#[derive(Serialize, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushEntry {
    pub name: String,
    pub issuer: Option<String>,
    pub account: String,
    pub rp_id: String,
    pub relay_url: String,
}

impl OtpEntry {
    fn of(a: &Account) -> Self {
        Self {
            name: a.name().to_owned(),
            issuer: a.otp().issuer.clone(),
            account: a.otp().account.clone(),
            secret: a.otp().secret.clone(),
            algorithm: a.otp().algorithm.to_string(),
            digits: a.otp().digits,
            otp: match a.otp().kind {
                OtpKind::Totp { period } => OtpRecord::Totp { period },
                OtpKind::Hotp { counter } => OtpRecord::Hotp { counter },
            },
        }
    }

    /// The OTP parameters, or why they are unusable.
    pub fn otp_auth(&self) -> Result<OtpAuth, BackupError> {
        let algorithm: Algorithm = self
            .algorithm
            .parse()
            .map_err(|_| BackupError::Malformed("unknown algorithm"))?;
        Ok(OtpAuth {
            kind: match self.otp {
                OtpRecord::Totp { period } => OtpKind::Totp { period },
                OtpRecord::Hotp { counter } => OtpKind::Hotp { counter },
            },
            issuer: self.issuer.clone(),
            account: self.account.clone(),
            secret: self.secret.clone(),
            algorithm,
            digits: self.digits,
        })
    }
}

impl From<&ReactivationItem> for PushEntry {
    fn from(r: &ReactivationItem) -> Self {
        Self {
            name: r.name.clone(),
            issuer: r.issuer.clone(),
            account: r.account.clone(),
            rp_id: r.rp_id.clone(),
            relay_url: r.relay_url.clone(),
        }
    }
}

/// The payload of these accounts and pending re-activations, as zeroizing JSON.
pub(crate) fn encode(
    accounts: &[Account],
    pending: &[ReactivationItem],
) -> Result<Zeroizing<Vec<u8>>, BackupError> {
    let mut entries: Vec<Entry> = accounts
        .iter()
        .map(|a| match a.kind() {
            AccountKind::Otp => Entry::Otp(OtpEntry::of(a)),
            AccountKind::Steam => Entry::Steam(OtpEntry::of(a)),
            AccountKind::Push(p) => Entry::Push(PushEntry {
                name: a.name().to_owned(),
                issuer: a.otp().issuer.clone(),
                account: a.otp().account.clone(),
                rp_id: p.rp_id().as_str().to_owned(),
                relay_url: p.relay_url().as_str().to_owned(),
            }),
        })
        .collect();
    entries.extend(pending.iter().map(|r| Entry::Push(r.into())));
    if entries.len() > MAX_BACKUP_ACCOUNTS {
        return Err(BackupError::TooLarge);
    }
    let payload = Payload {
        version: PAYLOAD_VERSION,
        accounts: entries,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(256 + 384 * payload.accounts.len()));
    serde_json::to_writer(&mut *out, &payload)
        .map_err(|_| BackupError::Malformed("cannot encode"))?;
    Ok(out)
}

/// Parses a decrypted payload (serde messages, which may quote input, are dropped).
pub(crate) fn decode(bytes: &[u8]) -> Result<Payload, BackupError> {
    let payload: Payload = serde_json::from_slice(bytes)
        .map_err(|_| BackupError::Malformed("payload does not match the schema"))?;
    if payload.version != PAYLOAD_VERSION {
        return Err(BackupError::Malformed("unknown payload version"));
    }
    if payload.accounts.len() > MAX_BACKUP_ACCOUNTS {
        return Err(BackupError::TooLarge);
    }
    Ok(payload)
}
