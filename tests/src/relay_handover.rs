//! The hostile parts of [`HookedRelay`] for phone handovers (docs/protocol.md §11):
//! rewrite or drop the mailbox messages on their way to a phone, the handover
//! requests on their way to the RP and the RP's confirmations on their way to the
//! phones, and serve forgeries the relay never stored.

use std::collections::HashMap;

use assent_protocol::api::{self, ErrorCode};
use assent_protocol::handover::{
    HandoverConfirmation, HandoverOffer, HandoverReply, HandoverRequest,
};
use assent_protocol::ReplacementId;

use crate::relay::{apply, error, Hook, HookedRelay, Reply};

/// Hooks and forgeries on the handover messages.
#[derive(Default)]
pub struct HandoverHooks {
    /// The offer, mailbox → new phone.
    pub offer: Option<Hook<HandoverOffer>>,
    /// The receipt, mailbox → old phone.
    pub reply: Option<Hook<HandoverReply>>,
    /// Handover requests, relay → RP.
    pub request: Option<Hook<HandoverRequest>>,
    /// The RP's confirmations, relay → phones.
    pub confirmation: Option<Hook<HandoverConfirmation>>,
    /// Listed to the RP beside the genuine handover requests.
    pub injected_requests: Vec<HandoverRequest>,
    /// Served to the phones as the confirmation of a replacement.
    pub forged_confirmations: HashMap<ReplacementId, HandoverConfirmation>,
}

impl HookedRelay {
    /// Rewrites (or drops) the old phone's offer on its way to the new phone.
    pub fn on_handover_offer(
        &self,
        f: impl FnMut(HandoverOffer) -> Option<HandoverOffer> + Send + 'static,
    ) {
        self.handover_hooks(|h| h.offer = Some(Box::new(f)));
    }

    /// Rewrites (or drops) the new phone's receipt on its way to the old phone.
    pub fn on_handover_reply(
        &self,
        f: impl FnMut(HandoverReply) -> Option<HandoverReply> + Send + 'static,
    ) {
        self.handover_hooks(|h| h.reply = Some(Box::new(f)));
    }

    /// Rewrites (or drops) handover requests on their way to the RP.
    pub fn on_handover_request(
        &self,
        f: impl FnMut(HandoverRequest) -> Option<HandoverRequest> + Send + 'static,
    ) {
        self.handover_hooks(|h| h.request = Some(Box::new(f)));
    }

    /// Rewrites (or drops) the RP's handover confirmations on their way to the phones.
    pub fn on_handover_confirmation(
        &self,
        f: impl FnMut(HandoverConfirmation) -> Option<HandoverConfirmation> + Send + 'static,
    ) {
        self.handover_hooks(|h| h.confirmation = Some(Box::new(f)));
    }

    /// Hostile: lists `request` to the RP beside the genuine handover requests.
    pub fn inject_handover_request(&self, request: HandoverRequest) {
        self.handover_hooks(|h| h.injected_requests.push(request));
    }

    /// Hostile: serves `confirmation` as the RP's confirmation of its `rid`.
    pub fn serve_handover_confirmation(&self, confirmation: HandoverConfirmation) {
        self.handover_hooks(|h| {
            h.forged_confirmations
                .insert(confirmation.rid, confirmation);
        });
    }

    /// A forged confirmation for a `GET /v1/replacements/{rid}`.
    pub(crate) fn forged_handover_reply(&self, path: &str) -> Option<Reply> {
        let rid = path.strip_prefix("/v1/replacements/")?;
        let rid = ReplacementId::parse(rid).ok()?;
        self.handover_hooks(|h| {
            h.forged_confirmations
                .get(&rid)
                .map(|c| (200, c.to_json().into_bytes()))
        })
    }

    /// The hostile rewrite of a successful device `GET` reply on a handover path, or
    /// `None` when `path` is not one.
    pub(crate) fn rewrite_handover_device_reply(&self, path: &str, body: &[u8]) -> Option<Reply> {
        if path.starts_with("/v1/handovers/") && path.ends_with("/offer") {
            let offer = HandoverOffer::from_json(body).ok()?;
            return Some(self.handover_hooks(|h| match apply(&mut h.offer, offer) {
                Some(o) => (200, o.to_json().into_bytes()),
                None => error(ErrorCode::NotReady),
            }));
        }
        if path.starts_with("/v1/handovers/") && path.ends_with("/reply") {
            let reply = HandoverReply::from_json(body).ok()?;
            return Some(self.handover_hooks(|h| match apply(&mut h.reply, reply) {
                Some(r) => (200, r.to_json().into_bytes()),
                None => error(ErrorCode::NotReady),
            }));
        }
        if path.starts_with("/v1/replacements/") {
            let confirmation = HandoverConfirmation::from_json(body).ok()?;
            return Some(
                self.handover_hooks(|h| match apply(&mut h.confirmation, confirmation) {
                    Some(c) => (200, c.to_json().into_bytes()),
                    None => error(ErrorCode::NotReady),
                }),
            );
        }
        None
    }

    /// The hostile rewrite of the RP's `GET /v1/rp/handover-requests`, or `None` for
    /// another path.
    pub(crate) fn rewrite_handover_rp_reply(&self, path: &str, body: &[u8]) -> Option<Reply> {
        if path != api::RP_HANDOVER_REQUESTS {
            return None;
        }
        let list = api::HandoverList::parse_lenient(body)?;
        let requests = self.handover_hooks(|h| {
            let mut requests: Vec<HandoverRequest> = list
                .into_iter()
                .filter_map(|r| apply(&mut h.request, r))
                .collect();
            requests.extend(h.injected_requests.iter().cloned());
            requests
        });
        let list = api::HandoverList { requests };
        Some((200, serde_json::to_vec(&list).expect("a list")))
    }
}
