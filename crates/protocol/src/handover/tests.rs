//! Two phones through the mailbox, and what a relay with a photo of the QR can do.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::*;
use crate::ids::{DeviceId, EnrollmentId, HandoverId, ReplacementId};
use crate::keys::ChannelKey;
use crate::kinds::{ApprovalKind, Custody, Platform};
use crate::relay_url::RelayUrl;
use crate::rp_id::RpId;
use crate::signer::{Signer, SoftwareSigner};
use crate::Error;

struct NewPhone {
    secret: EphemeralSecret,
    invite: HandoverInvite,
}

fn new_phone(rng: &mut ChaCha20Rng) -> NewPhone {
    let secret = EphemeralSecret::make(rng).unwrap();
    let invite = HandoverInvite {
        relay: RelayUrl::parse("https://relay.example.com").unwrap(),
        hid: HandoverId::make(rng),
        pk: secret.public_key(),
        sc: HandoverSecret::make(rng),
        name: "New phone".into(),
        expires_at: 1600,
    };
    NewPhone { secret, invite }
}

fn accounts(old_key: &SoftwareSigner, k_chan: &ChannelKey) -> HandoverAccounts {
    let otp = |name: &str| OtpTransfer {
        name: name.into(),
        uri: "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example".into(),
    };
    HandoverAccounts {
        accounts: vec![
            HandoverAccount::Otp(otp("GitHub")),
            HandoverAccount::Push(PushTransfer::new(
                otp("Example"),
                RpId::parse("example.com").unwrap(),
                RelayUrl::parse("https://relay.example.com").unwrap(),
                EnrollmentId::from_bytes([1; 16]),
                DeviceId::from_bytes([2; 16]),
                old_key.public_key(),
                k_chan,
                ApprovalKind::Number,
                true,
                Custody::Rp,
            )),
        ],
    }
}

#[test]
fn two_phones_agree_and_move_accounts() {
    let mut rng = ChaCha20Rng::seed_from_u64(81);
    let new = new_phone(&mut rng);
    let scanned = HandoverInvite::parse_uri(&new.invite.to_uri(), 1000).unwrap();

    // Old phone.
    let old_eph = EphemeralSecret::make(&mut rng).unwrap();
    let pk_old = old_eph.public_key();
    let old_keys = SessionKeys::derive(
        &old_eph,
        &scanned.pk,
        &scanned.hid,
        &scanned.sc,
        &scanned.pk,
        &pk_old,
    )
    .unwrap();
    let device_key = SoftwareSigner::make(&mut rng).unwrap();
    let k_chan = ChannelKey::make(&mut rng);
    let sent = accounts(&device_key, &k_chan);
    let offer = HandoverOffer::seal(
        &old_keys,
        &scanned.hid,
        &scanned.pk,
        &pk_old,
        &sent,
        &mut rng,
    )
    .unwrap();
    let offer_json = offer.to_json();
    assert!(
        !offer_json.contains("JBSWY3DP"),
        "the relay sees ciphertext"
    );

    // New phone.
    let offer = HandoverOffer::from_json(offer_json.as_bytes()).unwrap();
    let new_keys = SessionKeys::derive(
        &new.secret,
        &offer.pk,
        &new.invite.hid,
        &new.invite.sc,
        &new.invite.pk,
        &offer.pk,
    )
    .unwrap();
    assert_eq!(new_keys.confirmation_code(), old_keys.confirmation_code());
    assert_eq!(new_keys.confirmation_code().len(), 7);
    let got = offer
        .open(&new_keys, &new.invite.hid, &new.invite.pk)
        .unwrap();
    assert_eq!(got, sent);
    let HandoverAccount::Push(push) = &got.accounts[1] else {
        panic!("push account expected")
    };
    assert_eq!(push.channel_key().unwrap(), k_chan);
    assert!(!format!("{got:?}").contains("JBSWY3DP"));

    let new_key = SoftwareSigner::make(&mut rng).unwrap();
    let rp = RpId::parse("example.com").unwrap();
    let statement = HandoverStatement {
        device_id: push.device_id,
        old_device_pub: push.device_pub.clone(),
        new_device_pub: new_key.public_key(),
        platform: Platform::Poll,
        name: "New phone".into(),
        rid: ReplacementId::make(&mut rng),
        issued_at: 1000,
        expires_at: 1600,
    };
    let receipt = HandoverReceipt {
        stored: vec![0],
        replacements: vec![ReplacementOffer {
            index: 1,
            new_signature: statement.sign_new(&new_key, &rp).unwrap(),
            statement,
            push_token: String::new(),
        }],
    };
    let reply = HandoverReply::seal(
        &new_keys,
        &new.invite.hid,
        &new.invite.pk,
        &offer.pk,
        &receipt,
        &mut rng,
    )
    .unwrap();

    // Old phone again.
    let reply = HandoverReply::from_json(reply.to_json().as_bytes()).unwrap();
    let back = reply
        .open(&old_keys, &scanned.hid, &scanned.pk, &pk_old)
        .unwrap();
    assert_eq!(back, receipt);
    let r = &back.replacements[0];
    let request = HandoverRequest::make(
        &device_key,
        &rp,
        &push.device_id,
        r.statement.clone(),
        r.new_signature.clone(),
        r.push_token.clone(),
    )
    .unwrap();
    request.verify(&rp, &device_key.public_key(), 1001).unwrap();

    // A reply sealed in the other direction's key, or moved to another mailbox, does
    // not open.
    let mirrored = HandoverReply {
        sealed: offer.sealed.clone(),
    };
    assert_eq!(
        mirrored.open(&old_keys, &scanned.hid, &scanned.pk, &pk_old),
        Err(Error::Tampered)
    );
    let other_hid = HandoverId::make(&mut rng);
    assert_eq!(
        reply.open(&old_keys, &other_hid, &scanned.pk, &pk_old),
        Err(Error::Tampered)
    );
}

/// A relay (or anyone) with a photo of the QR knows `hid`, `pk_new` and `sc`. Its own
/// offer makes the new phone show a code it cannot aim at, and it cannot open the old
/// phone's offer.
#[test]
fn a_photo_of_the_qr_is_not_enough() {
    let mut rng = ChaCha20Rng::seed_from_u64(82);
    let new = new_phone(&mut rng);
    let inv = &new.invite;

    let old_eph = EphemeralSecret::make(&mut rng).unwrap();
    let pk_old = old_eph.public_key();
    let old_keys =
        SessionKeys::derive(&old_eph, &inv.pk, &inv.hid, &inv.sc, &inv.pk, &pk_old).unwrap();
    let device_key = SoftwareSigner::make(&mut rng).unwrap();
    let genuine = HandoverOffer::seal(
        &old_keys,
        &inv.hid,
        &inv.pk,
        &pk_old,
        &accounts(&device_key, &ChannelKey::make(&mut rng)),
        &mut rng,
    )
    .unwrap();

    // The attacker tries many keys of its own: the new phone's code for each differs
    // from the old phone's (it would need the ECDH secret to aim at it).
    let mut matches = 0;
    for _ in 0..200 {
        let evil = EphemeralSecret::make(&mut rng).unwrap();
        let evil_keys = SessionKeys::derive(
            &evil,
            &inv.pk,
            &inv.hid,
            &inv.sc,
            &inv.pk,
            &evil.public_key(),
        )
        .unwrap();
        let new_side = SessionKeys::derive(
            &new.secret,
            &evil.public_key(),
            &inv.hid,
            &inv.sc,
            &inv.pk,
            &evil.public_key(),
        )
        .unwrap();
        assert_eq!(evil_keys.confirmation_code(), new_side.confirmation_code());
        if new_side.confirmation_code() == old_keys.confirmation_code() {
            matches += 1;
        }
        // Its keys do not open the genuine offer.
        assert_eq!(
            genuine.open(&evil_keys, &inv.hid, &inv.pk).map(|_| ()),
            Err(Error::Tampered)
        );
    }
    assert!(matches <= 1, "codes are six digits");

    // Swapping the genuine offer's key for the attacker's breaks the seal.
    let evil = EphemeralSecret::make(&mut rng).unwrap();
    let forged = HandoverOffer {
        pk: evil.public_key(),
        sealed: genuine.sealed.clone(),
    };
    let new_side = SessionKeys::derive(
        &new.secret,
        &forged.pk,
        &inv.hid,
        &inv.sc,
        &inv.pk,
        &forged.pk,
    )
    .unwrap();
    assert_eq!(
        forged.open(&new_side, &inv.hid, &inv.pk).map(|_| ()),
        Err(Error::Tampered)
    );
    // Without `sc` (the relay never sees it) the same ECDH gives other keys.
    let wrong_sc = HandoverSecret::make(&mut rng);
    let guess =
        SessionKeys::derive(&new.secret, &pk_old, &inv.hid, &wrong_sc, &inv.pk, &pk_old).unwrap();
    assert_eq!(
        genuine.open(&guess, &inv.hid, &inv.pk).map(|_| ()),
        Err(Error::Tampered)
    );
}

#[test]
fn oversized_and_malformed_messages_are_refused() {
    let big = vec![b' '; MAX_HANDOVER_MESSAGE + 1];
    assert!(matches!(
        HandoverOffer::from_json(&big),
        Err(Error::TooLarge { .. })
    ));
    assert!(HandoverReply::from_json(b"{\"sealed\":\"AA\",\"x\":1}").is_err());
    assert!(HandoverOffer::from_json(b"{\"pk\":\"AA\",\"sealed\":\"\"}").is_err());
    assert!(HandoverAccounts::from_json(br#"{"accounts":[{"kind":"sms","name":"x"}]}"#).is_err());
    assert_eq!(MailboxSlot::parse("offer"), Ok(MailboxSlot::Offer));
    assert!(MailboxSlot::parse("Offer").is_err());
}
