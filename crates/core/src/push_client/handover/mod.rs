//! Moving accounts to a new phone (docs/protocol.md §11), push accounts
//! included, with no backup code and nothing typed on a computer.
//!
//! New phone: [`PushClient::start_handover`] opens a mailbox at a relay and
//! gives the QR; [`PushClient::poll_handover`] returns the old phone's offer
//! with the confirmation code; once the user saw the same code on both phones,
//! [`PushClient::accept_handover`] stores the accounts and answers.
//!
//! Old phone: [`PushClient::scan_handover`] reads the QR and gives the code;
//! [`PushClient::send_handover`] seals the accounts the user chose;
//! [`PushClient::finish_handover`] reads the answer, deletes the codes the
//! new phone stored and sends the RP a handover signed by each push account's
//! device key.
//!
//! Both: [`PushClient::check_handovers`] fetches the RP's confirmations. The
//! new phone starts approving with an account, and the old phone deletes it,
//! only once the RP's confirmation opened under the channel key; until then
//! both keep working as before.

mod progress;
mod receive;
mod send;

pub use progress::HandoverProgress;
pub use receive::{HandoverPreview, IncomingHandover, PreviewAccount, PreviewKind, Received};
pub use send::{OutgoingHandover, Sent};

use assent_protocol::handover::HandoverAccount;

use crate::error::{Error, HandoverError};

/// The preview line of one account of an offer.
fn preview(account: &HandoverAccount) -> PreviewAccount {
    let (otp, kind, rp_id) = match account {
        HandoverAccount::Otp(t) => (t, None, None),
        HandoverAccount::Steam(t) => (t, Some(PreviewKind::Steam), None),
        HandoverAccount::Push(p) => (&p.otp, Some(PreviewKind::Push), Some(p.rp.to_string())),
    };
    let parsed = assent_otp::OtpAuth::parse(&otp.uri).ok();
    let kind = kind.unwrap_or(match parsed.as_ref().map(|o| &o.kind) {
        Some(assent_otp::OtpKind::Hotp { .. }) => PreviewKind::Hotp,
        _ => PreviewKind::Totp,
    });
    PreviewAccount {
        name: otp.name.clone(),
        issuer: parsed.and_then(|o| o.issuer.clone()),
        kind,
        rp_id,
    }
}

fn refused(why: &'static str) -> Error {
    Error::Handover(HandoverError::Refused(why))
}

fn out_of_order(why: &'static str) -> Error {
    Error::Handover(HandoverError::OutOfOrder(why))
}
