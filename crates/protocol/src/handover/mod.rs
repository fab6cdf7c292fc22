//! Moving accounts from an old phone to a new one (docs/protocol.md §11).
//!
//! 1. The new phone opens a mailbox at a relay and shows a [`HandoverInvite`] QR: the
//!    relay URL, the mailbox id `hid`, an ephemeral key `pk_new` and a secret `sc`.
//! 2. The old phone scans it, makes its own ephemeral key, derives the
//!    [`SessionKeys`] and shows their confirmation code; the user picks the accounts
//!    and confirms. It puts a [`HandoverOffer`] (the [`HandoverAccounts`], sealed) in
//!    the mailbox.
//! 3. The new phone derives the same keys, shows the same code, and once the user
//!    confirms that both codes match it stores the OTP accounts, makes a device key per
//!    push account, writes a [`HandoverStatement`] for each, signs it with the new key
//!    and puts a [`HandoverReply`] (the [`HandoverReceipt`], sealed) in the mailbox.
//! 4. The old phone deletes the OTP accounts the receipt lists, countersigns each
//!    statement with its pinned key ([`HandoverRequest`]) and sends it to the
//!    account's relay in a signed device request. The RP verifies it against the key it
//!    pinned, swaps the key in one step and seals a [`HandoverConfirmation`] under the
//!    channel key; both phones fetch it by `rid`, the new one starts using the account
//!    and the old one deletes its copy.
//!
//! A photo of the QR gives an attacker `pk_new` and `sc` but not the new phone's
//! private key, so the accounts (sealed to the ECDH secret) stay closed to it; a key of
//! its own in the offer slot makes the new phone show another code than the old phone.

mod invite;
mod keys;
mod mailbox;
mod payload;
mod statement;
#[cfg(test)]
mod tests;

pub use invite::{HandoverInvite, HANDOVER_URI_PREFIX, MAX_HANDOVER_URI};
pub use keys::{
    handover_keys_info, EphemeralPublicKey, EphemeralSecret, HandoverSecret, SessionKeys,
};
pub use mailbox::{offer_aad, reply_aad, HandoverOffer, HandoverReply, MailboxSlot};
pub use payload::{
    HandoverAccount, HandoverAccounts, HandoverReceipt, OtpTransfer, PushTransfer, ReplacementOffer,
};
pub use statement::{
    handover_signing_input, replaced_aad, HandoverConfirmation, HandoverRequest, HandoverStatement,
};

/// The longest life of a handover invitation, mailbox or statement: 10 minutes.
pub const HANDOVER_MAX_TTL: u64 = 600;
/// The largest mailbox message (JSON, sealed plaintext included): 128 KiB, room for
/// about 500 accounts.
pub const MAX_HANDOVER_MESSAGE: usize = 128 * 1024;
/// The most accounts one handover moves.
pub const MAX_HANDOVER_ACCOUNTS: usize = 1000;
