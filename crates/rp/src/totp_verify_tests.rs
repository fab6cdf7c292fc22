use std::sync::Arc;
use std::time::Duration;

use assent_otp::{Algorithm, OtpAuth, Totp};

use super::*;
use crate::test_support::{accepted_at_once, fixture, on_both_stores, rng, Fixture};
use crate::Guess;
use crate::RpStore;

/// 1_700_000_010 is the first second of step `STEP` (period 30).
const T: u64 = 1_700_000_010;
const STEP: u64 = T / 30;

async fn setup(store: Arc<dyn RpStore>) -> (Fixture, Totp) {
    let f = fixture(store, T);
    let secret = make_totp_secret(&mut rng(1)).unwrap();
    f.rp.set_totp("alice", &secret, TotpParams::default())
        .await
        .unwrap();
    let totp = TotpParams::default().totp(secret).unwrap();
    (f, totp)
}

fn code(totp: &Totp, step: u64) -> String {
    totp.code_for_step(step).to_string()
}

async fn same_code_twice_is_refused(s: Arc<dyn RpStore>) {
    let (f, totp) = setup(s).await;
    let c = code(&totp, STEP);
    assert_eq!(
        f.rp.verify_totp("alice", &c).await.unwrap(),
        Verification::Accepted
    );
    assert_eq!(
        f.rp.verify_totp("alice", &c).await.unwrap(),
        Verification::Rejected
    );
    // Still refused later in the window.
    f.clock.advance(29);
    assert_eq!(
        f.rp.verify_totp("alice", &c).await.unwrap(),
        Verification::Rejected
    );
}

async fn older_step_is_refused_after_a_newer_one(s: Arc<dyn RpStore>) {
    let (f, totp) = setup(s).await;
    assert!(f
        .rp
        .verify_totp("alice", &code(&totp, STEP + 1))
        .await
        .unwrap()
        .is_accepted());
    assert_eq!(
        f.rp.verify_totp("alice", &code(&totp, STEP)).await.unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        f.rp.verify_totp("alice", &code(&totp, STEP - 1))
            .await
            .unwrap(),
        Verification::Rejected
    );
    assert_eq!(
        f.rp.store().totp("alice").await.unwrap().unwrap().last_step,
        Some(STEP + 1)
    );
}

async fn window_is_one_step_each_side_at_exact_boundaries(s: Arc<dyn RpStore>) {
    let (f, totp) = setup(s).await;
    // First and last second of STEP: STEP-1, STEP and STEP+1 are in the window.
    for now in [T, T + 29] {
        let cur = totp.step_at(now);
        assert_eq!(cur, STEP);
        let last = Some(STEP - 3);
        assert_eq!(match_step(&totp, &code(&totp, STEP - 2), now, last), None);
        assert_eq!(
            match_step(&totp, &code(&totp, STEP - 1), now, last),
            Some(STEP - 1)
        );
        assert_eq!(match_step(&totp, &code(&totp, STEP), now, last), Some(STEP));
        assert_eq!(
            match_step(&totp, &code(&totp, STEP + 1), now, last),
            Some(STEP + 1)
        );
        assert_eq!(match_step(&totp, &code(&totp, STEP + 2), now, last), None);
    }
    // Through the store: at the last second of STEP the previous step's code
    // works; one second later (STEP + 1) it no longer does.
    f.clock.set(T + 29);
    assert!(f
        .rp
        .verify_totp("alice", &code(&totp, STEP - 1))
        .await
        .unwrap()
        .is_accepted());
    // One second later the current step is STEP + 1: with the replay guard
    // cleared (secret set again), STEP - 1 is out of the window, STEP is the
    // lower edge and STEP + 2 the upper edge.
    let secret = make_totp_secret(&mut rng(1)).unwrap();
    f.rp.set_totp("alice", &secret, TotpParams::default())
        .await
        .unwrap();
    f.clock.set(T + 30);
    assert_eq!(
        f.rp.verify_totp("alice", &code(&totp, STEP - 1))
            .await
            .unwrap(),
        Verification::Rejected
    );
    assert!(f
        .rp
        .verify_totp("alice", &code(&totp, STEP))
        .await
        .unwrap()
        .is_accepted());
    assert!(f
        .rp
        .verify_totp("alice", &code(&totp, STEP + 2))
        .await
        .unwrap()
        .is_accepted());
    assert_eq!(
        f.rp.verify_totp("alice", &code(&totp, STEP + 3))
            .await
            .unwrap(),
        Verification::Rejected
    );
}

async fn throttling_grows_and_resets_on_success(s: Arc<dyn RpStore>) {
    let (f, totp) = setup(s).await;
    let rp = &f.rp;
    let throttled = |secs| Verification::Throttled {
        retry_after: Duration::from_secs(secs),
    };
    // Five free failures, back to back.
    for _ in 0..5 {
        assert_eq!(
            rp.verify_totp("alice", "000000x").await.unwrap(),
            Verification::Rejected
        );
    }
    // Then 1 s.
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        throttled(1)
    );
    f.clock.set(T + 1);
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        Verification::Rejected
    );
    // Then 2 s.
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        throttled(2)
    );
    f.clock.set(T + 2);
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        throttled(1)
    );
    f.clock.set(T + 3);
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        Verification::Rejected
    );
    // Then 4 s; even the right code is refused while throttled, unchecked.
    f.clock.set(T + 6);
    assert_eq!(
        rp.verify_totp("alice", &code(&totp, STEP)).await.unwrap(),
        throttled(1)
    );
    assert_eq!(
        rp.store().totp("alice").await.unwrap().unwrap().last_step,
        None
    );
    f.clock.set(T + 7);
    assert_eq!(
        rp.verify_totp("alice", &code(&totp, STEP)).await.unwrap(),
        Verification::Accepted
    );
    // Success resets: five free failures again.
    assert_eq!(
        rp.limiter_state("alice", Guess::Totp).await.unwrap(),
        Default::default()
    );
    for _ in 0..5 {
        assert_eq!(
            rp.verify_totp("alice", "000000x").await.unwrap(),
            Verification::Rejected
        );
    }
    assert_eq!(
        rp.verify_totp("alice", "000000x").await.unwrap(),
        throttled(1)
    );
}

async fn delays_cap_at_fifteen_minutes(s: Arc<dyn RpStore>) {
    let (f, _) = setup(s).await;
    let mut now = T;
    let mut waits = Vec::new();
    for _ in 0..20 {
        f.clock.set(now);
        assert_eq!(
            f.rp.verify_totp("alice", "1").await.unwrap(),
            Verification::Rejected
        );
        let next =
            f.rp.limiter_state("alice", Guess::Totp)
                .await
                .unwrap()
                .next_allowed;
        waits.push(next - now);
        now = next;
    }
    assert_eq!(&waits[..6], &[0, 0, 0, 0, 1, 2]);
    assert_eq!(waits[13], 512);
    assert!(waits[14..].iter().all(|w| *w == 900));
}

async fn accounts_are_throttled_separately(s: Arc<dyn RpStore>) {
    let (f, _) = setup(s).await;
    let secret = make_totp_secret(&mut rng(2)).unwrap();
    f.rp.set_totp("bob", &secret, TotpParams::default())
        .await
        .unwrap();
    for _ in 0..6 {
        let _ = f.rp.verify_totp("alice", "1").await.unwrap();
    }
    assert!(matches!(
        f.rp.verify_totp("alice", "1").await.unwrap(),
        Verification::Throttled { .. }
    ));
    let bob = TotpParams::default().totp(secret).unwrap();
    assert!(f
        .rp
        .verify_totp("bob", &code(&bob, STEP))
        .await
        .unwrap()
        .is_accepted());
}

async fn unknown_account_is_an_error(s: Arc<dyn RpStore>) {
    let f = fixture(s, T);
    assert!(matches!(
        f.rp.verify_totp("nobody", "123456").await,
        Err(Error::NotEnrolled(Factor::Totp))
    ));
    assert!(!f.rp.has_totp("nobody").await.unwrap());
}

async fn removing_totp_stops_verification(s: Arc<dyn RpStore>) {
    let (f, totp) = setup(s).await;
    assert!(f.rp.has_totp("alice").await.unwrap());
    assert!(f.rp.remove_totp("alice").await.unwrap());
    assert!(f.rp.verify_totp("alice", &code(&totp, STEP)).await.is_err());
}

on_both_stores!(
    same_code_twice_is_refused,
    older_step_is_refused_after_a_newer_one,
    window_is_one_step_each_side_at_exact_boundaries,
    throttling_grows_and_resets_on_success,
    delays_cap_at_fifteen_minutes,
    accounts_are_throttled_separately,
    unknown_account_is_an_error,
    removing_totp_stops_verification,
);

#[test]
fn secrets_are_160_bits_and_differ() {
    let a = make_totp_secret(&mut rng(1)).unwrap();
    let b = make_totp_secret(&mut rng(2)).unwrap();
    assert_eq!(a.as_bytes().len(), 20);
    assert_ne!(a, b);
    assert!(!format!("{a:?}").contains(&*a.to_base32()));
}

#[test]
fn otpauth_uri_defaults_to_sha1_6_30_and_round_trips() {
    let secret = make_totp_secret(&mut rng(3)).unwrap();
    let uri = otpauth_uri(
        "Example Co",
        "alice@example.com",
        &secret,
        &TotpParams::default(),
    );
    assert!(uri.starts_with("otpauth://totp/"), "{}", uri.as_str());
    let parsed = OtpAuth::parse(&uri).unwrap();
    assert_eq!(parsed.secret, secret);
    assert_eq!(parsed.issuer.as_deref(), Some("Example Co"));
    assert_eq!(parsed.account, "alice@example.com");
    assert_eq!(parsed.algorithm, Algorithm::Sha1);
    assert_eq!(parsed.digits, 6);
    assert_eq!(parsed.kind, OtpKind::Totp { period: 30 });
}

#[tokio::test]
async fn set_totp_refuses_bad_parameters() {
    let f = fixture(crate::test_support::memory(), T);
    let secret = make_totp_secret(&mut rng(1)).unwrap();
    let bad = TotpParams {
        digits: 9,
        ..TotpParams::default()
    };
    assert!(matches!(
        f.rp.set_totp("a", &secret, bad).await,
        Err(Error::Otp(_))
    ));
    assert!(!f.rp.has_totp("a").await.unwrap());
}

#[test]
fn match_step_at_step_zero_has_no_previous_step() {
    let totp = TotpParams::default()
        .totp(make_totp_secret(&mut rng(4)).unwrap())
        .unwrap();
    assert_eq!(match_step(&totp, &code(&totp, 0), 0, None), Some(0));
    assert_eq!(match_step(&totp, &code(&totp, 1), 0, None), Some(1));
    assert_eq!(match_step(&totp, &code(&totp, 0), 0, Some(0)), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_one_totp_code_on_sqlite_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.sqlite");
    let a = fixture(Arc::new(crate::SqliteStore::open(&path).await.unwrap()), T);
    let b = fixture(Arc::new(crate::SqliteStore::open(&path).await.unwrap()), T);
    let secret = make_totp_secret(&mut rng(1)).unwrap();
    a.rp.set_totp("alice", &secret, TotpParams::default())
        .await
        .unwrap();
    let totp = TotpParams::default().totp(secret).unwrap();
    for round in 0..10 {
        let now = T + 30 * round;
        a.clock.set(now);
        b.clock.set(now);
        let c = code(&totp, totp.step_at(now));
        let wins = accepted_at_once([&a.rp, &b.rp], |rp| {
            let c = c.clone();
            async move { rp.verify_totp("alice", &c).await }
        })
        .await;
        assert_eq!(wins, 1, "round {round}");
    }
}
