//! Push-token updates: a signed `POST` of `{"platform","push_token","seq"}`
//! with a per-device `seq` that only grows (persisted before sending), so
//! the relay applies only the newest update.

use assent_protocol::{api, Platform, PushTokenUpdate};

use super::relay::ok_body;
use super::{protocol_error, PushClient};
use crate::error::{Error, Result};
use crate::transport::Method;
use crate::vault::{AccountId, AccountKind};

impl PushClient {
    /// Tells the relay of account `id` the phone's new push token (or that it
    /// now polls: [`Platform::Poll`] with an empty token).
    pub async fn update_push_token(
        &mut self,
        id: &AccountId,
        platform: Platform,
        push_token: &str,
    ) -> Result<()> {
        let seq = self
            .push_enrollment(id)?
            .push_token_seq
            .checked_add(1)
            .ok_or(Error::CounterOverflow)?;
        let body = PushTokenUpdate {
            platform,
            push_token: push_token.to_owned(),
            seq,
        }
        .to_json()
        .map_err(protocol_error)?;
        self.set_push(id, |p| p.push_token_seq = seq)?;
        let push = self.push_enrollment(id)?.clone();
        let reply = self
            .call_signed(&push, Method::Post, api::PUSH_TOKEN, body.into_bytes())
            .await?;
        ok_body(reply)?;
        self.set_push(id, |p| p.platform = platform)
    }

    /// [`PushClient::update_push_token`] for every push account, and for
    /// future enrollments; returns the accounts that failed, with why.
    pub async fn update_push_token_everywhere(
        &mut self,
        platform: Platform,
        push_token: &str,
    ) -> Vec<(AccountId, Error)> {
        self.device.platform = platform;
        push_token.clone_into(&mut self.device.push_token);
        let mut failed = Vec::new();
        for (id, _) in self.push_accounts() {
            if let Err(e) = self.update_push_token(&id, platform, push_token).await {
                failed.push((id, e));
            }
        }
        failed
    }

    /// Changes account `id`'s push enrollment and persists it.
    pub(super) fn set_push(
        &mut self,
        id: &AccountId,
        edit: impl FnOnce(&mut crate::vault::PushEnrollment),
    ) -> Result<()> {
        self.vault.change(|data| {
            let i = crate::vault::Vault::index_of(data, id)?;
            match data.accounts.get_mut(i).map(|a| &mut a.kind) {
                Some(AccountKind::Push(p)) => {
                    edit(p);
                    Ok(())
                }
                _ => Err(Error::NotPush(id.clone())),
            }
        })
    }
}
