//! Enrollment end to end: offer → registration through the relay → the RP's sealed answer
//! → the phone's activation code typed on the login page (DESIGN.md §2, §9), and a QR
//! photographer with a colluding relay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assent_core::Error as PhoneError;
use assent_protocol::{ApprovalKind, DevicePublicKey, Registration};
use assent_rp::{
    ActivationResult, DeviceState, EnrollmentAuthorization, Error as RpError, Event, OfferRequest,
    RegistrationStatus,
};
use assent_tests::{relay_url, StoreKind, World, ALICE};

#[tokio::test]
async fn qr_enrollment_activates_with_the_phones_code_on_both_stores() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let offer = w.offer(ALICE, ApprovalKind::Number).await;
        // The QR carries no TOTP secret; the relay heard only the eid.
        assert!(!offer.uri.contains("secret="));
        assert_eq!(
            w.relay.announced(&offer.offer.eid),
            Some(offer.offer.expires_at)
        );
        assert_eq!(
            w.complete(&offer.offer.eid).await.unwrap(),
            RegistrationStatus::Waiting
        );

        let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
        assert_eq!(pending.issuer(), "Example");
        assert_eq!(pending.account(), "alice@example.com");
        assert_eq!(pending.custody(), assent_protocol::Custody::Rp);
        // Not answered yet.
        assert_eq!(
            w.phone.client.finish_enrollment(&pending).await.unwrap(),
            None
        );

        let RegistrationStatus::AwaitingActivation(info) =
            w.complete(&offer.offer.eid).await.unwrap()
        else {
            panic!("registration not taken")
        };
        assert_eq!(info.name, "Alice's iPhone");
        assert_eq!(info.state, DeviceState::Pending);
        // Pending is not a second factor: no challenge yet.
        assert!(matches!(w.start(ALICE).await, Err(RpError::NoActiveDevice)));

        let id = w
            .phone
            .client
            .finish_enrollment(&pending)
            .await
            .unwrap()
            .unwrap();
        let push = w.phone.client.push_enrollment(&id).unwrap();
        assert_eq!(push.device_id(), &info.device_id);
        assert_eq!(push.min_kind(), ApprovalKind::Number);
        let code = w
            .phone
            .client
            .activation_code(&id)
            .unwrap()
            .code
            .to_string();
        let ActivationResult::Activated(activated) =
            w.activate(ALICE, &offer.offer.eid, &code).await.unwrap()
        else {
            panic!("the phone's code was rejected")
        };
        assert_eq!(activated.device.state, DeviceState::Active);
        assert_eq!(activated.backup_codes.as_ref().map(|c| c.len()), Some(10));
        // The RP tells the application about the new phone.
        assert_eq!(
            w.events.all(),
            [Event::NewDevice {
                account: ALICE.into(),
                device_id: info.device_id,
                name: "Alice's iPhone".into(),
                platform: assent_protocol::Platform::Ios,
                at: w.now(),
            }]
        );
        // The activation code's step is spent: it cannot log in again.
        assert_eq!(
            w.rp.verify_totp(ALICE, &code).await.unwrap(),
            assent_rp::Verification::Rejected
        );
        // Activation is one-shot.
        assert!(matches!(
            w.activate(ALICE, &offer.offer.eid, &code).await,
            Err(RpError::NotAwaitingActivation)
        ));
        // Now the phone is the account's second factor and receives challenges.
        let started = w.start(ALICE).await.unwrap();
        assert_eq!(
            w.deliver_push().await.unwrap().challenge_id,
            started.challenge_id
        );
    }
}

/// The login page asks again after the answer was delivered (a reload, or a reply lost on
/// the way back): the relay keeps the first sealed answer and refuses a different one, and
/// the RP takes that refusal as "delivered", so the page goes on and the phone opens the
/// first answer.
#[tokio::test]
async fn asking_again_after_the_answer_was_delivered_keeps_the_first_answer() {
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    let eid = offer.offer.eid;
    assert!(matches!(
        w.complete(&eid).await.unwrap(),
        RegistrationStatus::AwaitingActivation(_)
    ));
    let first = w.relay.enrollment_answer(&eid).unwrap();
    for _ in 0..2 {
        assert!(matches!(
            w.complete(&eid).await.unwrap(),
            RegistrationStatus::AwaitingActivation(_)
        ));
    }
    assert_eq!(w.relay.enrollment_answer(&eid).unwrap(), first);
    assert!(w
        .phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn in_app_enrollment_uses_the_json_offer_and_the_activation_message() {
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Code).await;
    let pending = w
        .phone
        .client
        .enroll_json(offer.json.as_bytes())
        .await
        .unwrap();
    w.complete(&offer.offer.eid).await.unwrap();
    let id = w
        .phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .unwrap();
    let activation = w.phone.client.activation(&id).unwrap();
    // What the app posts over its own session, parsed by the login server.
    let parsed = assent_protocol::Activation::from_json(activation.to_json().as_bytes()).unwrap();
    let result =
        w.rp.activate_in_app(ALICE, &parsed, &mut w.rng)
            .await
            .unwrap();
    assert!(matches!(result, ActivationResult::Activated(_)));
    assert_eq!(
        w.phone.client.push_enrollment(&id).unwrap().min_kind(),
        ApprovalKind::Code
    );
}

#[tokio::test]
async fn a_wrong_activation_code_kills_the_enrollment() {
    let mut w = World::sqlite().await;
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
    let right = w
        .phone
        .client
        .activation_code(&id)
        .unwrap()
        .code
        .to_string();
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert!(matches!(
        w.activate(ALICE, &offer.offer.eid, &wrong).await.unwrap(),
        ActivationResult::Rejected
    ));
    // One guess per offer: the right code no longer works, and nothing is active.
    assert!(matches!(
        w.activate(ALICE, &offer.offer.eid, &right).await,
        Err(RpError::NotAwaitingActivation)
    ));
    assert!(w.rp.devices(ALICE).await.unwrap().is_empty());
    assert!(matches!(w.start(ALICE).await, Err(RpError::NoActiveDevice)));
    assert!(w.events.all().is_empty(), "no new-phone event");
}

#[tokio::test]
async fn enrolling_another_phone_requires_the_existing_second_factor() {
    let mut w = World::sqlite().await;
    let first = w.enroll_phone(ApprovalKind::Number).await;
    let request = OfferRequest::new("Example", "alice@example.com");
    let refused =
        w.rp.make_offer(
            ALICE,
            &request,
            &relay_url(),
            EnrollmentAuthorization::NoSecondFactorYet,
            &mut w.rng,
        )
        .await;
    assert!(matches!(refused, Err(RpError::SecondFactorRequired)));
    // A redeemed push approval is a proof.
    let started = w.start(ALICE).await.unwrap();
    let view = w.deliver_push().await.unwrap();
    w.phone
        .client
        .answer(
            &view,
            assent_core::Decision::Approve,
            &started.display,
            false,
        )
        .await
        .unwrap();
    w.poll(&started.handle).await.unwrap();
    let proof = w.rp.redeem(&started.handle).await.unwrap().proof;
    let offer =
        w.rp.make_offer(
            ALICE,
            &request,
            &relay_url(),
            EnrollmentAuthorization::Proven(proof),
            &mut w.rng,
        )
        .await
        .unwrap();
    let mut second = w.new_phone(5, "Alice's iPad");
    let pending = second.client.enroll_uri(&offer.uri).await.unwrap();
    w.complete(&offer.offer.eid).await.unwrap();
    let id = second
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .unwrap();
    let code = second.code(&id);
    let ActivationResult::Activated(activated) =
        w.activate(ALICE, &offer.offer.eid, &code).await.unwrap()
    else {
        panic!("rejected")
    };
    assert!(
        activated.backup_codes.is_none(),
        "the account already has a set"
    );
    assert_ne!(activated.device.device_id, first.device_id);
    assert_eq!(
        w.events
            .all()
            .iter()
            .filter(|e| matches!(e, Event::NewDevice { .. }))
            .count(),
        2,
        "every new phone is reported"
    );
}

/// The QR photographer: someone photographs the QR code (so knows `es` and `rpk`) and,
/// with the relay's help, registers a key of its own before the user's phone does.
#[tokio::test]
async fn qr_photographer_with_a_colluding_relay_cannot_activate_its_key() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let offer = w.offer(ALICE, ApprovalKind::Number).await;
        let mut attacker = w.new_phone(66, "Mallory's phone");
        let stolen = attacker.client.enroll_uri(&offer.uri).await.unwrap();

        // The RP takes the first registration: the attacker's.
        let RegistrationStatus::AwaitingActivation(info) =
            w.complete(&offer.offer.eid).await.unwrap()
        else {
            panic!("not taken")
        };
        assert_eq!(info.name, "Mallory's phone");
        // The attacker opens its answer and can compute the activation code …
        let attacker_id = attacker
            .client
            .finish_enrollment(&stolen)
            .await
            .unwrap()
            .unwrap();
        let attacker_code = attacker.code(&attacker_id);

        // … but the user's phone, scanning the same QR, is refused by the relay (first
        // registration wins) …
        let refused = w.phone.client.enroll_uri(&offer.uri).await;
        assert!(
            matches!(refused, Err(PhoneError::Relay { status: 409, .. })),
            "{refused:?}"
        );
        // … and even a relay that accepts it anyway only hands the user's phone an answer
        // for another key, which it refuses: the user never sees a code to type.
        w.relay.accept_later_registrations();
        let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
        let RegistrationStatus::AwaitingActivation(again) =
            w.complete(&offer.offer.eid).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(
            again.device_id, info.device_id,
            "the RP keeps the first registration"
        );
        let got = w.phone.client.finish_enrollment(&pending).await;
        assert!(
            matches!(got, Err(PhoneError::AnswerForAnotherDeviceKey)),
            "{got:?}"
        );
        assert!(w.phone.client.vault().accounts().is_empty());

        // Activation happens only in the account's own session: the attacker's session
        // (another account) cannot use this enrollment.
        assert!(matches!(
            w.activate("mallory", &offer.offer.eid, &attacker_code)
                .await,
            Err(RpError::UnknownEnrollment)
        ));
        // The user types something (they have no code): wrong → the eid dies, and the
        // attacker's right code is useless afterwards.
        let guess = format!(
            "{:06}",
            (attacker_code.parse::<u32>().unwrap() + 1) % 1_000_000
        );
        assert!(matches!(
            w.activate(ALICE, &offer.offer.eid, &guess).await.unwrap(),
            ActivationResult::Rejected
        ));
        assert!(matches!(
            w.activate(ALICE, &offer.offer.eid, &attacker_code).await,
            Err(RpError::NotAwaitingActivation)
        ));
        assert!(w.rp.devices(ALICE).await.unwrap().is_empty());
        assert!(matches!(w.start(ALICE).await, Err(RpError::NoActiveDevice)));
        assert!(w.events.all().is_empty());
    }
}

#[tokio::test]
async fn an_expired_offer_is_refused_by_the_phone_and_the_rp() {
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    w.advance(600);
    let got = w.phone.client.enroll_uri(&offer.uri).await;
    assert!(matches!(got, Err(PhoneError::Offer(_))), "{got:?}");
    // A registration that slipped in before expiry is still refused after it, by the RP.
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    w.advance(600);
    assert!(matches!(
        w.complete(&offer.offer.eid).await,
        Err(RpError::EnrollmentExpired)
    ));
}

/// Every field of the registration, changed by the relay on its way to the RP.
#[tokio::test]
async fn a_relay_altering_any_registration_field_is_caught_by_the_rp() {
    type Alter = fn(&mut Registration);
    let cases: [(&str, Alter); 7] = [
        ("device_pub", |r| r.device_pub = other_key()),
        ("platform", |r| r.platform = assent_protocol::Platform::Poll),
        ("name", |r| r.name = "Mallory's phone".into()),
        ("wrapped", |r| r.wrapped[70] ^= 1),
        ("wrapped enc key", |r| r.wrapped[5] ^= 1),
        ("bind", |r| r.bind[0] ^= 1),
        ("signature", |r| {
            let n = r.signature.len();
            r.signature[n - 1] ^= 1
        }),
    ];
    for (field, alter) in cases {
        let mut w = World::sqlite().await;
        let offer = w.offer(ALICE, ApprovalKind::Number).await;
        let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
        w.relay.on_registration(move |mut r| {
            alter(&mut r);
            if r.platform == assent_protocol::Platform::Poll {
                r.push_token.clear();
            }
            Some(r)
        });
        let got = w.complete(&offer.offer.eid).await;
        assert!(matches!(got, Err(RpError::Protocol(_))), "{field}: {got:?}");
        // The offer is dead: the genuine registration is not taken afterwards either.
        w.relay.clear_hooks();
        assert!(
            matches!(
                w.complete(&offer.offer.eid).await,
                Err(RpError::EnrollmentUsed)
            ),
            "{field}"
        );
        assert_eq!(
            w.phone.client.finish_enrollment(&pending).await.unwrap(),
            None,
            "{field}"
        );
        assert!(w.rp.devices(ALICE).await.unwrap().is_empty(), "{field}");
    }
}

#[tokio::test]
async fn a_registration_for_another_eid_changes_nothing_and_the_push_token_is_relay_only() {
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    let other = w.offer("bob", ApprovalKind::Number).await;
    let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    let other_eid = other.offer.eid;
    w.relay.on_registration(move |mut r| {
        r.eid = other_eid;
        Some(r)
    });
    assert!(matches!(
        w.complete(&offer.offer.eid).await,
        Err(RpError::Protocol(assent_protocol::Error::WrongEnrollment))
    ));
    // Refused before the offer was claimed: the genuine registration still goes through.
    // The push token is for the relay only (docs/protocol.md §3.2): not bound, so a change
    // there is not the RP's business.
    w.relay.on_registration(|mut r| {
        r.push_token = "b".repeat(64);
        Some(r)
    });
    assert!(matches!(
        w.complete(&offer.offer.eid).await.unwrap(),
        RegistrationStatus::AwaitingActivation(_)
    ));
    assert!(w
        .phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_relay_swapping_in_its_own_device_key_is_caught() {
    // A complete registration of the relay's own, with its own key and channel key,
    // wrapped to the right rpk — but without `es` it cannot compute bind.
    let mut w = World::sqlite().await;
    let offer = w.offer(ALICE, ApprovalKind::Number).await;
    w.phone.client.enroll_uri(&offer.uri).await.unwrap();
    let mut forged_offer = offer.offer.clone();
    forged_offer.es = assent_protocol::EnrollmentSecret::make(&mut rng(3));
    let signer = assent_protocol::SoftwareSigner::make(&mut rng(4)).unwrap();
    let (forged, _k) = Registration::make(
        &forged_offer,
        &signer,
        assent_protocol::Platform::Ios,
        "Alice's iPhone",
        &"a".repeat(64),
        &mut rng(5),
    )
    .unwrap();
    w.relay.on_registration(move |_| Some(forged.clone()));
    assert!(matches!(
        w.complete(&offer.offer.eid).await,
        Err(RpError::Protocol(_))
    ));
    assert!(w.rp.devices(ALICE).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_relay_altering_the_enrollment_answer_is_refused_by_the_phone() {
    type Alter = fn(&mut assent_protocol::EnrollmentAnswer, &World);
    let cases: [(&str, Alter); 5] = [
        ("eid", |a, _| {
            a.eid = assent_protocol::EnrollmentId::from_bytes([9; 16])
        }),
        ("device_pub", |a, _| a.device_pub = other_key()),
        ("device_id", |a, _| {
            a.device_id = assent_protocol::DeviceId::from_bytes([9; 16])
        }),
        ("sealed", |a, _| a.sealed[20] ^= 1),
        ("sealed nonce", |a, _| a.sealed[0] ^= 1),
    ];
    for (field, alter) in cases {
        let mut w = World::sqlite().await;
        let offer = w.offer(ALICE, ApprovalKind::Number).await;
        let pending = w.phone.client.enroll_uri(&offer.uri).await.unwrap();
        w.complete(&offer.offer.eid).await.unwrap();
        let mut answer = w.relay.enrollment_answer(&offer.offer.eid).unwrap();
        alter(&mut answer, &w);
        w.relay.on_enrollment_answer(move |_| Some(answer.clone()));
        let got = w.phone.client.finish_enrollment(&pending).await;
        let expected = match field {
            "eid" => matches!(got, Err(PhoneError::AnswerForAnotherEnrollment)),
            "device_pub" => matches!(got, Err(PhoneError::AnswerForAnotherDeviceKey)),
            _ => matches!(got, Err(PhoneError::EnrollmentTampered)),
        };
        assert!(expected, "{field}: {got:?}");
        assert!(w.phone.client.vault().accounts().is_empty(), "{field}");
        // The genuine answer still opens once the relay behaves.
        w.relay.clear_hooks();
        assert!(w
            .phone
            .client
            .finish_enrollment(&pending)
            .await
            .unwrap()
            .is_some());
    }
}

fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_core::SeedableRng::seed_from_u64(seed)
}

fn other_key() -> DevicePublicKey {
    assent_protocol::Signer::public_key(
        &assent_protocol::SoftwareSigner::make(&mut rng(77)).unwrap(),
    )
}

#[tokio::test]
async fn unenroll_completes_only_on_the_rps_confirmation() {
    for store in [StoreKind::Sqlite, StoreKind::Memory] {
        let mut w = World::on(store).await;
        let enrolled = w.enroll_phone(ApprovalKind::Number).await;
        let id = enrolled.account_id.clone();
        w.phone.client.request_unenroll(&id).await.unwrap();
        // Not confirmed yet.
        assert!(!w.phone.client.finish_unenroll(&id).await.unwrap());
        assert_eq!(w.phone.client.vault().accounts().len(), 1);

        let report = w.rp.process_unenroll_requests(&mut w.rng).await.unwrap();
        assert_eq!(report.removed, [enrolled.device_id]);
        assert_eq!((report.confirmed, report.refused), (1, 0));
        assert!(w.rp.devices(ALICE).await.unwrap().is_empty());
        assert!(
            !w.rp.has_totp(ALICE).await.unwrap(),
            "the phone's TOTP secret goes with it"
        );
        assert!(matches!(w.start(ALICE).await, Err(RpError::NoActiveDevice)));
        assert!(w.events.all().contains(&Event::DeviceRemoved {
            account: ALICE.into(),
            device_id: enrolled.device_id,
            by_phone: true,
            at: w.now(),
        }));

        assert!(w.phone.client.finish_unenroll(&id).await.unwrap());
        assert!(w.phone.client.vault().accounts().is_empty());
    }
}

#[tokio::test]
async fn a_relay_cannot_forge_an_unenroll_confirmation() {
    use assent_protocol::{ChannelKey, UnenrollConfirmation, UnenrollRequest};
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let id = enrolled.account_id.clone();
    w.phone.client.request_unenroll(&id).await.unwrap();
    let request: UnenrollRequest = w.relay.unenroll_requests()[0].clone();

    // Sealed under a key of the relay's own.
    let forged = UnenrollConfirmation::seal(
        &assent_tests::rp_id(),
        &ChannelKey::make(&mut rng(1)),
        &request,
        w.now(),
        &mut rng(2),
    )
    .unwrap();
    w.relay.serve_confirmation(enrolled.device_id, forged);
    let got = w.phone.client.finish_unenroll(&id).await;
    assert!(
        matches!(got, Err(PhoneError::UnenrollNotConfirmed)),
        "{got:?}"
    );
    assert_eq!(w.phone.client.vault().accounts().len(), 1);

    // The RP's genuine confirmation, relabelled for another request time.
    w.relay.clear_hooks();
    w.rp.process_unenroll_requests(&mut w.rng).await.unwrap();
    w.relay.on_confirmation(|mut c| {
        c.requested_at -= 1;
        Some(c)
    });
    let got = w.phone.client.finish_unenroll(&id).await;
    assert!(
        matches!(got, Err(PhoneError::UnenrollNotConfirmed)),
        "{got:?}"
    );
    assert_eq!(w.phone.client.vault().accounts().len(), 1);
    w.relay.clear_hooks();
    assert!(w.phone.client.finish_unenroll(&id).await.unwrap());
}

#[tokio::test]
async fn a_relay_cannot_forge_or_alter_an_unenroll_request() {
    use assent_protocol::UnenrollRequest;
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    // A request signed by the relay's own key, for the user's device.
    let signer = assent_protocol::SoftwareSigner::make(&mut rng(8)).unwrap();
    let forged = UnenrollRequest::make(
        &signer,
        &assent_tests::rp_id(),
        &enrolled.device_id,
        w.now(),
    )
    .unwrap();
    w.relay.inject_unenroll_request(forged);
    let report = w.rp.process_unenroll_requests(&mut w.rng).await.unwrap();
    assert_eq!(
        (report.removed.len(), report.confirmed, report.refused),
        (0, 0, 1)
    );
    // The genuine request with its time changed.
    w.relay.clear_hooks();
    w.phone
        .client
        .request_unenroll(&enrolled.account_id)
        .await
        .unwrap();
    w.relay.on_unenroll_request(|mut r| {
        r.requested_at += 1;
        Some(r)
    });
    let report = w.rp.process_unenroll_requests(&mut w.rng).await.unwrap();
    assert_eq!((report.removed.len(), report.refused), (0, 1));
    assert_eq!(w.rp.devices(ALICE).await.unwrap().len(), 1);
    assert!(w.start(ALICE).await.is_ok(), "the phone still works");
}

#[tokio::test]
async fn a_phone_removed_by_the_rp_gets_no_more_challenges() {
    let mut w = World::sqlite().await;
    let enrolled = w.enroll_phone(ApprovalKind::Number).await;
    let started = w.start(ALICE).await.unwrap();
    // A relay faking the removal notice before the RP sends one: refused.
    let fake = assent_protocol::UnenrollConfirmation::seal_notice(
        &assent_tests::rp_id(),
        &assent_protocol::ChannelKey::from_bytes([7; 32]),
        &enrolled.device_id,
        w.now(),
        &mut w.rng,
    )
    .unwrap();
    w.relay.serve_confirmation(enrolled.device_id, fake);
    assert!(matches!(
        w.phone.client.check_removed(&enrolled.account_id).await,
        Err(PhoneError::UnenrollNotConfirmed)
    ));
    assert!(w.phone.client.vault().account(&enrolled.account_id).is_ok());
    w.relay.clear_hooks();

    assert!(w
        .rp
        .remove_device(ALICE, &enrolled.device_id, &mut w.rng)
        .await
        .unwrap());
    assert_eq!(
        w.poll(&started.handle).await.unwrap(),
        assent_rp::ChallengeStatus::Cancelled
    );
    // The phone is told under the channel key, and deletes the account.
    assert!(w
        .phone
        .client
        .check_removed(&enrolled.account_id)
        .await
        .unwrap());
    assert!(w
        .phone
        .client
        .vault()
        .account(&enrolled.account_id)
        .is_err());
    assert!(w.events.all().contains(&Event::DeviceRemoved {
        account: ALICE.into(),
        device_id: enrolled.device_id,
        by_phone: false,
        at: w.now(),
    }));
    // The relay forgot the device: its signed requests are refused.
    assert!(w.deliver_push().await.is_err());
    assert!(matches!(w.start(ALICE).await, Err(RpError::NoActiveDevice)));
}
