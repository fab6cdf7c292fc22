//! The store suite for TOTP credentials and their replay guard.

use super::*;

async fn totp_round_trips_and_replaces(s: Store) {
    assert_eq!(s.totp("a").await.unwrap(), None);
    s.put_totp("a", &totp_record(1)).await.unwrap();
    assert_eq!(s.totp("a").await.unwrap(), Some(totp_record(1)));
    assert!(s.advance_totp_step("a", 5).await.unwrap());
    s.put_totp("a", &totp_record(2)).await.unwrap();
    let got = s.totp("a").await.unwrap().unwrap();
    assert_eq!(got, totp_record(2));
    assert_eq!(got.last_step, None);
    assert_eq!(s.totp("b").await.unwrap(), None);
    assert!(s.delete_totp("a").await.unwrap());
    assert!(!s.delete_totp("a").await.unwrap());
    assert_eq!(s.totp("a").await.unwrap(), None);
}

async fn advancing_the_step_is_conditional(s: Store) {
    assert!(!s.advance_totp_step("a", 10).await.unwrap(), "no record");
    s.put_totp("a", &totp_record(1)).await.unwrap();
    assert!(s.advance_totp_step("a", 10).await.unwrap());
    assert!(
        !s.advance_totp_step("a", 10).await.unwrap(),
        "same step twice"
    );
    assert!(!s.advance_totp_step("a", 9).await.unwrap(), "older step");
    assert!(s.advance_totp_step("a", 11).await.unwrap());
    assert_eq!(s.totp("a").await.unwrap().unwrap().last_step, Some(11));
}

on_every_store!(
    totp_round_trips_and_replaces,
    advancing_the_step_is_conditional,
);
