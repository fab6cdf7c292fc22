//! The new phone's side: open a mailbox, show the QR, read the old phone's
//! offer, and once the user confirmed the code store the accounts and answer
//! with a statement signed by a fresh device key for every push account.

use assent_otp::{OtpAuth, OtpKind};
use assent_protocol::api::{self, ErrorBody, ErrorCode, MailboxOpened, OpenMailbox};
use assent_protocol::handover::{
    EphemeralPublicKey, EphemeralSecret, HandoverAccount, HandoverAccounts, HandoverInvite,
    HandoverOffer, HandoverReceipt, HandoverReply, HandoverSecret, HandoverStatement, MailboxSlot,
    OtpTransfer, PushTransfer, ReplacementOffer, SessionKeys, HANDOVER_MAX_TTL,
};
use assent_protocol::{DevicePublicKey, HandoverId, RelayUrl, ReplacementId};
use zeroize::Zeroizing;

use super::{preview, refused};
use crate::error::{Error, HandoverError, Result};
use crate::keys::KeyStoreSigner;
use crate::push_client::relay::ok_body;
use crate::push_client::rng::with_rng;
use crate::push_client::{protocol_error, PushClient};
use crate::transport::{DeviceCall, Method};
use crate::vault::account::check_name;
use crate::vault::{Account, AccountId, AccountKind, PushEnrollment, PushHandover};

/// A handover to this phone, from the QR to the answer. Kept in memory by
/// the app while the two phones talk (minutes); the private key and the
/// opened accounts never leave it. Debug shows no secret.
pub struct IncomingHandover {
    secret: EphemeralSecret,
    invite: HandoverInvite,
    offer: Option<Opened>,
    answered: Option<(HandoverReply, Received)>,
}

struct Opened {
    keys: SessionKeys,
    accounts: HandoverAccounts,
    pk_old: EphemeralPublicKey,
}

impl std::fmt::Debug for IncomingHandover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingHandover")
            .field("invite", &self.invite)
            .field("offer_received", &self.offer.is_some())
            .field("answered", &self.answered.is_some())
            .finish_non_exhaustive()
    }
}

impl IncomingHandover {
    /// The URI to show as a QR code for the old phone to scan.
    pub fn qr_uri(&self) -> Zeroizing<String> {
        self.invite.to_uri()
    }

    /// When the invitation ends (relay time, Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.invite.expires_at
    }
}

/// What kind of account an offer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKind {
    /// Time-based codes.
    Totp,
    /// Counter-based codes (the counter moves to this phone).
    Hotp,
    /// Steam Guard codes.
    Steam,
    /// Push approvals (and codes); taken over once the RP confirms.
    Push,
}

/// One account of the old phone's offer, as the new phone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewAccount {
    /// Its name in the app.
    pub name: String,
    /// The service, when the account names one.
    pub issuer: Option<String>,
    /// What it is.
    pub kind: PreviewKind,
    /// For push accounts, the RP.
    pub rp_id: Option<String>,
}

/// The old phone's offer: the code to compare with the old phone's screen,
/// and the accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverPreview {
    /// Six digits, `"042 917"`; the old phone shows the same when nobody came
    /// between the two phones.
    pub confirmation_code: String,
    /// The accounts, in the old phone's order.
    pub accounts: Vec<PreviewAccount>,
}

/// What accepting an offer did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Received {
    /// OTP and Steam accounts now in the vault.
    pub stored: Vec<AccountId>,
    /// OTP accounts this phone already had (same secret and parameters).
    pub already_present: usize,
    /// Push accounts waiting for the RP to swap in this phone's key (codes
    /// work already; see [`PushClient::check_handovers`]).
    pub pending_push: Vec<AccountId>,
    /// Accounts not taken, with the reason (name, reason).
    pub skipped: Vec<(String, String)>,
}

/// The accounts to add and the receipt for the old phone, built before
/// anything is stored.
#[derive(Default)]
struct Plan {
    accounts: Vec<Account>,
    receipt: HandoverReceipt,
    received: Received,
    /// Keys made for push accounts (deleted again if the plan is dropped).
    new_keys: Vec<String>,
}

impl PushClient {
    /// New phone: opens a handover mailbox at `relay` and returns the
    /// handover, whose [`IncomingHandover::qr_uri`] the app shows.
    pub async fn start_handover(&mut self, relay: &RelayUrl) -> Result<IncomingHandover> {
        let (secret, hid, sc) = with_rng(self.vault.rng(), |rng| {
            Ok::<_, assent_protocol::Error>((
                EphemeralSecret::make(rng)?,
                HandoverId::make(rng),
                HandoverSecret::make(rng),
            ))
        })?
        .map_err(protocol_error)?;
        let opened = self.open_mailbox(relay, &hid).await?;
        let invite = HandoverInvite {
            relay: relay.clone(),
            hid,
            pk: secret.public_key(),
            sc,
            name: self.device.name.clone(),
            expires_at: opened.expires_at,
        };
        Ok(IncomingHandover {
            secret,
            invite,
            offer: None,
            answered: None,
        })
    }

    /// `POST /v1/handovers`. A phone that has never heard from this relay
    /// may propose an expiry the relay finds past: it learns the relay's time
    /// from the refusal and asks once more.
    async fn open_mailbox(&mut self, relay: &RelayUrl, hid: &HandoverId) -> Result<MailboxOpened> {
        let mut retried = false;
        loop {
            let body = OpenMailbox {
                hid: *hid,
                expires_at: self.relay_now().saturating_add(HANDOVER_MAX_TTL),
            };
            let call = DeviceCall {
                method: Method::Post,
                path: api::HANDOVERS.to_owned(),
                body: serde_json::to_vec(&body).map_err(|_| refused("cannot encode"))?,
                auth: None,
            };
            let reply = self.call(relay, call).await?;
            if reply.status == 400 && !retried {
                retried = true;
                continue;
            }
            let body = ok_body(reply)?;
            return serde_json::from_slice(&body).map_err(|_| refused("malformed relay reply"));
        }
    }

    /// New phone: the old phone's offer, once it is in the mailbox (`Ok(None)`
    /// until then: call again in a second or two). Show its
    /// [`HandoverPreview::confirmation_code`] and ask the user whether the old
    /// phone shows the same; only then call [`Self::accept_handover`].
    ///
    /// An offer that does not open (not from a phone that scanned this QR,
    /// or altered on the way) is [`HandoverError::Tampered`].
    pub async fn poll_handover(
        &mut self,
        handover: &mut IncomingHandover,
    ) -> Result<Option<HandoverPreview>> {
        if handover.offer.is_none() {
            let path = api::handover_slot(&handover.invite.hid, MailboxSlot::Offer);
            let Some(body) = self.get_slot(&handover.invite.relay, path).await? else {
                return Ok(None);
            };
            let offer = HandoverOffer::from_json(&body).map_err(|_| tampered())?;
            let inv = &handover.invite;
            let keys = SessionKeys::derive(
                &handover.secret,
                &offer.pk,
                &inv.hid,
                &inv.sc,
                &inv.pk,
                &offer.pk,
            )
            .map_err(|_| tampered())?;
            let accounts = offer
                .open(&keys, &inv.hid, &inv.pk)
                .map_err(|_| tampered())?;
            handover.offer = Some(Opened {
                keys,
                accounts,
                pk_old: offer.pk,
            });
        }
        Ok(handover.offer.as_ref().map(|o| HandoverPreview {
            confirmation_code: o.keys.confirmation_code(),
            accounts: o.accounts.accounts.iter().map(preview).collect(),
        }))
    }

    /// A mailbox slot's message, `None` while it is empty.
    pub(super) async fn get_slot(
        &mut self,
        relay: &RelayUrl,
        path: String,
    ) -> Result<Option<Vec<u8>>> {
        let call = DeviceCall {
            method: Method::Get,
            path,
            body: Vec::new(),
            auth: None,
        };
        let reply = self.call(relay, call).await?;
        if reply.status == 404 && ErrorBody::code_of(&reply.body) == Some(ErrorCode::NotReady) {
            return Ok(None);
        }
        ok_body(reply).map(Some)
    }

    /// Puts a message in a mailbox slot.
    pub(super) async fn put_slot(
        &mut self,
        relay: &RelayUrl,
        path: String,
        body: String,
    ) -> Result<()> {
        let call = DeviceCall {
            method: Method::Put,
            path,
            body: body.into_bytes(),
            auth: None,
        };
        ok_body(self.call(relay, call).await?).map(drop)
    }

    /// New phone: the user confirmed that both phones show the same code.
    /// Stores the OTP accounts, makes a device key for every push account
    /// (with user verification where the RP requires it) and stores it as
    /// waiting for the RP, then answers the old phone. Calling it again
    /// resends the same answer.
    pub async fn accept_handover(&mut self, handover: &mut IncomingHandover) -> Result<Received> {
        if handover.answered.is_none() {
            let opened = handover
                .offer
                .as_ref()
                .ok_or_else(|| super::out_of_order("no offer yet: poll first"))?;
            let plan = self.plan(&opened.accounts)?;
            let reply = with_rng(self.vault.rng(), |rng| {
                HandoverReply::seal(
                    &opened.keys,
                    &handover.invite.hid,
                    &handover.invite.pk,
                    &opened.pk_old,
                    &plan.receipt,
                    rng,
                )
            })?;
            let reply = match reply {
                Ok(reply) => reply,
                Err(e) => {
                    self.drop_keys(&plan.new_keys);
                    return Err(protocol_error(e));
                }
            };
            let Plan {
                accounts,
                received,
                new_keys,
                ..
            } = plan;
            if let Err(e) = self.vault.change(|data| {
                data.accounts.extend(accounts);
                Ok(())
            }) {
                self.drop_keys(&new_keys);
                return Err(e);
            }
            handover.answered = Some((reply, received));
        }
        let Some((reply, received)) = &handover.answered else {
            return Err(super::out_of_order("no answer"));
        };
        let path = api::handover_slot(&handover.invite.hid, MailboxSlot::Reply);
        let relay = handover.invite.relay.clone();
        let (body, received) = (reply.to_json(), received.clone());
        self.put_slot(&relay, path, body).await?;
        Ok(received)
    }

    fn drop_keys(&self, aliases: &[String]) {
        for alias in aliases {
            if let Err(e) = self.keys.delete(alias) {
                tracing::warn!(error = %e, "could not delete the key of an abandoned handover");
            }
        }
    }

    /// Decides what to store and builds the receipt; makes the push keys.
    fn plan(&mut self, offered: &HandoverAccounts) -> Result<Plan> {
        let mut plan = Plan::default();
        for (index, account) in offered.accounts.iter().enumerate() {
            let index = u32::try_from(index).map_err(|_| refused("too many accounts"))?;
            let outcome = match account {
                HandoverAccount::Otp(t) => self.plan_otp(&mut plan, index, t, false),
                HandoverAccount::Steam(t) => self.plan_otp(&mut plan, index, t, true),
                HandoverAccount::Push(p) => self.plan_push(&mut plan, index, p),
            };
            if let Err(e) = outcome {
                let name = match account {
                    HandoverAccount::Otp(t) | HandoverAccount::Steam(t) => t.name.clone(),
                    HandoverAccount::Push(p) => p.otp.name.clone(),
                };
                if matches!(e, Error::Random | Error::KeyStore(_)) {
                    self.drop_keys(&plan.new_keys);
                    return Err(e);
                }
                plan.received.skipped.push((name, e.to_string()));
            }
        }
        Ok(plan)
    }

    fn plan_otp(
        &mut self,
        plan: &mut Plan,
        index: u32,
        t: &OtpTransfer,
        steam: bool,
    ) -> Result<()> {
        let otp = OtpAuth::parse(&t.uri)?;
        let present = self
            .vault
            .accounts()
            .iter()
            .chain(plan.accounts.iter())
            .any(|a| same_codes(a.otp(), &otp));
        plan.receipt.stored.push(index);
        if present {
            plan.received.already_present += 1;
            return Ok(());
        }
        let id = AccountId::make(self.vault.rng())?;
        let mut account = if steam {
            Account::new_steam(id.clone(), otp)?
        } else {
            Account::new(id.clone(), otp)?
        };
        if let Ok(name) = check_name(&t.name) {
            account.name = name;
        }
        plan.accounts.push(account);
        plan.received.stored.push(id);
        Ok(())
    }

    fn plan_push(&mut self, plan: &mut Plan, index: u32, p: &PushTransfer) -> Result<()> {
        let present = self
            .push_accounts()
            .iter()
            .any(|(_, e)| e.rp_id == p.rp && e.device_id == p.device_id);
        if present {
            return Err(refused("this phone already has the account"));
        }
        let otp = OtpAuth::parse(&p.otp.uri)?;
        if !matches!(otp.kind, OtpKind::Totp { .. }) {
            return Err(refused("a push account's codes are time-based"));
        }
        let channel_key = p.channel_key().map_err(Error::Protocol)?;
        let mut alias = [0u8; 16];
        self.vault.rng().fill(&mut alias)?;
        let key_alias = format!("push-{}", crate::random::hex(&alias));
        let created = self.keys.create(&key_alias, p.uv)?;
        plan.new_keys.push(key_alias.clone());
        let new_pub = DevicePublicKey::from_sec1(created.as_bytes()).map_err(Error::Protocol)?;
        let rid = with_rng(self.vault.rng(), |rng| ReplacementId::make(rng))?;
        let now = self.relay_now();
        let statement = HandoverStatement {
            device_id: p.device_id,
            old_device_pub: p.device_pub.clone(),
            new_device_pub: new_pub.clone(),
            platform: self.device.platform,
            name: self.device.name.clone(),
            rid,
            issued_at: now,
            expires_at: now.saturating_add(HANDOVER_MAX_TTL),
        };
        let signer = KeyStoreSigner::new(self.keys.as_ref(), &key_alias, new_pub.clone());
        let new_signature = statement.sign_new(&signer, &p.rp).map_err(protocol_error)?;
        let id = AccountId::make(self.vault.rng())?;
        let mut account = Account::new(id.clone(), otp)?;
        if let Ok(name) = check_name(&p.otp.name) {
            account.name = name;
        }
        account.kind = AccountKind::Push(Box::new(PushEnrollment {
            rp_id: p.rp.clone(),
            relay_url: p.relay.clone(),
            enrollment_id: p.eid,
            device_id: p.device_id,
            device_pub: new_pub,
            key_alias,
            channel_key,
            min_kind: p.min,
            user_verification: p.uv,
            custody: p.custody,
            platform: self.device.platform,
            push_token_seq: 0,
            unenroll_requested_at: None,
            handover: Some(PushHandover::Incoming(statement.clone())),
        }));
        plan.accounts.push(account);
        plan.receipt.replacements.push(ReplacementOffer {
            index,
            statement,
            new_signature,
            push_token: self.device.push_token.clone(),
        });
        plan.received.pending_push.push(id);
        Ok(())
    }
}

/// Same secret and parameters: the same codes.
fn same_codes(a: &OtpAuth, b: &OtpAuth) -> bool {
    let kinds = match (&a.kind, &b.kind) {
        (OtpKind::Totp { period: x }, OtpKind::Totp { period: y }) => x == y,
        (OtpKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
        _ => false,
    };
    kinds && a.secret == b.secret && a.algorithm == b.algorithm && a.digits == b.digits
}

fn tampered() -> Error {
    Error::Handover(HandoverError::Tampered)
}
