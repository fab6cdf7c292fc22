//! Removal ("unenroll"): the RP removes the device; the phone asks with a
//! signed statement and reports success only when the RP's confirmation of
//! that very request opens under the channel key. Then the account and its
//! device key are deleted.

use assent_protocol::{api, UnenrollConfirmation, UnenrollRequest};

use super::relay::ok_body;
use super::{protocol_error, signer, PushClient};
use crate::error::{Error, Result};
use crate::transport::Method;
use crate::vault::AccountId;

impl PushClient {
    /// Asks the RP (through the relay) to remove account `id`'s enrollment.
    /// The request time is persisted first, so asking again resends the same
    /// request rather than making an older confirmation useless. Follow with
    /// [`PushClient::finish_unenroll`].
    pub async fn request_unenroll(&mut self, id: &AccountId) -> Result<()> {
        let existing = self.push_enrollment(id)?.unenroll_requested_at;
        let requested_at = match existing {
            Some(at) => at,
            None => {
                let at = self.relay_now();
                self.set_push(id, |p| p.unenroll_requested_at = Some(at))?;
                at
            }
        };
        let push = self.push_enrollment(id)?.clone();
        let request = UnenrollRequest::make(
            &signer(self.keys.as_ref(), &push),
            &push.rp_id,
            &push.device_id,
            requested_at,
        )
        .map_err(protocol_error)?;
        let body = request.to_json().into_bytes();
        let reply = self
            .call_signed(&push, Method::Post, api::UNENROLL, body)
            .await?;
        ok_body(reply).map(drop)
    }

    /// Fetches the RP's confirmation. `Ok(false)` while there is none yet
    /// (call again later); `Ok(true)` once it opened for this request, after
    /// the account is removed from the vault and its device key deleted.
    ///
    /// A confirmation that does not open for this request's `requested_at`
    /// (forged by the relay, or not for this request) is
    /// [`Error::UnenrollNotConfirmed`], and nothing is removed; if the RP
    /// removed the phone on its own meanwhile, [`Self::check_removed`] says so.
    pub async fn finish_unenroll(&mut self, id: &AccountId) -> Result<bool> {
        let requested_at = self
            .push_enrollment(id)?
            .unenroll_requested_at
            .ok_or_else(|| Error::UnenrollNotRequested(id.clone()))?;
        self.removal(id, Some(requested_at)).await
    }

    /// Asks whether the RP removed account `id`'s enrollment on its own (the
    /// user removed the phone on the account's security page). The RP tells
    /// the phone with a notice sealed under the channel key (the
    /// confirmation message, `requested_at` = the RP's removal time), which
    /// the relay can neither forge nor alter. `Ok(true)` once such a notice
    /// opened, after the account and its device key are deleted; `Ok(false)`
    /// when there is none. A notice that does not open is
    /// [`Error::UnenrollNotConfirmed`], and nothing is removed.
    pub async fn check_removed(&mut self, id: &AccountId) -> Result<bool> {
        self.push_enrollment(id)?;
        self.removal(id, None).await
    }

    /// Fetches and opens the RP's removal message, then deletes the account
    /// and its device key. `requested_at`: the phone's own request time,
    /// which the confirmation must bind; `None` accepts the RP's own notice
    /// (its removal time; only the RP can seal under the channel key).
    async fn removal(&mut self, id: &AccountId, requested_at: Option<u64>) -> Result<bool> {
        let push = self.push_enrollment(id)?.clone();
        let reply = self
            .call_signed(&push, Method::Get, api::UNENROLL, Vec::new())
            .await?;
        if reply.status == 404 {
            return Ok(false);
        }
        let confirmation =
            UnenrollConfirmation::from_json(&ok_body(reply)?).map_err(Error::Protocol)?;
        let requested_at = requested_at.unwrap_or(confirmation.requested_at);
        // `open` reads only the request's device id and time; the signature
        // was sent with the request and plays no part here.
        let request = UnenrollRequest {
            device_id: push.device_id,
            requested_at,
            signature: Vec::new(),
        };
        confirmation
            .open(&push.rp_id, &request, &push.channel_key)
            .map_err(|_| Error::UnenrollNotConfirmed)?;
        self.vault.remove(id)?;
        if let Err(e) = self.keys.delete(&push.key_alias) {
            tracing::warn!(error = %e, "account removed but its device key could not be deleted");
        }
        Ok(true)
    }
}
