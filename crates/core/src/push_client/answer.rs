//! Answers: signed with the account's device key (through the
//! [`KeyStore`](crate::keys::KeyStore)) and posted as a signed request.

use assent_protocol::{api, Answer, Decision};

use super::relay::ok_body;
use super::{protocol_error, signer, ChallengeView, PushClient};
use crate::error::{Error, Result};
use crate::transport::Method;

impl PushClient {
    /// Answers a challenge the user saw: `decision` (approve, deny, or
    /// "this wasn't me"), `entered` (the number or code typed; empty for
    /// YES / NO and allowed empty for a denial), and `uv_done` (the app
    /// verified the user just now — the app's word, enforced by hardware only
    /// where the device key requires it).
    ///
    /// An approval without what the kind asks to type is refused here
    /// ([`Error::WrongEntry`]), as is one without required user verification
    /// ([`Error::UserVerificationRequired`]); whether the value is right is
    /// for the RP to judge (a wrong one is a denial there).
    pub async fn answer(
        &mut self,
        challenge: &ChallengeView,
        decision: Decision,
        entered: &str,
        uv_done: bool,
    ) -> Result<()> {
        let push = self.push_enrollment(&challenge.account_id)?.clone();
        if push.device_id != challenge.challenge.device_id {
            return Err(Error::UnknownDevice);
        }
        let kind = challenge.challenge.kind;
        let well_formed = kind.entered_is_well_formed(entered);
        if decision == Decision::Approve {
            if !well_formed {
                return Err(Error::WrongEntry(challenge.entry));
            }
            if challenge.challenge.uv && !uv_done {
                return Err(Error::UserVerificationRequired);
            }
        } else if !(entered.is_empty() || well_formed) {
            return Err(Error::WrongEntry(challenge.entry));
        }
        let answer = Answer::make(
            &signer(self.keys.as_ref(), &push),
            &push.rp_id,
            &challenge.challenge,
            decision,
            entered,
            uv_done,
        )
        .map_err(protocol_error)?;
        let body = answer.to_json().into_bytes();
        let reply = self
            .call_signed(&push, Method::Post, api::ANSWER, body)
            .await?;
        ok_body(reply)?;
        self.mark_answered(&challenge.challenge_id)
    }
}
