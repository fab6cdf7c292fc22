//! Challenges: shown only when authentic, fresh, not downgraded, not seen.

use assent_core::protocol::{
    verify_answer, ApprovalKind, Challenge, ChallengeId, Decision, DeviceId, Outcome,
};
use assent_core::{Entry, Error};

use crate::fake_relay::FakeRelay;
use crate::phone::Phone;

#[tokio::test]
async fn pushed_challenge_is_shown_and_its_signed_answer_verifies() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, true).await;
    phone.advance(&relay, 5);
    let (push_id, challenge) = relay.challenge(device_id, ApprovalKind::Number, true);
    phone.advance(&relay, 2);

    let view = phone
        .client
        .handle_push(&relay.payload(push_id))
        .await
        .unwrap();
    assert_eq!(view.account_id, id);
    assert_eq!(view.account_name, "Example: alice@example.com");
    assert_eq!(view.issuer.as_deref(), Some("Example"));
    assert_eq!(view.challenge_id, challenge.challenge_id);
    assert_eq!(view.client, "Firefox 126 on Windows");
    assert_eq!(view.ip.to_string(), "203.0.113.7");
    assert_eq!(view.location, "Bern, CH");
    assert_eq!(view.login_time, challenge.created_at);
    assert_eq!(view.kind, ApprovalKind::Number);
    assert_eq!(view.entry, Entry::Number);
    assert!(view.user_verification);
    assert_eq!(view.expires_at, challenge.expires_at);
    assert_eq!(view.seconds_left, 118);
    // The fetch was a signed request.
    let fetch = relay.state().calls.last().cloned().unwrap();
    assert_eq!(fetch.path, format!("/v1/challenges/{push_id}"));
    assert_eq!(fetch.auth.unwrap().device_id, device_id);

    // Wrong shapes are refused locally, before anything is signed or sent.
    for bad in ["", "7", "07", "123"] {
        assert!(matches!(
            phone
                .client
                .answer(&view, Decision::Approve, bad, true)
                .await,
            Err(Error::WrongEntry(Entry::Number))
        ));
    }
    assert!(matches!(
        phone
            .client
            .answer(&view, Decision::Approve, "42", false)
            .await,
        Err(Error::UserVerificationRequired)
    ));
    assert!(relay.state().answers.is_empty());

    phone
        .client
        .answer(&view, Decision::Approve, "42", true)
        .await
        .unwrap();
    let answer = relay.state().answers.last().cloned().unwrap();
    let pinned = relay.state().devices[&device_id].device_pub.clone();
    let verified =
        verify_answer(&pinned, &relay.rp, &challenge, &answer, relay.clock.now()).unwrap();
    assert_eq!(verified.outcome("42"), Outcome::Approved);
    assert_eq!(verified.outcome("43"), Outcome::WrongEntry);
    // Any change to what was signed fails verification.
    let mut changed = answer.clone();
    changed.entered = "43".into();
    assert!(verify_answer(&pinned, &relay.rp, &challenge, &changed, relay.clock.now()).is_err());
}

trait Now {
    fn now(&self) -> u64;
}
impl Now for assent_core::ManualClock {
    fn now(&self) -> u64 {
        assent_core::Clock::now(self)
    }
}

#[tokio::test]
async fn denial_and_fraud_report_are_signed_too() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Simple, false).await;
    let pinned = relay.state().devices[&device_id].device_pub.clone();
    for decision in [Decision::Deny, Decision::Fraud] {
        let (push_id, challenge) = relay.challenge(device_id, ApprovalKind::Code, false);
        let view = phone
            .client
            .handle_push(&relay.payload(push_id))
            .await
            .unwrap();
        assert_eq!(view.entry, Entry::Code);
        phone
            .client
            .answer(&view, decision, "", false)
            .await
            .unwrap();
        let answer = relay.state().answers.last().cloned().unwrap();
        let verified =
            verify_answer(&pinned, &relay.rp, &challenge, &answer, relay.clock.now()).unwrap();
        assert_eq!(verified.decision, decision);
    }
}

/// A change a hostile relay makes to a challenge.
type Edit = Box<dyn FnOnce(&mut Challenge)>;

/// Publishes `challenge` altered by `edit` under a fresh push id and returns
/// what the phone makes of it.
async fn deliver_altered(
    phone: &mut Phone,
    relay: &FakeRelay,
    challenge: &Challenge,
    edit: impl FnOnce(&mut Challenge),
) -> Result<assent_core::ChallengeView, Error> {
    let mut altered = challenge.clone();
    edit(&mut altered);
    let push_id = relay.push_id();
    // Served to the genuine device; the phone finds the account by the
    // challenge's own device id.
    relay.publish(push_id, challenge.device_id, altered.to_json());
    phone.client.handle_push(&relay.payload(push_id)).await
}

#[tokio::test]
async fn altered_challenges_are_refused_with_distinct_errors_and_nothing_is_shown() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (_, second_device) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (_, challenge) = relay.challenge(device_id, ApprovalKind::Number, false);

    let tampered: Vec<(&str, Edit)> = vec![
        ("kind", Box::new(|c| c.kind = ApprovalKind::Code)),
        ("uv", Box::new(|c| c.uv = !c.uv)),
        ("expires_at", Box::new(|c| c.expires_at += 60)),
        ("created_at", Box::new(|c| c.created_at -= 1)),
        (
            "challenge id",
            Box::new(|c| c.challenge_id = ChallengeId::from_bytes([5; 16])),
        ),
        (
            "device id (another account's)",
            Box::new(move |c| c.device_id = second_device),
        ),
        ("body", Box::new(|c| c.sealed[100] ^= 0x40)),
    ];
    for (field, edit) in tampered {
        let got = deliver_altered(&mut phone, &relay, &challenge, edit).await;
        assert!(
            matches!(got, Err(Error::ChallengeTampered)),
            "{field}: {got:?}"
        );
    }
    let got = deliver_altered(&mut phone, &relay, &challenge, |c| {
        c.device_id = DeviceId::from_bytes([9; 16]);
    })
    .await;
    assert!(matches!(got, Err(Error::UnknownDevice)), "{got:?}");
    let got = deliver_altered(&mut phone, &relay, &challenge, |c| {
        c.kind = ApprovalKind::Simple
    })
    .await;
    assert!(
        matches!(
            got,
            Err(Error::Downgraded {
                kind: ApprovalKind::Simple,
                min: ApprovalKind::Number
            })
        ),
        "{got:?}"
    );
    let got = deliver_altered(&mut phone, &relay, &challenge, |c| {
        c.created_at -= 200;
        c.expires_at = c.created_at + 120;
    })
    .await;
    assert!(matches!(got, Err(Error::ChallengeExpired)), "{got:?}");

    // None of these was recorded: the genuine challenge still shows, once.
    let view = deliver_altered(&mut phone, &relay, &challenge, |_| {})
        .await
        .unwrap();
    assert_eq!(view.challenge_id, challenge.challenge_id);
    let again = deliver_altered(&mut phone, &relay, &challenge, |_| {}).await;
    assert!(matches!(again, Err(Error::AlreadySeen)), "{again:?}");
    assert_eq!(phone.client.clock_status().totp_offset, 0);
}

#[tokio::test]
async fn genuine_but_downgraded_or_expired_challenges_are_refused() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    // The RP itself asks for less than the pinned minimum.
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Simple, false);
    assert!(matches!(
        phone.client.handle_push(&relay.payload(push_id)).await,
        Err(Error::Downgraded { .. })
    ));
    // Delivered after its deadline (120 s, RP time).
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    phone.advance(&relay, 120);
    assert!(matches!(
        phone.client.handle_push(&relay.payload(push_id)).await,
        Err(Error::ChallengeExpired)
    ));
    // A push id no relay knows.
    assert!(matches!(
        phone
            .client
            .handle_push(&relay.payload_for(relay.push_id(), device_id))
            .await,
        Err(Error::ChallengeNotFound)
    ));
    assert!(matches!(
        phone.client.handle_push(br#"{"p":"nope"}"#).await,
        Err(Error::Protocol(_))
    ));
}

#[tokio::test]
async fn poll_shows_pending_challenges_once() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (a, device_a) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (b, device_b) = phone.enroll(&relay, ApprovalKind::Code, false).await;
    let (_, ca) = relay.challenge(device_a, ApprovalKind::Number, false);
    let (_, cb) = relay.challenge(device_b, ApprovalKind::Code, false);
    let polled = phone.client.pending().await.unwrap();
    assert!(polled.refused.is_empty(), "{:?}", polled.refused);
    let shown: Vec<_> = polled
        .shown
        .iter()
        .map(|v| (v.account_id.clone(), v.challenge_id))
        .collect();
    assert_eq!(shown, [(a, ca.challenge_id), (b, cb.challenge_id)]);
    // Polling again shows the unanswered ones again (the app may have died)
    // without taking a second clock sample.
    let again = phone.client.pending().await.unwrap();
    assert!(again.refused.is_empty(), "{:?}", again.refused);
    assert_eq!(again.shown, polled.shown);
    // Once answered, a challenge is never shown again.
    let view_a = polled.shown[0].clone();
    phone
        .client
        .answer(&view_a, assent_protocol::Decision::Deny, "", false)
        .await
        .unwrap();
    let third = phone.client.pending().await.unwrap();
    assert_eq!(third.shown.len(), 1);
    assert_eq!(third.shown[0].challenge_id, cb.challenge_id);
    assert_eq!(third.refused.len(), 1);
    assert!(matches!(third.refused[0].error, Error::AlreadySeen));
    // And a pushed copy of a polled challenge too.
    let push_id = relay.push_id();
    relay.publish(push_id, device_a, ca.to_json());
    assert!(matches!(
        phone.client.handle_push(&relay.payload(push_id)).await,
        Err(Error::AlreadySeen)
    ));
    // Seen ids survive a restart.
    phone.restart(&relay);
    let push_id = relay.push_id();
    relay.publish(push_id, device_b, cb.to_json());
    assert!(matches!(
        phone.client.handle_push(&relay.payload(push_id)).await,
        Err(Error::AlreadySeen)
    ));
}
