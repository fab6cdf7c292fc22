//! Both phones, after the mailbox: fetch the RP's sealed confirmation of
//! every key swap under way. The new phone starts approving with the account;
//! the old phone deletes its copy and its device key. The confirmation opens
//! only under the channel key, which the relay does not have, so a relay can
//! neither activate the new phone early nor make the old phone give up an
//! account the RP did not move.

use assent_protocol::api::{self, ErrorBody, ErrorCode};
use assent_protocol::handover::HandoverConfirmation;

use super::super::relay::ok_body;
use crate::error::Result;
use crate::push_client::PushClient;
use crate::transport::{DeviceCall, Method};
use crate::vault::{AccountId, PushEnrollment, PushHandover};

/// How long after a statement's expiry a phone still waits for a late
/// confirmation (the RP may have swapped the key just before the expiry and
/// the relay may have been down since).
pub const HANDOVER_GRACE: u64 = 24 * 3600;

/// What one [`PushClient::check_handovers`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandoverProgress {
    /// New phone: the RP swapped in this phone's key; approvals work now.
    pub activated: Vec<AccountId>,
    /// Old phone: the RP moved the account away; deleted here with its key.
    pub moved_away: Vec<AccountId>,
    /// Still waiting for the RP.
    pub waiting: Vec<AccountId>,
    /// New phone: the handover expired unconfirmed (the RP refused it or never
    /// saw it). Codes still work; remove the account and enroll it again.
    /// Old phone: the account simply stays (these are not listed).
    pub expired: Vec<AccountId>,
    /// Something did not open or could not be asked (account, reason); the
    /// account is unchanged.
    pub errors: Vec<(AccountId, String)>,
}

impl PushClient {
    /// Checks every handover under way on this phone (call it when the app
    /// opens and every few seconds while a handover screen shows). Resends
    /// a countersigned request the relay has not taken yet.
    pub async fn check_handovers(&mut self) -> Result<HandoverProgress> {
        let mut progress = HandoverProgress::default();
        for (id, push) in self.push_accounts() {
            let Some(mark) = push.handover.clone() else {
                continue;
            };
            if let Err(e) = self.check_one(&id, &push, &mark, &mut progress).await {
                progress.errors.push((id, e.to_string()));
            }
        }
        Ok(progress)
    }

    async fn check_one(
        &mut self,
        id: &AccountId,
        push: &PushEnrollment,
        mark: &PushHandover,
        progress: &mut HandoverProgress,
    ) -> Result<()> {
        if let PushHandover::Outgoing {
            request,
            sent: false,
        } = mark
        {
            self.send_handover_request(id, request).await?;
        }
        let statement = mark.statement();
        let call = DeviceCall {
            method: Method::Get,
            path: api::replacement(&statement.rid),
            body: Vec::new(),
            auth: None,
        };
        let reply = self.call(&push.relay_url, call).await?;
        let waiting = reply.status == 404
            && matches!(
                ErrorBody::code_of(&reply.body),
                Some(ErrorCode::NotReady | ErrorCode::UnknownHandover)
            );
        if waiting {
            let over = self.relay_now() >= statement.expires_at.saturating_add(HANDOVER_GRACE);
            match mark {
                PushHandover::Incoming(_) if over => progress.expired.push(id.clone()),
                PushHandover::Outgoing { .. } if over => {
                    // Interrupted: the account stays here as it always worked.
                    self.set_push(id, |p| p.handover = None)?;
                }
                _ => progress.waiting.push(id.clone()),
            }
            return Ok(());
        }
        let confirmation = HandoverConfirmation::from_json(&ok_body(reply)?)
            .map_err(crate::error::Error::Protocol)?;
        confirmation
            .open(&push.rp_id, statement, &push.channel_key)
            .map_err(|_| crate::error::Error::Handover(crate::error::HandoverError::Tampered))?;
        match mark {
            PushHandover::Incoming(_) => {
                self.set_push(id, |p| p.handover = None)?;
                progress.activated.push(id.clone());
            }
            PushHandover::Outgoing { .. } => {
                self.vault.remove(id)?;
                if let Err(e) = self.keys.delete(&push.key_alias) {
                    tracing::warn!(error = %e, "account handed over but its old key could not be deleted");
                }
                progress.moved_away.push(id.clone());
            }
        }
        Ok(())
    }
}
