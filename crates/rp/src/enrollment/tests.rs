use std::sync::Arc;

use assent_protocol::{ApprovalKind, DevicePublicKey, Signer as _, UnenrollRequest};

use super::*;
use crate::store::EnrollmentState;
use crate::test_push::{push_fixture, relay_url, rp_id, Phone, PushFixture};
use crate::test_support::on_both_stores;
use crate::{EnrollmentAuthorization, Error, Event, RpStore, Verification};

/// The authorization of an account's first second factor.
const NO_FACTOR_YET: EnrollmentAuthorization = EnrollmentAuthorization::NoSecondFactorYet;

fn fx(s: Arc<dyn RpStore>) -> PushFixture {
    push_fixture(s)
}

async fn full_enrollment_and_activation(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    assert_eq!(
        f.relay.with(|r| r.announced.clone()),
        vec![(eid, f.now() + 600)],
        "eid announced with the 10-minute expiry"
    );
    assert!(offer.uri.starts_with("assent://enroll?v=1&rp=example.com&"));
    let json = assent_protocol::Offer::from_json(offer.json.as_bytes(), f.now()).unwrap();
    assert_eq!(json, offer.offer);
    assert!(offer.qr().unwrap().svg().contains("<svg"));
    assert!(!format!("{offer:?}").contains(&*offer.offer.es.to_base64url()));

    assert_eq!(f.complete(&eid).await.unwrap(), RegistrationStatus::Waiting);
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.clock.advance(5);
    let RegistrationStatus::AwaitingActivation(info) = f.complete(&eid).await.unwrap() else {
        panic!("not registered");
    };
    assert_eq!(info.state, DeviceState::Pending);
    assert_eq!(info.name, "Alice's iPhone");
    // The offer's secrets left the store when the registration was claimed.
    let rec = f.rp.store().enrollment(&eid).await.unwrap().unwrap();
    assert_eq!(rec.state, EnrollmentState::Registered);
    assert!(rec.offer_json.is_none() && rec.rp_private_key.is_none());
    // The device key is pinned.
    let stored = f.rp.store().device(&info.device_id).await.unwrap().unwrap();
    assert_eq!(stored.device_pub, phone.signer.public_key());
    assert_eq!(
        stored.totp_secret.as_bytes().len(),
        20,
        "160-bit TOTP secret"
    );
    // Pending phones get no challenges and are no second factor yet.
    assert!(!f.rp.has_second_factor("alice").await.unwrap());

    let enrolled = phone.open_answer(&f.relay);
    assert_eq!(enrolled.device_id, info.device_id);
    assert_eq!(enrolled.min, ApprovalKind::Number);
    let code = phone.code(f.now());
    let ActivationResult::Activated(done) = f.activate("alice", &eid, &code).await else {
        panic!("right code rejected");
    };
    assert_eq!(done.account, "alice");
    assert_eq!(done.device.state, DeviceState::Active);
    assert_eq!(done.backup_codes.as_ref().unwrap().len(), 10);
    assert_eq!(f.rp.backup_codes_remaining("alice").await.unwrap(), 10);
    assert_eq!(
        f.events.all(),
        vec![Event::NewDevice {
            account: "alice".into(),
            device_id: info.device_id,
            name: "Alice's iPhone".into(),
            platform: assent_protocol::Platform::Ios,
            at: f.now(),
        }]
    );
    let list = f.rp.devices("alice").await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, DeviceState::Active);
    // The phone's TOTP is now the account's; the activation code itself is spent.
    assert!(f.rp.has_totp("alice").await.unwrap());
    assert_eq!(
        f.rp.verify_totp("alice", &code).await.unwrap(),
        Verification::Rejected
    );
    f.clock.advance(30);
    assert_eq!(
        f.rp.verify_totp("alice", &phone.code(f.now()))
            .await
            .unwrap(),
        Verification::Accepted
    );
    // Activating again is refused; so is another registration round.
    assert!(matches!(
        f.rp.activate("alice", &eid, &code, &mut f.rng).await,
        Err(Error::NotAwaitingActivation)
    ));
    assert!(matches!(f.complete(&eid).await, Err(Error::EnrollmentUsed)));
}

async fn a_second_phone_keeps_the_backup_codes_and_needs_a_proof(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let first = f.enroll("alice", ApprovalKind::Number, 11).await;
    let request = OfferRequest::new("Example", "alice@example.com");
    let err = f
        .try_offer("alice", &request, NO_FACTOR_YET)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SecondFactorRequired));
    f.clock.advance(30);
    let proof =
        f.rp.prove_with_totp("alice", &first.code(f.now()))
            .await
            .unwrap()
            .unwrap();
    let offer = f
        .try_offer("alice", &request, EnrollmentAuthorization::Proven(proof))
        .await
        .unwrap();
    let mut second = Phone::new(12);
    second.register(&f.relay, &offer.uri, f.now());
    f.complete(&offer.offer.eid).await.unwrap();
    second.open_answer(&f.relay);
    let ActivationResult::Activated(done) = f
        .activate("alice", &offer.offer.eid, &second.code(f.now()))
        .await
    else {
        panic!("rejected");
    };
    assert!(done.backup_codes.is_none(), "the account already had codes");
    assert_eq!(f.rp.devices("alice").await.unwrap().len(), 2);
    assert_eq!(f.events.all().len(), 2, "one NewDevice per phone");
}

async fn proofs_must_be_for_the_account_and_fresh(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let alice = f.enroll("alice", ApprovalKind::Number, 11).await;
    f.enroll("bob", ApprovalKind::Number, 12).await;
    let request = OfferRequest::new("Example", "bob");
    f.clock.advance(30);
    let proof =
        f.rp.prove_with_totp("alice", &alice.code(f.now()))
            .await
            .unwrap()
            .unwrap();
    let err = f
        .try_offer("bob", &request, EnrollmentAuthorization::Proven(proof))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ProofRefused(_)), "{err}");
    f.clock.advance(30);
    let proof =
        f.rp.prove_with_totp("alice", &alice.code(f.now()))
            .await
            .unwrap()
            .unwrap();
    f.clock.advance(601);
    let err = f
        .try_offer("alice", &request, EnrollmentAuthorization::Proven(proof))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ProofRefused(_)), "{err}");
    // A wrong code gives no proof at all.
    assert_eq!(
        f.rp.prove_with_totp("alice", "000000")
            .await
            .unwrap()
            .unwrap_err(),
        Verification::Rejected
    );
}

async fn a_second_factor_added_meanwhile_blocks_an_unproven_activation(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&offer.offer.eid).await.unwrap();
    phone.open_answer(&f.relay);
    // Meanwhile the account got a TOTP secret by another path.
    let secret = crate::make_totp_secret(&mut f.rng).unwrap();
    f.rp.set_totp("alice", &secret, crate::TotpParams::default())
        .await
        .unwrap();
    let err =
        f.rp.activate("alice", &offer.offer.eid, &phone.code(f.now()), &mut f.rng)
            .await
            .unwrap_err();
    assert!(matches!(err, Error::SecondFactorRequired));
    assert!(f.events.all().is_empty());
}

async fn wrong_activation_code_kills_the_enrollment(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    let RegistrationStatus::AwaitingActivation(info) = f.complete(&eid).await.unwrap() else {
        panic!()
    };
    phone.open_answer(&f.relay);
    let right = phone.code(f.now());
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    assert!(matches!(
        f.activate("alice", &eid, wrong).await,
        ActivationResult::Rejected
    ));
    // The right code no longer helps.
    assert!(matches!(
        f.rp.activate("alice", &eid, &right, &mut f.rng).await,
        Err(Error::NotAwaitingActivation)
    ));
    assert_eq!(
        f.rp.store().enrollment(&eid).await.unwrap().unwrap().state,
        EnrollmentState::Killed
    );
    assert_eq!(
        f.rp.store()
            .device(&info.device_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        DeviceState::Removed
    );
    assert!(f.rp.devices("alice").await.unwrap().is_empty());
    assert!(!f.rp.has_totp("alice").await.unwrap());
    assert!(f.events.all().is_empty());
}

async fn activation_is_bound_to_the_account_and_its_deadline(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&eid).await.unwrap();
    phone.open_answer(&f.relay);
    // Another account's session cannot activate it, even with the right code.
    assert!(matches!(
        f.rp.activate("mallory", &eid, &phone.code(f.now()), &mut f.rng)
            .await,
        Err(Error::UnknownEnrollment)
    ));
    f.clock.advance(600);
    assert!(matches!(
        f.rp.activate("alice", &eid, &phone.code(f.now()), &mut f.rng)
            .await,
        Err(Error::EnrollmentExpired)
    ));
    assert!(f.rp.devices("alice").await.unwrap().is_empty());
}

async fn in_app_activation_checks_the_device_id(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&eid).await.unwrap();
    let enrolled = phone.open_answer(&f.relay);
    let mut activation = assent_protocol::Activation {
        eid,
        device_id: enrolled.device_id,
        code: phone.code(f.now()),
    };
    let good = assent_protocol::Activation::from_json(activation.to_json().as_bytes()).unwrap();
    activation.device_id = assent_protocol::DeviceId::from_bytes([9; 16]);
    assert!(matches!(
        f.rp.activate_in_app("alice", &activation, &mut f.rng)
            .await
            .unwrap(),
        ActivationResult::Rejected
    ));
    assert!(matches!(
        f.rp.activate_in_app("alice", &good, &mut f.rng).await,
        Err(Error::NotAwaitingActivation)
    ));

    let offer = f.offer("bob", ApprovalKind::Number).await;
    let mut phone = Phone::new(12);
    phone.register(&f.relay, &offer.uri, f.now());
    f.complete(&offer.offer.eid).await.unwrap();
    let enrolled = phone.open_answer(&f.relay);
    let activation = assent_protocol::Activation {
        eid: offer.offer.eid,
        device_id: enrolled.device_id,
        code: phone.code(f.now()),
    };
    assert!(matches!(
        f.rp.activate_in_app("bob", &activation, &mut f.rng)
            .await
            .unwrap(),
        ActivationResult::Activated(_)
    ));
}

async fn only_the_first_registration_is_taken(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut first = Phone::new(11);
    first.register(&f.relay, &offer.uri, f.now());
    let RegistrationStatus::AwaitingActivation(info) = f.complete(&eid).await.unwrap() else {
        panic!()
    };
    // A second phone registers for the same eid; the relay now serves that one.
    let mut second = Phone::new(12);
    second.register(&f.relay, &offer.uri, f.now());
    f.relay.with(|r| r.enrollment_answers.clear());
    let RegistrationStatus::AwaitingActivation(again) = f.complete(&eid).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        again.device_id, info.device_id,
        "answer re-delivered, not re-taken"
    );
    let pinned = f.rp.store().device(&info.device_id).await.unwrap().unwrap();
    assert_eq!(pinned.device_pub, first.signer.public_key());
    // The re-delivered answer is for the first phone only.
    first.open_answer(&f.relay);
    let answer = f.relay.with(|r| r.enrollment_answers[&eid].clone());
    let k2 = second.k_chan.clone().unwrap();
    assert_eq!(
        answer.open(&rp_id(), &eid, &second.signer.public_key(), &k2),
        Err(assent_protocol::Error::WrongDeviceKey)
    );
}

async fn an_expired_offer_is_refused(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    phone.register(&f.relay, &offer.uri, f.now());
    f.clock.advance(600);
    assert!(matches!(
        f.complete(&eid).await,
        Err(Error::EnrollmentExpired)
    ));
    let rec = f.rp.store().enrollment(&eid).await.unwrap().unwrap();
    assert_eq!(rec.state, EnrollmentState::Killed);
    assert!(rec.offer_json.is_none(), "secrets wiped when killed");
    f.clock.set(crate::test_push::T0);
    assert!(matches!(f.complete(&eid).await, Err(Error::EnrollmentUsed)));
    assert!(matches!(
        f.complete(&assent_protocol::EnrollmentId::from_bytes([1; 16]))
            .await,
        Err(Error::UnknownEnrollment)
    ));
}

async fn a_key_substituted_by_the_relay_is_caught(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    let mut reg = phone.registration(&offer.uri, f.now());
    let relay_key = Phone::new(66).signer.public_key();
    reg.device_pub = relay_key.clone();
    f.relay.with(|r| r.registrations.insert(eid, reg));
    let err = f.complete(&eid).await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(assent_protocol::Error::BindMismatch)),
        "{err}"
    );
    assert!(!err.to_string().contains(&*offer.offer.es.to_base64url()));
    // The offer is dead and no key was pinned.
    assert_eq!(
        f.rp.store().enrollment(&eid).await.unwrap().unwrap().state,
        EnrollmentState::Killed
    );
    assert!(f.rp.store().devices("alice").await.unwrap().is_empty());
    assert!(f.relay.with(|r| r.enrollment_answers.is_empty()));
    let _: DevicePublicKey = relay_key;
}

async fn qr_photographer_with_colluding_relay_cannot_activate(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    // The attacker photographs the QR (so holds es) and the relay serves the attacker's
    // registration instead of Alice's.
    let mut attacker = Phone::new(66);
    let mut alice = Phone::new(11);
    alice.register(&f.relay, &offer.uri, f.now());
    attacker.register(&f.relay, &offer.uri, f.now());
    let RegistrationStatus::AwaitingActivation(info) = f.complete(&eid).await.unwrap() else {
        panic!()
    };
    // The RP sealed the TOTP secret to the attacker's key: the attacker can show a code...
    attacker.open_answer(&f.relay);
    let attacker_code = attacker.code(f.now());
    // ...but has no session of Alice's to type it into.
    assert!(matches!(
        f.rp.activate("mallory", &eid, &attacker_code, &mut f.rng)
            .await,
        Err(Error::UnknownEnrollment)
    ));
    // Alice's phone cannot open the answer, so it shows no code; whatever Alice types on
    // her page is wrong, and the enrollment dies.
    let answer = f.relay.with(|r| r.enrollment_answers[&eid].clone());
    assert!(answer
        .open(
            &rp_id(),
            &eid,
            &alice.signer.public_key(),
            alice.k_chan.as_ref().unwrap()
        )
        .is_err());
    let guess = if attacker_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        f.activate("alice", &eid, guess).await,
        ActivationResult::Rejected
    ));
    assert!(matches!(
        f.rp.activate("alice", &eid, &attacker_code, &mut f.rng)
            .await,
        Err(Error::NotAwaitingActivation)
    ));
    assert_eq!(
        f.rp.store()
            .device(&info.device_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        DeviceState::Removed
    );
    assert!(!f.rp.has_second_factor("alice").await.unwrap());
    assert!(f.events.all().is_empty());
}

async fn relay_failures_and_garbage_change_nothing(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    // Announcing fails: the offer is killed, not left half made.
    f.relay.with(|r| r.down = true);
    let request = OfferRequest::new("Example", "alice");
    let err = f
        .try_offer("alice", &request, NO_FACTOR_YET)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Relay(_)), "{err}");
    f.relay.with(|r| r.down = false);

    let offer = f.offer("alice", ApprovalKind::Number).await;
    let eid = offer.offer.eid;
    let mut phone = Phone::new(11);
    // A registration filed under this eid but naming another one: refused, offer intact.
    let other = f.offer("bob", ApprovalKind::Number).await;
    let reg = phone.registration(&other.uri, f.now());
    f.relay.with(|r| r.registrations.insert(eid, reg));
    assert!(matches!(
        f.complete(&eid).await,
        Err(Error::Protocol(assent_protocol::Error::WrongEnrollment))
    ));
    // Malformed shape: likewise.
    let mut reg = phone.registration(&offer.uri, f.now());
    reg.bind.truncate(3);
    f.relay.with(|r| r.registrations.insert(eid, reg));
    assert!(matches!(f.complete(&eid).await, Err(Error::Protocol(_))));
    assert_eq!(
        f.rp.store().enrollment(&eid).await.unwrap().unwrap().state,
        EnrollmentState::Offered
    );
    // Relay down while fetching: error, nothing changed.
    phone.register(&f.relay, &offer.uri, f.now());
    f.relay.with(|r| r.down = true);
    assert!(matches!(f.complete(&eid).await, Err(Error::Relay(_))));
    f.relay.with(|r| r.down = false);
    assert!(matches!(
        f.complete(&eid).await.unwrap(),
        RegistrationStatus::AwaitingActivation(_)
    ));
}

async fn push_methods_need_push_configured(s: Arc<dyn RpStore>) {
    let rp = crate::Rp::from_arc(s);
    let err = rp
        .make_offer(
            "alice",
            &OfferRequest::new("Example", "alice"),
            &relay_url(),
            EnrollmentAuthorization::NoSecondFactorYet,
            &mut crate::test_support::rng(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PushNotConfigured));
}

async fn simple_minimum_needs_the_rp_policy(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let mut request = OfferRequest::new("Example", "alice");
    request.min = ApprovalKind::Simple;
    let err = f
        .try_offer("alice", &request, NO_FACTOR_YET)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::KindNotAllowed(ApprovalKind::Simple)));
}

async fn the_rp_removes_a_device(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let phone = f.enroll("alice", ApprovalKind::Number, 11).await;
    let id = phone.device_id();
    let started =
        f.rp.start_challenge("alice", &crate::test_push::context(), &mut f.rng)
            .await
            .unwrap();
    assert!(matches!(
        f.rp.remove_device("bob", &id, &mut f.rng).await,
        Err(Error::UnknownDevice)
    ));
    assert!(f.rp.remove_device("alice", &id, &mut f.rng).await.unwrap());
    assert_eq!(f.relay.with(|r| r.removed.clone()), vec![id]);
    assert!(f.rp.devices("alice").await.unwrap().is_empty());
    assert!(
        !f.rp.has_totp("alice").await.unwrap(),
        "its TOTP secret is gone too"
    );
    assert_eq!(
        f.rp.check(&started.handle).await.unwrap(),
        crate::ChallengeStatus::Cancelled
    );
    assert!(matches!(
        f.events.all().last(),
        Some(Event::DeviceRemoved {
            by_phone: false,
            ..
        })
    ));
    // Again: nothing left to remove locally, but the relay is told again.
    assert!(!f.rp.remove_device("alice", &id, &mut f.rng).await.unwrap());
    assert_eq!(f.relay.with(|r| r.removed.len()), 2);
}

async fn unenroll_requests_are_verified_and_confirmed(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let phone = f.enroll("alice", ApprovalKind::Number, 11).await;
    let other = f.enroll("bob", ApprovalKind::Number, 12).await;
    let id = phone.device_id();
    let request = UnenrollRequest::make(&phone.signer, &rp_id(), &id, f.now()).unwrap();
    // A forgery for Bob's device, signed with another key.
    let forged =
        UnenrollRequest::make(&phone.signer, &rp_id(), &other.device_id(), f.now()).unwrap();
    let unknown = UnenrollRequest::make(
        &phone.signer,
        &rp_id(),
        &assent_protocol::DeviceId::from_bytes([3; 16]),
        f.now(),
    )
    .unwrap();
    f.relay.with(|r| {
        r.unenroll_requests = vec![request.clone(), forged, unknown];
    });
    let report = f.rp.process_unenroll_requests(&mut f.rng).await.unwrap();
    assert_eq!(report.removed, vec![id]);
    assert_eq!((report.confirmed, report.refused), (1, 2));
    assert!(f.rp.devices("alice").await.unwrap().is_empty());
    assert_eq!(
        f.rp.devices("bob").await.unwrap().len(),
        1,
        "forgery did nothing"
    );
    let confirmation = f.relay.with(|r| r.confirmations[0].clone());
    let removed_at = confirmation
        .open(&rp_id(), &request, phone.k_chan.as_ref().unwrap())
        .unwrap();
    assert_eq!(removed_at, f.now());
    // Replayed: confirmed again, removed only once.
    f.clock.advance(50);
    f.relay
        .with(|r| r.unenroll_requests = vec![request.clone()]);
    let report = f.rp.process_unenroll_requests(&mut f.rng).await.unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(report.confirmed, 1);
    let again = f.relay.with(|r| r.confirmations[1].clone());
    assert_eq!(
        again
            .open(&rp_id(), &request, phone.k_chan.as_ref().unwrap())
            .unwrap(),
        removed_at
    );
    let removals = f
        .events
        .all()
        .iter()
        .filter(|e| matches!(e, Event::DeviceRemoved { by_phone: true, .. }))
        .count();
    assert_eq!(removals, 1);
}

async fn offers_say_the_requested_custody(s: Arc<dyn RpStore>) {
    let mut f = fx(s);
    let rp_offer = f.offer("alice", ApprovalKind::Number).await;
    assert_eq!(rp_offer.offer.custody, assent_protocol::Custody::Rp);
    assert!(rp_offer.uri.contains("&custody=rp&"));
    let mut request = OfferRequest::new("Example", "bob@example.com");
    request.custody = assent_protocol::Custody::Relay;
    let managed = f.try_offer("bob", &request, NO_FACTOR_YET).await.unwrap();
    assert_eq!(managed.offer.custody, assent_protocol::Custody::Relay);
    assert!(managed.uri.contains("&custody=relay&"));
    assert!(managed.json.contains("\"custody\":\"relay\""));
}

on_both_stores!(
    offers_say_the_requested_custody,
    full_enrollment_and_activation,
    a_second_phone_keeps_the_backup_codes_and_needs_a_proof,
    proofs_must_be_for_the_account_and_fresh,
    a_second_factor_added_meanwhile_blocks_an_unproven_activation,
    wrong_activation_code_kills_the_enrollment,
    activation_is_bound_to_the_account_and_its_deadline,
    in_app_activation_checks_the_device_id,
    only_the_first_registration_is_taken,
    an_expired_offer_is_refused,
    a_key_substituted_by_the_relay_is_caught,
    qr_photographer_with_colluding_relay_cannot_activate,
    relay_failures_and_garbage_change_nothing,
    push_methods_need_push_configured,
    simple_minimum_needs_the_rp_policy,
    the_rp_removes_a_device,
    unenroll_requests_are_verified_and_confirmed,
);
