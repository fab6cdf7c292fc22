//! Every parser of untrusted input returns an error, never panics, on arbitrary input and
//! on single-character mutations of valid messages.

use assent_protocol::*;
use proptest::prelude::*;

fn parse_everything(bytes: &[u8]) {
    let _ = Registration::from_json(bytes);
    let _ = EnrollmentAnswer::from_json(bytes);
    let _ = Activation::from_json(bytes);
    let _ = Challenge::from_json(bytes);
    let _ = Answer::from_json(bytes);
    let _ = PushPayload::from_json(bytes);
    let _ = PushTokenUpdate::from_json(bytes);
    let _ = UnenrollRequest::from_json(bytes);
    let _ = UnenrollConfirmation::from_json(bytes);
    let _ = Offer::from_json(bytes, 0);
    let _ = LoginContext::from_padded(bytes);
    let _ = webpush_keys().decrypt(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = webpush::WebPushSubscription::from_push_token(text);
        let _ = Offer::parse_uri(text, 0);
        let _ = RelayUrl::parse(text);
        let _ = RpId::parse(text);
        let _ = DeviceId::parse(text);
        let _ = DevicePublicKey::parse(text);
        let _ = RpPublicKey::parse(text);
        let _ = EnrollmentSecret::parse(text);
        let _ = RequestAuth::from_headers(text, text, text);
    }
}

/// The receiver of RFC 8291 Appendix A.
#[allow(clippy::unwrap_used)] // a helper, not a #[test]: clippy.toml's allow-unwrap-in-tests misses it
fn webpush_keys() -> webpush::WebPushKeys {
    let private = b64_decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94", "k").unwrap();
    let auth = b64_decode("BTBZMqHH6r4Tts7J_aSIgg", "a").unwrap();
    webpush::WebPushKeys::from_private(&private.try_into().unwrap(), &auth.try_into().unwrap())
        .unwrap()
}

const SAMPLES: &[&str] = &[
    r#"{"device_id":"0NHS09TV1tfY2drb3N3e3w","challenge_id":"wMHCw8TFxsfIycrLzM3Ozw","created_at":1700000000,"expires_at":1700000120,"kind":"number","uv":true,"sealed":"AAEC"}"#,
    r#"{"device_id":"0NHS09TV1tfY2drb3N3e3w","challenge_id":"wMHCw8TFxsfIycrLzM3Ozw","decision":"approve","entered":"42","uv_done":true,"signature":"MEUCIQ"}"#,
    r#"{"platform":"android","push_token":"abc","seq":7}"#,
    r#"{"p":"wMHCw8TFxsfIycrLzM3Ozw","r":"AAECAwQFBgcI"}"#,
    r#"{"eid":"4OHi4-Tl5ufo6err7O3u7w","device_id":"0NHS09TV1tfY2drb3N3e3w","code":"123456"}"#,
    r#"{"device_id":"0NHS09TV1tfY2drb3N3e3w","requested_at":1,"signature":"MEUCIQ"}"#,
    r#"{"platform":"webpush","push_token":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4.BTBZMqHH6r4Tts7J_aSIgg.https://up.example.net/UP?token=abc","seq":8}"#,
    "assent://enroll?v=1&rp=example.com&issuer=Example&account=alice%40example.com&relay=https%3A%2F%2Frelay.example.com&eid=4OHi4-Tl5ufo6err7O3u7w&es=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8&rpk=BKvH5JpMazVm130DBK3cbtDphRL_zPUF5qjj6yXGhRNvhTFIVEh23nbA8u-ZzcOgXM9d7Xhgx8AhI4-eIHPSNWw&min=number&custody=rp&exp=1700000600",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        parse_everything(text.as_bytes());
    }

    #[test]
    fn mutated_messages_never_panic(which in 0..SAMPLES.len(), at in any::<usize>(), c in any::<char>()) {
        let mut chars: Vec<char> = SAMPLES[which].chars().collect();
        let at = at % chars.len();
        chars[at] = c;
        let mutated: String = chars.into_iter().collect();
        parse_everything(mutated.as_bytes());
    }
}

#[test]
fn the_sample_messages_parse() {
    assert!(Challenge::from_json(SAMPLES[0].as_bytes()).is_ok());
    assert!(Answer::from_json(SAMPLES[1].as_bytes()).is_ok());
    assert!(PushTokenUpdate::from_json(SAMPLES[2].as_bytes()).is_ok());
    assert!(PushPayload::from_json(SAMPLES[3].as_bytes()).is_ok());
    assert!(Activation::from_json(SAMPLES[4].as_bytes()).is_ok());
    assert!(UnenrollRequest::from_json(SAMPLES[5].as_bytes()).is_ok());
    assert!(PushTokenUpdate::from_json(SAMPLES[6].as_bytes()).is_ok());
    assert!(Offer::parse_uri(SAMPLES[7], 1_700_000_000).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any byte of a valid Web Push body changed: refused, never a panic (the RFC 8291
    /// example's body, whose record size field is the one byte range it may take).
    #[test]
    fn mutated_webpush_bodies_are_refused(at in 0usize..144, x in 1u8..=255) {
        let mut body = b64_decode("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN", "b").unwrap();
        prop_assert_eq!(body.len(), 144);
        prop_assume!(!(16..20).contains(&at));
        body[at] ^= x;
        prop_assert!(webpush_keys().decrypt(&body).is_err());
    }
}

#[test]
fn json_errors_do_not_echo_input() {
    let secretish = r#"{"p":"TOPSECRETVALUE_0123456"}"#;
    let e = PushPayload::from_json(secretish.as_bytes()).unwrap_err();
    assert!(!e.to_string().contains("TOPSECRET"), "{e}");
    let e = Answer::from_json(br#"{"entered": 5, "x": "TOPSECRET"}"#).unwrap_err();
    assert!(!e.to_string().contains("TOPSECRET"), "{e}");
}
