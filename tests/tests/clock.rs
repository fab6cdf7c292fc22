//! A phone whose clock is wrong (DESIGN.md reliability: "the phone's clock may be
//! wrong"): signed requests use the relay's time, and the TOTP display is corrected only
//! from challenges the RP sealed, by at most one step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assent_core::{Clock as _, Decision};
use assent_protocol::ApprovalKind;
use assent_rp::{ActivationResult, ChallengeStatus, RegistrationStatus, Verification};
use assent_tests::{Config, World, ALICE};

async fn skewed(phone_skew: i64) -> World {
    World::new(Config {
        phone_skew,
        ..Config::default()
    })
    .await
}

/// Every signed request the relay accepted carried a timestamp within ±60 s of its clock.
fn signed_timestamps(w: &World) -> Vec<u64> {
    w.relay
        .calls()
        .iter()
        .filter_map(|c| c.auth.as_ref().map(|a| a.timestamp))
        .collect()
}

#[tokio::test]
async fn a_phone_ten_minutes_fast_enrolls_and_its_registration_is_answered() {
    let mut w = skewed(600).await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    // By the phone's own clock the offer (10 minutes) has just expired; one reply from
    // the relay tells it the real time, and the registration goes through.
    let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    assert_eq!(w.phone.client.clock_status().relay_offset, -600);
    assert!(matches!(
        w.complete(&offer.offer.eid).await.unwrap(),
        RegistrationStatus::AwaitingActivation(_)
    ));
    let id = w.phone.client.finish_enrollment(&pending).await.unwrap();
    assert!(id.is_some());
}

/// DESIGN.md: "a phone clock ten minutes off still works" — including activation. The
/// activation code is shown at the relay's time (learnt during enrollment), since no
/// RP-authenticated time exists yet; the offline codes are not moved by it.
#[tokio::test]
async fn a_phone_ten_minutes_fast_can_activate() {
    let mut w = skewed(600).await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    w.complete(&offer.offer.eid).await.unwrap();
    let id = w
        .phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .unwrap();
    let code = w
        .phone
        .client
        .activation_code(&id)
        .unwrap()
        .code
        .to_string();
    assert!(matches!(
        w.activate(ALICE, &offer.offer.eid, &code).await.unwrap(),
        ActivationResult::Activated(_)
    ));
}

#[tokio::test]
async fn a_phone_clock_ten_minutes_off_still_answers_and_codes_move_one_step_at_most() {
    for skew in [600i64, -600] {
        let mut w = World::sqlite().await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;
        let totp = w
            .phone
            .client
            .vault()
            .account(&enrolled.account_id)
            .unwrap()
            .otp()
            .totp()
            .unwrap();
        // The phone's clock jumps ten minutes after its last contact with the relay.
        w.phone
            .clock
            .set(assent_core::clock::corrected(w.phone.clock.now(), skew));
        w.advance(7);
        let started = w.start(ALICE).await.unwrap();
        let before = signed_timestamps(&w).len();
        let view = w.deliver_push().await.unwrap();
        // The first signed request carried the phone's wrong time and was refused; the
        // retry used the relay's time from that refusal.
        let stamps: Vec<u64> = signed_timestamps(&w)[before..].to_vec();
        assert_eq!(stamps.len(), 2, "{skew}: refused once, then retried");
        assert_eq!(stamps[0].abs_diff(w.now()), skew.unsigned_abs(), "{skew}");
        assert_eq!(stamps[1], w.now(), "{skew}");
        assert_eq!(view.seconds_left, 120, "{skew}: expiry judged in RP time");
        w.phone
            .client
            .answer(&view, Decision::Approve, &started.display, false)
            .await
            .unwrap();
        let last_signed = *signed_timestamps(&w).last().unwrap();
        assert!(last_signed.abs_diff(w.now()) <= 1, "{skew}");
        assert_eq!(
            w.poll(&started.handle).await.unwrap(),
            ChallengeStatus::Approved
        );
        assert_eq!(w.phone.client.clock_status().relay_offset, -skew);

        // TOTP display: the authenticated estimate is −skew, applied capped at one step.
        let status = w.phone.client.clock_status();
        assert_eq!(status.totp_estimate, Some(-skew), "{skew}");
        assert_eq!(status.totp_offset, -skew.signum() * 30, "{skew}");
        assert!(
            status.capped,
            "{skew}: the UI can tell the user to fix the clock"
        );
        let local = w.phone.clock.now();
        let shown = w.phone.code(&enrolled.account_id);
        let corrected = assent_core::clock::corrected(local, status.totp_offset);
        assert_eq!(shown, totp.code_at(corrected).to_string(), "{skew}");
        assert_eq!(
            totp.step_at(local).abs_diff(totp.step_at(corrected)),
            1,
            "{skew}: moved exactly one step"
        );
    }
}

#[tokio::test]
async fn a_phone_45_seconds_fast_shows_codes_the_rp_accepts_once_corrected() {
    // T0 is a step boundary: activation at T0 by a phone at T0 + 45 shows the next
    // step's code, inside the RP's window.
    let mut w = skewed(45).await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let totp = w
        .phone
        .client
        .vault()
        .account(&enrolled.account_id)
        .unwrap()
        .otp()
        .totp()
        .unwrap();
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(&view, Decision::Deny, "", false)
        .await
        .unwrap();
    w.poll(&started.handle).await.unwrap();
    let status = w.phone.client.clock_status();
    assert_eq!((status.totp_estimate, status.totp_offset), (Some(-45), -30));

    // At RP time ≡ 20 (mod 30), 45 s ahead is two steps ahead: outside the window.
    w.advance(80);
    assert_eq!(w.now() % 30, 20);
    let local = w.phone.clock.now();
    let uncorrected = totp.code_at(local).to_string();
    let shown = w.phone.code(&enrolled.account_id);
    assert_ne!(shown, uncorrected);
    assert_eq!(
        w.rp.verify_totp(ALICE, &uncorrected).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        w.rp.verify_totp(ALICE, &shown).await.unwrap(),
        Verification::Accepted
    );
}

#[tokio::test]
async fn a_relay_lying_about_time_moves_codes_at_most_one_step() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let before = w.phone.code(&enrolled.account_id);
    // The relay claims it is an hour earlier; the RP's challenge is authentic.
    w.relay.set_time_lie(-3600);
    w.start(ALICE).await.unwrap();
    let got = w.deliver_push().await;
    assert!(got.is_ok(), "{got:?}");
    let status = w.phone.client.clock_status();
    assert_eq!(status.relay_offset, -3600);
    // No authenticated sample is off: codes did not move.
    assert_eq!(status.totp_offset, 0);
    assert_eq!(w.phone.code(&enrolled.account_id), before);
}
