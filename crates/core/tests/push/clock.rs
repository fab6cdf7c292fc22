//! The phone's clock: relay time for signed requests, TOTP display moved
//! only by authenticated challenges and at most one step.

use assent_core::protocol::api::ErrorCode;
use assent_core::protocol::{ApprovalKind, Platform};
use assent_core::{Clock, Error, Method};

use crate::fake_relay::{totp_params, FakeRelay, T0};
use crate::phone::Phone;

/// The timestamp of the last signed call the relay received.
fn last_timestamp(relay: &FakeRelay) -> u64 {
    let st = relay.state();
    st.calls
        .iter()
        .rev()
        .find_map(|c| c.auth.as_ref())
        .unwrap()
        .timestamp
}

#[tokio::test]
async fn phone_ten_minutes_fast_uses_relay_time_and_codes_move_one_step_at_most() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 600);
    // The offer looks expired by the phone's clock; one reply from the
    // relay tells the phone better, and enrollment goes through.
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    assert_eq!(phone.client.clock_status().relay_offset, -600);

    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    phone.advance(&relay, 3);
    let view = phone
        .client
        .handle_push(&relay.payload(push_id))
        .await
        .unwrap();
    assert_eq!(view.seconds_left, 117, "expiry judged in RP time");
    assert_eq!(
        last_timestamp(&relay),
        relay.clock.now(),
        "signed in relay time"
    );
    phone
        .client
        .answer(&view, assent_core::Decision::Approve, "42", false)
        .await
        .unwrap();
    assert_eq!(relay.state().answers.len(), 1);

    // Codes: the authenticated estimate is −603 s, applied capped at −30.
    let status = phone.client.clock_status();
    assert_eq!(status.totp_estimate, Some(-603));
    assert_eq!(status.totp_offset, -30);
    assert!(status.capped);
    let totp = totp_params().totp().unwrap();
    let local = phone.clock.now();
    let shown = phone.client.vault().code(&id).unwrap().code;
    assert_eq!(shown, totp.code_at(local - 30));
    assert_eq!(
        totp.step_at(local) - totp.step_at(local - 30),
        1,
        "one step"
    );

    // Both offsets are persisted.
    phone.restart(&relay);
    let status = phone.client.clock_status();
    assert_eq!((status.relay_offset, status.totp_offset), (-600, -30));
}

#[tokio::test]
async fn a_challenge_delivered_ten_minutes_late_does_not_move_codes() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    // A prompt challenge first: the estimate is 0.
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    phone
        .client
        .handle_push(&relay.payload(push_id))
        .await
        .unwrap();
    assert_eq!(phone.client.clock_status().totp_offset, 0);

    // Honest relay: the late challenge is expired and moves nothing.
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    phone.advance(&relay, 600);
    assert!(matches!(
        phone.client.handle_push(&relay.payload(push_id)).await,
        Err(Error::ChallengeExpired)
    ));
    assert_eq!(phone.client.clock_status().totp_offset, 0);

    // A relay lying about its time so the late challenge looks fresh: it
    // opens, but the estimate keeps the smallest delay: codes stay put.
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    phone.advance(&relay, 600);
    relay.state().time_lie = -600;
    let view = phone.client.handle_push(&relay.payload(push_id)).await;
    assert!(view.is_ok(), "{view:?}");
    let status = phone.client.clock_status();
    assert_eq!((status.totp_estimate, status.totp_offset), (Some(0), 0));
}

#[tokio::test]
async fn a_lying_relay_alone_moves_codes_by_at_most_one_step() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (_, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    relay.state().time_lie = -3600;
    phone.advance(&relay, 3600);
    phone
        .client
        .handle_push(&relay.payload(push_id))
        .await
        .unwrap();
    let status = phone.client.clock_status();
    assert_eq!(status.totp_estimate, Some(-3600));
    assert_eq!(status.totp_offset, -30);
    assert!(status.capped);
}

#[tokio::test]
async fn a_refused_timestamp_is_retried_once_with_the_relay_time() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    // The phone's clock jumps 10 minutes ahead after the last reply.
    phone.clock.advance(600);
    let (push_id, _) = relay.challenge(device_id, ApprovalKind::Number, false);
    let before = relay.state().calls.len();
    phone
        .client
        .handle_push(&relay.payload(push_id))
        .await
        .unwrap();
    let calls: Vec<_> = relay.state().calls[before..].to_vec();
    assert_eq!(calls.len(), 2, "refused once, then retried");
    let stamps: Vec<u64> = calls
        .iter()
        .map(|c| c.auth.as_ref().unwrap().timestamp)
        .collect();
    assert_eq!(stamps, [T0 + 600, T0]);

    // A relay that refuses every timestamp gets exactly one retry.
    relay.state().always_stale = true;
    let before = relay.state().calls.len();
    let got = phone
        .client
        .update_push_token(&id, Platform::Android, "token-2")
        .await;
    assert!(
        matches!(
            &got,
            Err(Error::Relay {
                status: 401,
                code: Some(ErrorCode::StaleTimestamp)
            })
        ),
        "{got:?}"
    );
    assert_eq!(relay.state().calls.len() - before, 2);
    assert!(relay
        .state()
        .calls
        .iter()
        .all(|c| c.method == Method::Get || c.method == Method::Post));
}
