//! One phone with accounts on two relays: a push is fetched from the relay of the
//! account it is for and no other, so no relay learns the push ids or login times of
//! another service; a push with a tag of no account asks no relay at all; and the
//! routing tag is fresh for every push, so Apple/Google cannot link pushes by it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use assent_core::Error as PhoneError;
use assent_protocol::{ApprovalKind, Decision, PushPayload, RelayUrl, RouteTag};
use assent_rp::ChallengeStatus;
use assent_tests::{Config, Enrolled, Phone, Relays, World, ALICE, T0};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const BOB: &str = "bob";

/// World A on the default relay, world B on another; one phone enrolled on both,
/// A's account first (so a phone that asked every relay in turn would ask A first).
async fn two_relays() -> (World, World, Phone, Enrolled, Enrolled) {
    let mut a = World::sqlite().await;
    let mut b = World::new(Config {
        relay_url: RelayUrl::parse("https://relay.other.example").unwrap(),
        ..Config::default()
    })
    .await;
    b.rng = ChaCha20Rng::seed_from_u64(8); // its own offers (eids), not A's
    let relays = Relays(vec![a.relay.clone(), b.relay.clone()]);
    let mut phone = Phone::on(Arc::new(relays), T0, 11, "Alice's iPhone");
    let on_a = a
        .enroll_other(&mut phone, ALICE, ApprovalKind::Number)
        .await;
    let on_b = b.enroll_other(&mut phone, BOB, ApprovalKind::Number).await;
    (a, b, phone, on_a, on_b)
}

#[tokio::test]
async fn a_push_is_fetched_only_from_its_own_accounts_relay() {
    let (mut a, mut b, mut phone, on_a, on_b) = two_relays().await;
    let (a_calls, b_calls) = (a.relay.calls().len(), b.relay.calls().len());

    let started = b.start(BOB).await.unwrap();
    let view = phone.push(&b.relay.last_payload()).await.unwrap();
    assert_eq!(view.account_id, on_b.account_id);
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(
        a.relay.calls().len(),
        a_calls,
        "A's relay was asked: {:?}",
        {
            a.relay.calls()[a_calls..]
                .iter()
                .map(|c| c.path.clone())
                .collect::<Vec<_>>()
        }
    );
    assert_eq!(
        b.relay.calls().len(),
        b_calls + 1,
        "one fetch from B's relay"
    );

    // And the other way round.
    let started = a.start(ALICE).await.unwrap();
    let view = phone.push(&a.relay.last_payload()).await.unwrap();
    assert_eq!(view.account_id, on_a.account_id);
    assert_eq!(view.challenge_id, started.challenge_id);
    assert_eq!(a.relay.calls().len(), a_calls + 1);
    assert_eq!(
        b.relay.calls().len(),
        b_calls + 1,
        "B's relay was not asked"
    );
}

#[tokio::test]
async fn a_push_with_an_unknown_tag_asks_no_relay() {
    let (a, mut b, mut phone, _, _) = two_relays().await;
    b.start(BOB).await.unwrap();
    let genuine = b.relay.last_push();
    let (a_calls, b_calls) = (a.relay.calls().len(), b.relay.calls().len());

    for r in [[0u8; 9], [0xff; 9], {
        let mut flipped = *genuine.r.as_bytes();
        flipped[0] ^= 0x80;
        flipped
    }] {
        let forged = PushPayload {
            p: genuine.p,
            r: RouteTag::from_bytes(r),
        };
        let got = phone.push(forged.to_json().as_bytes()).await;
        assert!(matches!(got, Err(PhoneError::UnknownPush)), "{got:?}");
    }
    // The push id alone, as before routing tags: refused too.
    let untagged = format!(r#"{{"p":"{}"}}"#, genuine.p);
    assert!(matches!(
        phone.push(untagged.as_bytes()).await,
        Err(PhoneError::Protocol(_))
    ));
    assert_eq!(a.relay.calls().len(), a_calls, "no request to A");
    assert_eq!(b.relay.calls().len(), b_calls, "no request to B");

    // The genuine payload is still routed and shown.
    assert!(phone.push(&genuine.to_json().into_bytes()).await.is_ok());
}

#[tokio::test]
async fn the_routing_tag_is_fresh_for_every_push_of_an_account() {
    let (_a, mut b, mut phone, _, on_b) = two_relays().await;
    let mut pushes = Vec::new();
    for _ in 0..3 {
        let started = b.start(BOB).await.unwrap();
        let push = b.relay.last_push();
        let view = phone.push(&push.to_json().into_bytes()).await.unwrap();
        assert_eq!(view.account_id, on_b.account_id);
        phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        assert_eq!(
            b.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        pushes.push(push);
    }
    for (i, x) in pushes.iter().enumerate() {
        for y in &pushes[i + 1..] {
            assert_ne!(x.p, y.p);
            assert_ne!(x.r, y.r, "a stable tag would link this account's pushes");
        }
    }
    // Nothing in the payload names the account, the device or the RP.
    let text = pushes[0].to_json();
    assert!(!text.contains(&on_b.device_id.to_string()) && !text.contains("example"));
}
