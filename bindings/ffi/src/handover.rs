//! Moving accounts to a new phone (docs/mobile.md, "Changing phones"): the
//! new phone shows a QR, the old phone scans it, both show the same six
//! digits, the accounts move sealed between the two phones, and push
//! accounts move by a handover the old device key signs.

use std::sync::Arc;

use assent_core::protocol::RelayUrl;
use assent_core::AccountId;
use tokio::sync::Mutex;

use crate::assent::Assent;
use crate::error::AssentError;

/// A handover to this phone (new phone), from its QR to the answer. Lost
/// when the app process ends (the user starts again).
#[derive(uniffi::Object)]
pub struct IncomingHandover {
    inner: Mutex<assent_core::IncomingHandover>,
    qr_uri: String,
    expires_at: u64,
}

impl std::fmt::Debug for IncomingHandover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingHandover")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl IncomingHandover {
    /// The `assent://handover?…` URI to show as a QR code. It holds this
    /// handover's secret: show it only on this phone's screen.
    pub fn qr_uri(&self) -> String {
        self.qr_uri.clone()
    }
    /// When the invitation ends (relay time, Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

/// A handover from this phone (old phone), from the scanned QR to the new
/// phone's receipt.
#[derive(uniffi::Object)]
pub struct OutgoingHandover {
    inner: Mutex<Option<assent_core::OutgoingHandover>>,
    confirmation_code: String,
    new_phone_name: String,
}

impl std::fmt::Debug for OutgoingHandover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingHandover")
            .field("new_phone_name", &self.new_phone_name)
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl OutgoingHandover {
    /// The six digits to compare with the new phone's screen ("042 917").
    pub fn confirmation_code(&self) -> String {
        self.confirmation_code.clone()
    }
    /// What the new phone calls itself.
    pub fn new_phone_name(&self) -> String {
        self.new_phone_name.clone()
    }
}

/// What kind of account an offer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PreviewKind {
    /// Time-based codes.
    Totp,
    /// Counter-based codes.
    Hotp,
    /// Steam Guard codes.
    Steam,
    /// Push approvals (and codes).
    Push,
}

/// One account of the old phone's offer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PreviewAccount {
    /// Its name in the app.
    pub name: String,
    /// The service, if named.
    pub issuer: Option<String>,
    /// What it is.
    pub kind: PreviewKind,
    /// For push accounts, the login server.
    pub rp_id: Option<String>,
}

/// The old phone's offer, as the new phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverPreview {
    /// Compare with the old phone's screen; accept only when they match.
    pub confirmation_code: String,
    /// The accounts.
    pub accounts: Vec<PreviewAccount>,
}

/// An account and why something did not happen to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverNote {
    /// The account id (or, for accounts not taken by the new phone, its name).
    pub account: String,
    /// Why.
    pub reason: String,
}

/// What accepting an offer did on the new phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverReceived {
    /// OTP accounts stored (ids).
    pub stored: Vec<String>,
    /// OTP accounts this phone already had.
    pub already_present: u32,
    /// Push accounts waiting for their login server (ids): codes work now,
    /// approvals after `check_handovers` reports them activated.
    pub pending_push: Vec<String>,
    /// Accounts not taken.
    pub skipped: Vec<HandoverNote>,
}

/// What the new phone's receipt did on the old phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverSent {
    /// Names of the OTP accounts moved (deleted here).
    pub moved_codes: Vec<String>,
    /// Push accounts handed over (ids): deleted here once the login server
    /// confirms (`check_handovers`).
    pub handed_over: Vec<String>,
    /// Push accounts whose handover waits for the relay to be reachable.
    pub not_sent: Vec<String>,
    /// Accounts that stay here, and why.
    pub kept: Vec<HandoverNote>,
}

/// What `check_handovers` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverProgress {
    /// New phone: push accounts that approve logins now.
    pub activated: Vec<String>,
    /// Old phone: accounts moved away and deleted.
    pub moved_away: Vec<String>,
    /// Still waiting for the login server.
    pub waiting: Vec<String>,
    /// New phone: handovers that expired unconfirmed (enroll those again).
    pub expired: Vec<String>,
    /// Accounts that could not be checked, and why.
    pub errors: Vec<HandoverNote>,
}

fn ids(list: Vec<AccountId>) -> Vec<String> {
    list.into_iter().map(|id| id.to_string()).collect()
}

fn notes(list: Vec<(AccountId, String)>) -> Vec<HandoverNote> {
    list.into_iter()
        .map(|(id, reason)| HandoverNote {
            account: id.to_string(),
            reason,
        })
        .collect()
}

fn finished() -> AssentError {
    AssentError::invalid("this handover was cancelled")
}

#[uniffi::export(async_runtime = "tokio")]
impl Assent {
    /// New phone: opens a handover mailbox at `relay_url` (the app's relay)
    /// and returns the handover whose `qr_uri` to show.
    pub async fn start_handover(
        &self,
        relay_url: String,
    ) -> Result<Arc<IncomingHandover>, AssentError> {
        let relay = RelayUrl::parse(&relay_url).map_err(|e| AssentError::invalid(e.to_string()))?;
        let handover = self.lock().await.start_handover(&relay).await?;
        Ok(Arc::new(IncomingHandover {
            qr_uri: handover.qr_uri().to_string(),
            expires_at: handover.expires_at(),
            inner: Mutex::new(handover),
        }))
    }

    /// New phone: the old phone's offer, or null while it has not arrived
    /// (call again in a second or two).
    pub async fn poll_handover(
        &self,
        handover: Arc<IncomingHandover>,
    ) -> Result<Option<HandoverPreview>, AssentError> {
        let mut h = handover.inner.lock().await;
        let preview = self.lock().await.poll_handover(&mut h).await?;
        Ok(preview.map(|p| HandoverPreview {
            confirmation_code: p.confirmation_code,
            accounts: p
                .accounts
                .into_iter()
                .map(|a| PreviewAccount {
                    name: a.name,
                    issuer: a.issuer,
                    kind: match a.kind {
                        assent_core::PreviewKind::Totp => PreviewKind::Totp,
                        assent_core::PreviewKind::Hotp => PreviewKind::Hotp,
                        assent_core::PreviewKind::Steam => PreviewKind::Steam,
                        assent_core::PreviewKind::Push => PreviewKind::Push,
                    },
                    rp_id: a.rp_id,
                })
                .collect(),
        }))
    }

    /// New phone: the user saw the same code on both phones. Stores the
    /// accounts and answers the old phone (again when called again).
    pub async fn accept_handover(
        &self,
        handover: Arc<IncomingHandover>,
    ) -> Result<HandoverReceived, AssentError> {
        let mut h = handover.inner.lock().await;
        let r = self.lock().await.accept_handover(&mut h).await?;
        Ok(HandoverReceived {
            stored: ids(r.stored),
            already_present: u32::try_from(r.already_present).unwrap_or(u32::MAX),
            pending_push: ids(r.pending_push),
            skipped: r
                .skipped
                .into_iter()
                .map(|(account, reason)| HandoverNote { account, reason })
                .collect(),
        })
    }

    /// Old phone: reads the new phone's QR. Show `confirmation_code` and the
    /// accounts; send once the user saw the same code on the new phone.
    pub async fn scan_handover(&self, uri: String) -> Result<Arc<OutgoingHandover>, AssentError> {
        let handover = self.lock().await.scan_handover(&uri)?;
        Ok(Arc::new(OutgoingHandover {
            confirmation_code: handover.confirmation_code(),
            new_phone_name: handover.new_phone_name().to_owned(),
            inner: Mutex::new(Some(handover)),
        }))
    }

    /// Old phone: seals the accounts `account_ids` (every account when
    /// empty) into the mailbox.
    pub async fn send_handover(
        &self,
        handover: Arc<OutgoingHandover>,
        account_ids: Vec<String>,
    ) -> Result<(), AssentError> {
        let mut slot = handover.inner.lock().await;
        let h = slot.as_mut().ok_or_else(finished)?;
        let ids: Vec<AccountId> = account_ids.into_iter().map(AccountId::new).collect();
        Ok(self.lock().await.send_handover(h, &ids).await?)
    }

    /// Old phone: the new phone's receipt, or null while it has not arrived.
    pub async fn finish_handover(
        &self,
        handover: Arc<OutgoingHandover>,
    ) -> Result<Option<HandoverSent>, AssentError> {
        let mut slot = handover.inner.lock().await;
        let h = slot.as_mut().ok_or_else(finished)?;
        let sent = self.lock().await.finish_handover(h).await?;
        Ok(sent.map(|s| HandoverSent {
            moved_codes: s.moved_codes,
            handed_over: ids(s.handed_over),
            not_sent: ids(s.not_sent),
            kept: notes(s.kept),
        }))
    }

    /// Old phone: abandons the handover (nothing moved before the receipt).
    pub async fn cancel_handover(&self, handover: Arc<OutgoingHandover>) {
        if let Some(h) = handover.inner.lock().await.take() {
            self.lock().await.cancel_handover(h);
        }
    }

    /// Both phones: fetches the login servers' confirmations of the
    /// handovers under way (call when the app opens, and every few seconds
    /// on the handover screen).
    pub async fn check_handovers(&self) -> Result<HandoverProgress, AssentError> {
        let p = self.lock().await.check_handovers().await?;
        Ok(HandoverProgress {
            activated: ids(p.activated),
            moved_away: ids(p.moved_away),
            waiting: ids(p.waiting),
            expired: ids(p.expired),
            errors: notes(p.errors),
        })
    }
}
