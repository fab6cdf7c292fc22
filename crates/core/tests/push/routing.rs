//! Pushes are routed by their tag: only the relay of the account a push is for
//! is asked, and a push for no account asks no relay at all.

use assent_core::protocol::{
    ApprovalKind, Error as P, PushPayload, RouteTag, Signer as _, SoftwareSigner,
};
use assent_core::Error;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::fake_relay::FakeRelay;
use crate::phone::Phone;

#[tokio::test]
async fn a_push_whose_tag_matches_no_account_sends_no_request() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    let calls = relay.state().calls.len();

    // The genuine push id under a forged tag.
    let forged = PushPayload {
        p: push_id,
        r: RouteTag::from_bytes([0; 9]),
    };
    let got = phone.client.handle_push(forged.to_json().as_bytes()).await;
    assert!(matches!(got, Err(Error::UnknownPush)), "{got:?}");
    // A tag made with another enrollment's device key (not this phone's).
    let other = SoftwareSigner::make(&mut ChaCha20Rng::seed_from_u64(99))
        .unwrap()
        .public_key();
    let foreign = PushPayload::derive(push_id, &other);
    let got = phone.client.handle_push(foreign.to_json().as_bytes()).await;
    assert!(matches!(got, Err(Error::UnknownPush)), "{got:?}");
    // The tag of this account, but for another push id: it does not carry over.
    let genuine = PushPayload::from_json(&relay.payload(push_id)).unwrap();
    let moved = PushPayload {
        p: relay.push_id(),
        r: genuine.r,
    };
    let got = phone.client.handle_push(moved.to_json().as_bytes()).await;
    assert!(matches!(got, Err(Error::UnknownPush)), "{got:?}");
    // An older relay's payload, the push id alone: refused, not guessed at.
    let untagged = format!(r#"{{"p":"{push_id}"}}"#);
    let got = phone.client.handle_push(untagged.as_bytes()).await;
    assert!(
        matches!(got, Err(Error::Protocol(P::Invalid { field: "r", .. }))),
        "{got:?}"
    );
    assert_eq!(relay.state().calls.len(), calls, "no request at all");

    // The genuine push still shows, with exactly one request.
    let view = phone.client.handle_push(&relay.payload(push_id)).await;
    assert!(view.is_ok(), "{view:?}");
    assert_eq!(relay.state().calls.len(), calls + 1);
}

#[tokio::test]
async fn a_removed_accounts_push_sends_no_request() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    let payload = relay.payload(push_id);
    phone.client.vault_mut().remove(&id).unwrap();
    let calls = relay.state().calls.len();
    let got = phone.client.handle_push(&payload).await;
    assert!(matches!(got, Err(Error::UnknownPush)), "{got:?}");
    assert_eq!(relay.state().calls.len(), calls);
}
