//! The plaintexts of the handover mailbox (docs/protocol.md §11.3): the accounts the old
//! phone hands over, and the new phone's receipt with a statement for every push
//! account it takes over. Both are JSON inside the seal; secrets are zeroized on drop
//! and never in Debug output.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::mailbox::from_json_limited as parse_limited;
use super::statement::HandoverStatement;
use super::MAX_HANDOVER_ACCOUNTS;
use crate::encoding::{b64_decode_array, b64_encode, b64_vec};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, EnrollmentId};
use crate::keys::{ChannelKey, DevicePublicKey};
use crate::kinds::{ApprovalKind, Custody};
use crate::relay_url::RelayUrl;
use crate::rp_id::RpId;

/// Every account the old phone hands over, in its display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverAccounts {
    /// At most [`MAX_HANDOVER_ACCOUNTS`].
    pub accounts: Vec<HandoverAccount>,
}

impl HandoverAccounts {
    pub(crate) fn to_json(&self) -> Result<String> {
        if self.accounts.len() > MAX_HANDOVER_ACCOUNTS {
            return Err(Error::TooLarge {
                field: "accounts",
                limit: MAX_HANDOVER_ACCOUNTS,
            });
        }
        Ok(crate::encoding::to_json(self))
    }

    pub(crate) fn from_json(json: &[u8]) -> Result<Self> {
        let accounts: Self = parse_limited(json)?;
        if accounts.accounts.len() > MAX_HANDOVER_ACCOUNTS {
            return Err(Error::TooLarge {
                field: "accounts",
                limit: MAX_HANDOVER_ACCOUNTS,
            });
        }
        Ok(accounts)
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum HandoverAccount {
    /// A TOTP or HOTP account (the HOTP counter is in the URI).
    Otp(OtpTransfer),
    /// A Steam Guard account.
    Steam(OtpTransfer),
    /// A push account: its codes, and what the new phone needs to take over the
    /// enrollment once the RP has swapped the device key.
    Push(PushTransfer),
}

/// An OTP account: its name in the app and its `otpauth://` URI (which holds the
/// secret). Debug shows the name only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpTransfer {
    /// The name the user gave it in the app.
    pub name: String,
    /// The `otpauth://` URI, secret included.
    pub uri: String,
}

impl core::fmt::Debug for OtpTransfer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OtpTransfer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Drop for OtpTransfer {
    fn drop(&mut self) {
        self.uri.zeroize();
    }
}

/// A push account. The channel key moves with it (the RP keeps sealing under it), the
/// device key does not: the new phone makes its own and the RP swaps it in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushTransfer {
    /// Its codes: name and `otpauth://` URI, as an OTP account.
    pub otp: OtpTransfer,
    /// The RP.
    pub rp: RpId,
    /// The relay of the enrollment.
    pub relay: RelayUrl,
    /// The enrollment's offer id.
    pub eid: EnrollmentId,
    /// The device id (kept across the swap).
    pub device_id: DeviceId,
    /// The old phone's device key, which the statement replaces.
    pub device_pub: DevicePublicKey,
    /// The channel key, base64url (secret).
    k_chan: String,
    /// The weakest approval kind the phone accepts.
    pub min: ApprovalKind,
    /// The RP requires user verification: the new key is made with it.
    pub uv: bool,
    /// Who holds the RP's keys.
    pub custody: Custody,
}

impl PushTransfer {
    /// Describes a push account.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        otp: OtpTransfer,
        rp: RpId,
        relay: RelayUrl,
        eid: EnrollmentId,
        device_id: DeviceId,
        device_pub: DevicePublicKey,
        k_chan: &ChannelKey,
        min: ApprovalKind,
        uv: bool,
        custody: Custody,
    ) -> Self {
        Self {
            otp,
            rp,
            relay,
            eid,
            device_id,
            device_pub,
            k_chan: b64_encode(k_chan.expose_secret()),
            min,
            uv,
            custody,
        }
    }

    /// The channel key.
    pub fn channel_key(&self) -> Result<ChannelKey> {
        let mut bytes = b64_decode_array::<32>(&self.k_chan, "k_chan")?;
        let key = ChannelKey::from_bytes(bytes);
        bytes.zeroize();
        Ok(key)
    }
}

impl core::fmt::Debug for PushTransfer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PushTransfer")
            .field("otp", &self.otp)
            .field("rp", &self.rp)
            .field("relay", &self.relay)
            .field("device_id", &self.device_id)
            .field("min", &self.min)
            .field("uv", &self.uv)
            .field("custody", &self.custody)
            .finish_non_exhaustive()
    }
}

impl Drop for PushTransfer {
    fn drop(&mut self) {
        self.k_chan.zeroize();
    }
}

/// The new phone's answer: which accounts it stored, and a statement for each push
/// account it takes over.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverReceipt {
    /// Indexes (into the offer's accounts) of the OTP and Steam accounts it stored:
    /// the old phone may delete those.
    pub stored: Vec<u32>,
    /// One per push account it takes over.
    pub replacements: Vec<ReplacementOffer>,
}

impl HandoverReceipt {
    pub(crate) fn to_json(&self) -> Result<String> {
        if self.stored.len() + self.replacements.len() > MAX_HANDOVER_ACCOUNTS {
            return Err(Error::TooLarge {
                field: "receipt",
                limit: MAX_HANDOVER_ACCOUNTS,
            });
        }
        Ok(crate::encoding::to_json(self))
    }

    pub(crate) fn from_json(json: &[u8]) -> Result<Self> {
        let receipt: Self = parse_limited(json)?;
        if receipt.stored.len() + receipt.replacements.len() > MAX_HANDOVER_ACCOUNTS {
            return Err(Error::TooLarge {
                field: "receipt",
                limit: MAX_HANDOVER_ACCOUNTS,
            });
        }
        Ok(receipt)
    }
}

/// The new phone's statement for the push account at `index` of the offer, signed by
/// its new key, and its push token for the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplacementOffer {
    /// The account's index in the offer.
    pub index: u32,
    /// The statement (the old phone checks that it names its own device and key).
    pub statement: HandoverStatement,
    /// The new key's signature over it.
    #[serde(with = "b64_vec")]
    pub new_signature: Vec<u8>,
    /// The new phone's push token (empty for poll).
    pub push_token: String,
}
