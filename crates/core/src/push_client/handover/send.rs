//! The old phone's side: read the new phone's QR, seal the chosen accounts
//! into the mailbox, then read the new phone's receipt: delete the codes it
//! stored and send each push account's RP a handover countersigned by the
//! account's device key.

use assent_otp::OtpKind;
use assent_protocol::api;
use assent_protocol::handover::{
    EphemeralPublicKey, EphemeralSecret, HandoverAccount, HandoverAccounts, HandoverInvite,
    HandoverOffer, HandoverReply, HandoverRequest, MailboxSlot, OtpTransfer, PushTransfer,
    SessionKeys,
};

use super::{out_of_order, refused};
use crate::error::{Error, HandoverError, Result};
use crate::push_client::relay::ok_body;
use crate::push_client::rng::with_rng;
use crate::push_client::{protocol_error, signer, PushClient};
use crate::transport::Method;
use crate::vault::{Account, AccountId, AccountKind, PushHandover};

/// A handover from this phone, from the scanned QR to the new phone's
/// receipt. Kept in memory while the phones talk; Debug shows no secret.
pub struct OutgoingHandover {
    invite: HandoverInvite,
    pk_old: EphemeralPublicKey,
    keys: SessionKeys,
    /// The accounts offered, in the offer's order.
    sent: Vec<AccountId>,
    offer: Option<HandoverOffer>,
    finished: Option<Sent>,
}

impl std::fmt::Debug for OutgoingHandover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingHandover")
            .field("invite", &self.invite)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl OutgoingHandover {
    /// The six digits to compare with the new phone's screen, `"042 917"`.
    pub fn confirmation_code(&self) -> String {
        self.keys.confirmation_code()
    }

    /// What the new phone calls itself (from its QR; only the matching code
    /// proves it is the phone in the user's hand).
    pub fn new_phone_name(&self) -> &str {
        &self.invite.name
    }
}

/// What the new phone's receipt did here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sent {
    /// OTP accounts the new phone stored, now deleted here (their names).
    pub moved_codes: Vec<String>,
    /// Push accounts whose handover reached their relay: deleted here once the
    /// RP confirms ([`PushClient::check_handovers`]).
    pub handed_over: Vec<AccountId>,
    /// Push accounts whose handover is signed but could not be sent yet
    /// (the relay was unreachable); `check_handovers` sends it again.
    pub not_sent: Vec<AccountId>,
    /// Accounts the new phone did not take, or whose statement was refused
    /// here; they stay on this phone as they were (account, reason).
    pub kept: Vec<(AccountId, String)>,
}

impl PushClient {
    /// Old phone: reads the new phone's handover QR. Show
    /// [`OutgoingHandover::confirmation_code`] and the accounts to move, ask
    /// the user to check that the new phone shows the same code, then call
    /// [`Self::send_handover`].
    pub fn scan_handover(&mut self, uri: &str) -> Result<OutgoingHandover> {
        let invite = HandoverInvite::parse_uri(uri, self.relay_now())
            .map_err(|e| Error::Handover(HandoverError::Invite(e)))?;
        let secret = with_rng(self.vault.rng(), |rng| EphemeralSecret::make(rng))?
            .map_err(protocol_error)?;
        let pk_old = secret.public_key();
        let keys = SessionKeys::derive(
            &secret,
            &invite.pk,
            &invite.hid,
            &invite.sc,
            &invite.pk,
            &pk_old,
        )
        .map_err(|e| Error::Handover(HandoverError::Invite(e)))?;
        Ok(OutgoingHandover {
            invite,
            pk_old,
            keys,
            sent: Vec::new(),
            offer: None,
            finished: None,
        })
    }

    /// Old phone: the user confirmed. Seals the accounts `ids` (every account
    /// when empty; push accounts that are being removed or handed over
    /// already are left out) and puts them in the mailbox. HOTP accounts
    /// make no new code here until [`Self::finish_handover`] or
    /// [`Self::cancel_handover`]. Calling it again resends the same offer.
    pub async fn send_handover(
        &mut self,
        handover: &mut OutgoingHandover,
        ids: &[AccountId],
    ) -> Result<()> {
        if handover.offer.is_none() {
            let chosen: Vec<Account> = self
                .vault
                .accounts()
                .iter()
                .filter(|a| ids.is_empty() || ids.contains(a.id()))
                .filter(|a| match a.kind() {
                    AccountKind::Push(p) => {
                        p.unenroll_requested_at.is_none() && p.handover.is_none()
                    }
                    AccountKind::Otp | AccountKind::Steam => true,
                })
                .cloned()
                .collect();
            if chosen.is_empty() {
                return Err(refused("no account to move"));
            }
            let accounts = HandoverAccounts {
                accounts: chosen.iter().map(transfer).collect(),
            };
            let inv = &handover.invite;
            let offer = with_rng(self.vault.rng(), |rng| {
                HandoverOffer::seal(
                    &handover.keys,
                    &inv.hid,
                    &inv.pk,
                    &handover.pk_old,
                    &accounts,
                    rng,
                )
            })?
            .map_err(protocol_error)?;
            for account in &chosen {
                if matches!(account.otp().kind, OtpKind::Hotp { .. }) {
                    self.vault.set_frozen(account.id(), true);
                }
            }
            handover.sent = chosen.iter().map(|a| a.id().clone()).collect();
            handover.offer = Some(offer);
        }
        let Some(offer) = &handover.offer else {
            return Err(out_of_order("no offer"));
        };
        let path = api::handover_slot(&handover.invite.hid, MailboxSlot::Offer);
        let relay = handover.invite.relay.clone();
        let body = offer.to_json();
        self.put_slot(&relay, path, body).await
    }

    /// Old phone: abandons a handover; HOTP accounts make codes again.
    /// Nothing else changed on this phone before the receipt arrived.
    pub fn cancel_handover(&mut self, handover: OutgoingHandover) {
        for id in &handover.sent {
            self.vault.set_frozen(id, false);
        }
    }

    /// Old phone: the new phone's receipt, once it is in the mailbox
    /// (`Ok(None)` until then). Deletes the OTP accounts the new phone
    /// stored; for each push account it takes over, checks its statement
    /// (this device, this key, the new key's signature), countersigns it with
    /// the device key and sends it to the account's relay for the RP. A
    /// receipt that does not open is [`HandoverError::Tampered`] and changes
    /// nothing.
    pub async fn finish_handover(
        &mut self,
        handover: &mut OutgoingHandover,
    ) -> Result<Option<Sent>> {
        if handover.offer.is_none() {
            return Err(out_of_order("send the offer first"));
        }
        if let Some(done) = &handover.finished {
            return Ok(Some(done.clone()));
        }
        let path = api::handover_slot(&handover.invite.hid, MailboxSlot::Reply);
        let relay = handover.invite.relay.clone();
        let Some(body) = self.get_slot(&relay, path).await? else {
            return Ok(None);
        };
        let inv = &handover.invite;
        let receipt = HandoverReply::from_json(&body)
            .and_then(|r| r.open(&handover.keys, &inv.hid, &inv.pk, &handover.pk_old))
            .map_err(|_| Error::Handover(HandoverError::Tampered))?;
        let mut sent = Sent::default();
        let mut stored = receipt.stored.clone();
        stored.sort_unstable();
        stored.dedup();
        for index in stored {
            let Some(id) = handover.sent.get(index as usize).cloned() else {
                continue;
            };
            let Ok(account) = self.vault.account(&id) else {
                continue;
            };
            if matches!(account.kind(), AccountKind::Push(_)) {
                continue; // push accounts leave only on the RP's confirmation
            }
            let name = account.name().to_owned();
            self.vault.remove(&id)?;
            self.vault.set_frozen(&id, false);
            sent.moved_codes.push(name);
        }
        let mut taken = Vec::new();
        for offer in receipt.replacements {
            let Some(id) = handover.sent.get(offer.index as usize).cloned() else {
                continue;
            };
            if taken.contains(&id) {
                continue;
            }
            taken.push(id.clone());
            match self.hand_over(&id, offer).await {
                Ok(true) => sent.handed_over.push(id),
                Ok(false) => sent.not_sent.push(id),
                Err(e) => sent.kept.push((id, e.to_string())),
            }
        }
        for id in &handover.sent {
            self.vault.set_frozen(id, false);
            if !taken.contains(id) && self.vault.account(id).is_ok() {
                sent.kept
                    .push((id.clone(), "the new phone did not take it".into()));
            }
        }
        handover.finished = Some(sent.clone());
        Ok(Some(sent))
    }

    /// Countersigns the new phone's statement for push account `id`, keeps
    /// the request in the vault and sends it. `Ok(false)` when it is kept but
    /// could not reach the relay yet.
    async fn hand_over(
        &mut self,
        id: &AccountId,
        offer: assent_protocol::handover::ReplacementOffer,
    ) -> Result<bool> {
        let push = self.push_enrollment(id)?.clone();
        if push.handover.is_some() {
            return Err(refused("already handed over"));
        }
        let request = HandoverRequest::make(
            &signer(self.keys.as_ref(), &push),
            &push.rp_id,
            &push.device_id,
            offer.statement,
            offer.new_signature,
            offer.push_token,
        )
        .map_err(|e| match e {
            assent_protocol::Error::Sign(s) => Error::Sign(s),
            _ => refused("the new phone's statement does not fit this account"),
        })?;
        let mark = PushHandover::Outgoing {
            request: request.clone(),
            sent: false,
        };
        self.set_push(id, |p| p.handover = Some(mark))?;
        self.send_handover_request(id, &request).await
    }

    /// Posts a kept handover request; marks it sent once the relay took it.
    pub(super) async fn send_handover_request(
        &mut self,
        id: &AccountId,
        request: &HandoverRequest,
    ) -> Result<bool> {
        let push = self.push_enrollment(id)?.clone();
        let body = request.to_json().into_bytes();
        let reply = match self
            .call_signed(&push, Method::Post, api::HANDOVER, body)
            .await
        {
            Ok(reply) => reply,
            Err(Error::Transport(e)) => {
                tracing::info!(error = %e, "handover request not sent yet");
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        ok_body(reply)?;
        self.set_push(id, |p| {
            if let Some(PushHandover::Outgoing { sent, .. }) = &mut p.handover {
                *sent = true;
            }
        })?;
        Ok(true)
    }
}

/// The transfer form of an account.
fn transfer(account: &Account) -> HandoverAccount {
    let otp = OtpTransfer {
        name: account.name().to_owned(),
        uri: account.otp().to_uri().to_string(),
    };
    match account.kind() {
        AccountKind::Otp => HandoverAccount::Otp(otp),
        AccountKind::Steam => HandoverAccount::Steam(otp),
        AccountKind::Push(p) => HandoverAccount::Push(PushTransfer::new(
            otp,
            p.rp_id.clone(),
            p.relay_url.clone(),
            p.enrollment_id,
            p.device_id,
            p.device_pub.clone(),
            &p.channel_key,
            p.min_kind,
            p.user_verification,
            p.custody,
        )),
    }
}
