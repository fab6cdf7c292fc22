//! The two messages of the handover mailbox (docs/protocol.md §11.3), each sealed under
//! one direction's session key:
//!
//! ```text
//! offer  (old → new) = {"pk": pk_old, "sealed": AES-256-GCM(k_o2n, aad_offer, accounts JSON)}
//! reply  (new → old) = {"sealed": AES-256-GCM(k_n2o, aad_reply, receipt JSON)}
//! aad_offer = enc("assent/v1/handover-offer", hid, pk_new, pk_old)
//! aad_reply = enc("assent/v1/handover-reply", hid, pk_new, pk_old)
//! ```
//!
//! The relay stores each slot once and hands it to whoever knows `hid`; it sees the old
//! phone's public key and ciphertext, never `pk_new`, `sc` or a plaintext.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::keys::{EphemeralPublicKey, SessionKeys};
use super::payload::{HandoverAccounts, HandoverReceipt};
use super::MAX_HANDOVER_MESSAGE;
use crate::encoding::{b64_vec, Enc};
use crate::error::{Error, Result};
use crate::ids::HandoverId;
use crate::seal::{open, seal};

/// The mailbox's two slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxSlot {
    /// Old → new: the accounts.
    Offer,
    /// New → old: the receipt and the new device keys.
    Reply,
}

impl MailboxSlot {
    /// The path word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Reply => "reply",
        }
    }

    /// Parses the path word.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "offer" => Ok(Self::Offer),
            "reply" => Ok(Self::Reply),
            _ => Err(Error::invalid("slot", "unknown mailbox slot")),
        }
    }
}

impl core::fmt::Display for MailboxSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn aad(
    label: &str,
    hid: &HandoverId,
    pk_new: &EphemeralPublicKey,
    pk_old: &EphemeralPublicKey,
) -> Vec<u8> {
    Enc::new(label)
        .bytes(hid.as_bytes())
        .bytes(pk_new.as_bytes())
        .bytes(pk_old.as_bytes())
        .finish()
}

/// `enc("assent/v1/handover-offer", hid, pk_new, pk_old)`.
pub fn offer_aad(
    hid: &HandoverId,
    pk_new: &EphemeralPublicKey,
    pk_old: &EphemeralPublicKey,
) -> Vec<u8> {
    aad("assent/v1/handover-offer", hid, pk_new, pk_old)
}

/// `enc("assent/v1/handover-reply", hid, pk_new, pk_old)`.
pub fn reply_aad(
    hid: &HandoverId,
    pk_new: &EphemeralPublicKey,
    pk_old: &EphemeralPublicKey,
) -> Vec<u8> {
    aad("assent/v1/handover-reply", hid, pk_new, pk_old)
}

/// Parses a mailbox message, refusing more than [`MAX_HANDOVER_MESSAGE`] bytes first.
pub(super) fn from_json_limited<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T> {
    if json.len() > MAX_HANDOVER_MESSAGE {
        return Err(Error::TooLarge {
            field: "handover message",
            limit: MAX_HANDOVER_MESSAGE,
        });
    }
    serde_json::from_slice(json).map_err(|e| Error::json(&e))
}

/// Old → new, in the `offer` slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverOffer {
    /// The old phone's ephemeral key.
    pub pk: EphemeralPublicKey,
    /// The accounts, sealed under `k_o2n`.
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

impl HandoverOffer {
    /// Old phone: seals the accounts.
    pub fn seal(
        keys: &SessionKeys,
        hid: &HandoverId,
        pk_new: &EphemeralPublicKey,
        pk_old: &EphemeralPublicKey,
        accounts: &HandoverAccounts,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        let plain = Zeroizing::new(accounts.to_json()?);
        let sealed = seal(
            &keys.o2n,
            &offer_aad(hid, pk_new, pk_old),
            plain.as_bytes(),
            rng,
        )?;
        let offer = Self {
            pk: pk_old.clone(),
            sealed,
        };
        if offer.to_json().len() > MAX_HANDOVER_MESSAGE {
            return Err(Error::TooLarge {
                field: "handover message",
                limit: MAX_HANDOVER_MESSAGE,
            });
        }
        Ok(offer)
    }

    /// New phone: opens the accounts (any change is [`Error::Tampered`]).
    pub fn open(
        &self,
        keys: &SessionKeys,
        hid: &HandoverId,
        pk_new: &EphemeralPublicKey,
    ) -> Result<HandoverAccounts> {
        let plain = open(&keys.o2n, &offer_aad(hid, pk_new, &self.pk), &self.sealed)?;
        HandoverAccounts::from_json(&plain)
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        from_json_limited(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}

/// New → old, in the `reply` slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverReply {
    /// The receipt, sealed under `k_n2o`.
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

impl HandoverReply {
    /// New phone: seals the receipt.
    pub fn seal(
        keys: &SessionKeys,
        hid: &HandoverId,
        pk_new: &EphemeralPublicKey,
        pk_old: &EphemeralPublicKey,
        receipt: &HandoverReceipt,
        rng: &mut impl CryptoRng,
    ) -> Result<Self> {
        let plain = receipt.to_json()?;
        let sealed = seal(
            &keys.n2o,
            &reply_aad(hid, pk_new, pk_old),
            plain.as_bytes(),
            rng,
        )?;
        Ok(Self { sealed })
    }

    /// Old phone: opens the receipt.
    pub fn open(
        &self,
        keys: &SessionKeys,
        hid: &HandoverId,
        pk_new: &EphemeralPublicKey,
        pk_old: &EphemeralPublicKey,
    ) -> Result<HandoverReceipt> {
        let plain = open(&keys.n2o, &reply_aad(hid, pk_new, pk_old), &self.sealed)?;
        HandoverReceipt::from_json(&plain)
    }

    /// Parses the JSON form.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        from_json_limited(json)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        crate::encoding::to_json(self)
    }
}
