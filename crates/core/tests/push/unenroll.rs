//! Push-token updates and removal.

use assent_core::protocol::{ApprovalKind, Platform};
use assent_core::{Error, KeyStore, KeyStoreError};

use crate::fake_relay::FakeRelay;
use crate::phone::Phone;

#[tokio::test]
async fn push_token_updates_carry_a_persisted_growing_seq() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    phone
        .client
        .update_push_token(&id, Platform::Android, "fcm-1")
        .await
        .unwrap();
    assert_eq!(relay.state().push_tokens[&device_id].seq, 1);
    phone.restart(&relay);
    let failed = phone
        .client
        .update_push_token_everywhere(Platform::Android, "fcm-2")
        .await;
    assert!(failed.is_empty(), "{failed:?}");
    let update = relay.state().push_tokens[&device_id].clone();
    assert_eq!((update.seq, update.push_token.as_str()), (2, "fcm-2"));
    let push = phone.client.push_enrollment(&id).unwrap();
    assert_eq!(
        (push.push_token_seq(), push.platform()),
        (2, Platform::Android)
    );
    assert_eq!(phone.client.device_info().push_token, "fcm-2");
    // A bad token is refused before anything is sent or counted.
    assert!(phone
        .client
        .update_push_token(&id, Platform::Ios, "")
        .await
        .is_err());
    assert_eq!(
        phone.client.push_enrollment(&id).unwrap().push_token_seq(),
        2
    );
}

#[tokio::test]
async fn unenroll_succeeds_only_on_the_rps_confirmation_of_this_request() {
    let relay = FakeRelay::new();
    let mut phone = Phone::new(&relay, 0);
    let (id, device_id) = phone.enroll(&relay, ApprovalKind::Number, false).await;
    let alias = phone
        .client
        .push_enrollment(&id)
        .unwrap()
        .key_alias()
        .to_owned();
    assert!(matches!(
        phone.client.finish_unenroll(&id).await,
        Err(Error::UnenrollNotRequested(_))
    ));

    phone.client.request_unenroll(&id).await.unwrap();
    let requested_at = phone
        .client
        .push_enrollment(&id)
        .unwrap()
        .unenroll_requested_at()
        .unwrap();
    let pinned = relay.state().devices[&device_id].device_pub.clone();
    relay.state().unenroll_requests[0]
        .verify(&pinned, &relay.rp)
        .unwrap();
    assert!(!phone.client.finish_unenroll(&id).await.unwrap(), "not yet");

    // Asking again resends the same request.
    phone.advance(&relay, 30);
    phone.client.request_unenroll(&id).await.unwrap();
    assert_eq!(
        relay.state().unenroll_requests[1].requested_at,
        requested_at
    );

    // Forged by the relay (another key): refused, nothing removed.
    relay.forge_unenroll(device_id);
    assert!(matches!(
        phone.client.finish_unenroll(&id).await,
        Err(Error::UnenrollNotConfirmed)
    ));
    // The RP's confirmation of an older request: refused too.
    relay.confirm_unenroll(device_id, Some(requested_at - 100));
    assert!(matches!(
        phone.client.finish_unenroll(&id).await,
        Err(Error::UnenrollNotConfirmed)
    ));
    assert!(phone.client.vault().account(&id).is_ok());
    phone.keys.sign(&alias, b"m").unwrap();

    relay.confirm_unenroll(device_id, None);
    assert!(phone.client.finish_unenroll(&id).await.unwrap());
    assert!(matches!(
        phone.client.vault().account(&id),
        Err(Error::AccountNotFound(_))
    ));
    assert!(phone.reopen().accounts().is_empty());
    assert!(matches!(
        phone.keys.sign(&alias, b"m"),
        Err(KeyStoreError::NotFound(_))
    ));
}
