//! Enrollment: offer → registration → sealed answer → stored push account.

use assent_core::otp::Totp;
use assent_core::protocol::{
    b64_encode, Activation, ApprovalKind, Custody, EnrollmentAnswer, EnrollmentId, Error as P,
    Signer, SoftwareSigner,
};
use assent_core::{AccountKind, Error, KeyStore};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::fake_relay::{totp_params, FakeRelay, T0};
use crate::phone::Phone;

#[tokio::test]
async fn qr_enrollment_stores_a_push_account_showing_the_activation_code() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let offer = relay.make_offer(ApprovalKind::Number, true);
    let pending = phone.client.enroll_uri(&offer.to_uri()).await.unwrap();
    assert_eq!(pending.issuer(), "Example");
    // Not answered yet: the relay says 404, the caller retries.
    assert_eq!(
        phone.client.finish_enrollment(&pending).await.unwrap(),
        None
    );

    let device_id = relay.deliver(&offer.eid, ApprovalKind::Code);
    let id = phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .unwrap();
    // Idempotent once stored.
    assert_eq!(
        phone.client.finish_enrollment(&pending).await.unwrap(),
        Some(id.clone())
    );

    let push = phone.client.push_enrollment(&id).unwrap();
    assert_eq!(push.device_id(), &device_id);
    assert_eq!(push.rp_id().as_str(), "example.com");
    assert_eq!(push.relay_url().as_str(), "https://relay.example.com");
    assert_eq!(
        push.min_kind(),
        ApprovalKind::Code,
        "stronger of offer and answer"
    );
    assert!(push.user_verification());
    assert_eq!(push.custody(), Custody::Rp);
    let pinned = relay.state().devices[&device_id].device_pub.clone();
    assert_eq!(push.device_public_key(), &pinned);
    // The device key is in the key store and is the one the RP pinned.
    let sig = phone.keys.sign(push.key_alias(), b"m").unwrap();
    pinned.verify(b"m", &sig).unwrap();

    // The activation code is the account's TOTP code, as the RP computes it.
    let rp_totp: Totp = totp_params().totp().unwrap();
    let code = phone.client.activation_code(&id).unwrap().code;
    assert_eq!(code, rp_totp.code_at(T0));
    let activation = phone.client.activation(&id).unwrap();
    let parsed = Activation::from_json(activation.to_json().as_bytes()).unwrap();
    assert_eq!(parsed.eid, offer.eid);
    assert_eq!(parsed.device_id, device_id);
    assert_eq!(parsed.code, code.to_string());

    // Stored encrypted; nothing secret in Debug.
    let again = phone.reopen();
    let account = again.account(&id).unwrap();
    assert!(matches!(account.kind(), AccountKind::Push(p) if p.device_id() == &device_id));
    assert_eq!(account.issuer(), Some("Example"));
    let key = relay.state().devices[&device_id].channel_key.clone();
    let dbg = format!("{:?} {:?}", phone.client, again);
    assert!(!dbg.contains(&b64_encode(key.expose_secret())), "{dbg}");
    assert!(!dbg.contains("12345678901234567890"));
}

#[tokio::test]
async fn in_app_offer_enrolls_and_duplicates_are_refused() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let offer = relay.make_offer(ApprovalKind::Number, false);
    let pending = phone
        .client
        .enroll_json(offer.to_json().as_bytes())
        .await
        .unwrap();
    relay.deliver(&offer.eid, ApprovalKind::Simple);
    let id = phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .unwrap();
    let push = phone.client.push_enrollment(&id).unwrap();
    assert_eq!(push.min_kind(), ApprovalKind::Number, "offer's min is kept");
    assert!(!push.user_verification());
    assert!(matches!(
        phone.client.enroll_uri(&offer.to_uri()).await,
        Err(Error::AlreadyEnrolled)
    ));
}

#[tokio::test]
async fn bad_offers_are_refused_before_any_key_is_made() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let offer = relay.make_offer(ApprovalKind::Number, false);
    let uri = offer.to_uri().to_string();
    let http = uri.replace("https%3A", "http%3A");
    assert!(matches!(
        phone.client.enroll_uri(&http).await,
        Err(Error::Offer(P::NotHttps))
    ));
    assert!(matches!(
        phone.client.enroll_uri(&format!("{uri}&min=simple")).await,
        Err(Error::Offer(P::DuplicateParameter(_)))
    ));
    phone.advance(&relay, 600);
    assert!(matches!(
        phone.client.enroll_uri(&uri).await,
        Err(Error::Offer(P::OfferExpired))
    ));
    assert!(relay.state().registrations.is_empty());
}

/// Replaces the served enrollment answer with `edit` applied to the real one.
fn tamper(relay: &FakeRelay, eid: &EnrollmentId, edit: impl FnOnce(&mut EnrollmentAnswer)) {
    let mut st = relay.state();
    let mut answer = EnrollmentAnswer::from_json(st.enrollment_answers[eid].as_bytes()).unwrap();
    edit(&mut answer);
    st.enrollment_answers.insert(*eid, answer.to_json());
}

#[tokio::test]
async fn altered_enrollment_answers_give_distinct_errors() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let offer = relay.make_offer(ApprovalKind::Number, false);
    let pending = phone.client.enroll_uri(&offer.to_uri()).await.unwrap();
    relay.deliver(&offer.eid, ApprovalKind::Number);
    let original = relay.state().enrollment_answers[&offer.eid].clone();
    let restore = || {
        relay
            .state()
            .enrollment_answers
            .insert(offer.eid, original.clone())
    };

    tamper(&relay, &offer.eid, |a| {
        a.eid = EnrollmentId::from_bytes([7; 16])
    });
    assert!(matches!(
        phone.client.finish_enrollment(&pending).await,
        Err(Error::AnswerForAnotherEnrollment)
    ));
    restore();
    let other = SoftwareSigner::make(&mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    tamper(&relay, &offer.eid, |a| a.device_pub = other.public_key());
    assert!(matches!(
        phone.client.finish_enrollment(&pending).await,
        Err(Error::AnswerForAnotherDeviceKey)
    ));
    restore();
    tamper(&relay, &offer.eid, |a| a.sealed[20] ^= 1);
    assert!(matches!(
        phone.client.finish_enrollment(&pending).await,
        Err(Error::EnrollmentTampered)
    ));
    tamper(&relay, &offer.eid, |a| a.sealed[20] ^= 1);
    tamper(&relay, &offer.eid, |a| {
        a.device_id
            .clone_from(&assent_core::protocol::DeviceId::from_bytes([1; 16]))
    });
    assert!(matches!(
        phone.client.finish_enrollment(&pending).await,
        Err(Error::EnrollmentTampered)
    ));
    assert!(phone.client.vault().accounts().is_empty(), "nothing stored");
    restore();
    assert!(phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn cancelled_enrollment_deletes_its_device_key() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let offer = relay.make_offer(ApprovalKind::Number, false);
    let pending = phone.client.enroll_uri(&offer.to_uri()).await.unwrap();
    let alias = pending.key_alias().to_owned();
    phone.keys.sign(&alias, b"m").unwrap();
    phone.client.cancel_enrollment(pending).unwrap();
    assert!(matches!(
        phone.keys.sign(&alias, b"m"),
        Err(assent_core::KeyStoreError::NotFound(_))
    ));
}
