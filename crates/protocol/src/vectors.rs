//! The test vectors of docs/protocol.md, computed from fixed inputs. The test fails if the
//! document does not contain every `name = value` line exactly, so spec and code cannot
//! drift. Regenerate the lines with
//! `cargo test -p assent-protocol print_vectors -- --ignored --nocapture`.

use hpke::{aead::AesGcm256, kdf::HkdfSha256, OpModeS, Serializable as _};
use p256::ecdsa::signature::Signer as _;

use crate::testing::FixedRng;
use crate::*;

const DOC: &str = include_str!("../../../docs/protocol.md");

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}
fn seq(start: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

pub(crate) const DEVICE_SCALAR: &str =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const RP_SCALAR: &str = "317f915db7bc629c48fe765587897e01e282d3e8445f79f27f65d031a88082b2";

fn rp() -> RpId {
    RpId::parse("example.com").unwrap()
}
fn eid() -> EnrollmentId {
    EnrollmentId::from_bytes(seq(0xe0, 16).try_into().unwrap())
}
fn device_id() -> DeviceId {
    DeviceId::from_bytes(seq(0xd0, 16).try_into().unwrap())
}
fn challenge_id() -> [u8; 16] {
    seq(0xc0, 16).try_into().unwrap()
}
fn device_signer() -> SoftwareSigner {
    SoftwareSigner::make(&mut FixedRng::new(unhex(DEVICE_SCALAR))).unwrap()
}
fn k_chan() -> ChannelKey {
    ChannelKey::from_bytes([0x4b; 32])
}

/// RFC 6979 signature with p256 (deterministic), and its twin with s' = n - s.
fn rfc6979(msg: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let key = p256::ecdsa::SigningKey::from_slice(&unhex(DEVICE_SCALAR)).unwrap();
    let sig: p256::ecdsa::Signature = key.sign(msg);
    let (r, s) = sig.split_scalars();
    let twin = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    (
        sig.to_der().as_bytes().to_vec(),
        twin.to_der().as_bytes().to_vec(),
    )
}

fn compute() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let device = device_signer();
    let device_pub = device.public_key();
    v.push(("device_pub", h(device_pub.as_bytes())));

    // 1. enc with every field type.
    let e = Enc::new("assent/v1/example")
        .bytes(&[0x00, 0xff])
        .bytes(b"")
        .str("héllo")
        .u64(0x0102_0304_0506_0708)
        .bool(true)
        .str(ApprovalKind::Number.as_str())
        .bytes(device_id().as_bytes())
        .bytes(device_pub.as_bytes())
        .finish();
    v.push(("enc", h(&e)));

    // 2. k_bind.
    let es = EnrollmentSecret::from_bytes(seq(0x00, 32).try_into().unwrap());
    let k_bind = derive_bind_key(&es, &rp(), &eid()).unwrap();
    v.push(("k_bind", h(&k_bind[..])));

    // 3a. RFC 9180 vector: mode 0, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
    let pk_r = RpKeyPair::from_private_bytes(&unhex(
        "317f915db7bc629c48fe765587897e01e282d3e8445f79f27f65d031a88082b2",
    ))
    .unwrap();
    assert_eq!(
        h(pk_r.public_key().as_bytes()),
        "04abc7e49a4c6b3566d77d0304addc6ed0e98512ffccf505e6a8e3eb25c685136f853148544876de76c0f2ef99cdc3a05ccf5ded7860c7c021238f9e2073d2356c"
    );
    let mut ikm_e = FixedRng::new(unhex(
        "a90d3417c3da9cb6c6ae19b4b5dd6cc9529a4cc24efb7ae0ace1f31887a8cd6c",
    ));
    let (enc, ct) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, keys_kem::Kem, _>(
        &OpModeS::Base,
        &pk_r.public_key().to_hpke().unwrap(),
        &unhex("4f6465206f6e2061204772656369616e2055726e"),
        &unhex("4265617574792069732074727574682c20747275746820626561757479"),
        &unhex("436f756e742d30"),
        &mut ikm_e,
    )
    .unwrap();
    assert_eq!(h(&enc.to_bytes()), "04c06b4f6bebc7bb495cb797ab753f911aff80aefb86fd8b6fcc35525f3ab5f03e0b21bd31a86c6048af3cb2d98e0d3bf01da5cc4c39ff5370d331a4f1f7d5a4e0");
    assert_eq!(h(&ct), "58c61a45059d0c5704560e9d88b564a8b63f1364b8d1fcb3c4c6ddc1d291742465e902cd216f8908da49f8f96f");
    v.push(("rfc9180.enc", h(&enc.to_bytes())));
    v.push(("rfc9180.ct", h(&ct)));

    // 3b. Assent wrap.
    let rp_key = RpKeyPair::from_private_bytes(&unhex(RP_SCALAR)).unwrap();
    v.push(("rpk", h(rp_key.public_key().as_bytes())));
    v.push((
        "wrap.info",
        h(&wrap_info(&rp(), &eid(), rp_key.public_key())),
    ));
    v.push(("wrap.aad", h(device_pub.as_bytes())));
    let wrapped = wrap_channel_key(
        &k_chan(),
        &rp(),
        &eid(),
        rp_key.public_key(),
        &device_pub,
        &mut FixedRng::new([0x45; 32]),
    )
    .unwrap();
    v.push(("wrap.wrapped", h(&wrapped)));
    assert_eq!(
        unwrap_channel_key(&rp_key, &rp(), &eid(), &device_pub, &wrapped).unwrap(),
        k_chan()
    );
    let reg_input = registration_input(
        &rp(),
        &eid(),
        &device_pub,
        Platform::Ios,
        "Alice's iPhone",
        &wrapped,
    );
    v.push(("register.input", h(&reg_input)));
    let bind = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &k_bind[..]),
        &reg_input,
    );
    v.push(("register.bind", h(bind.as_ref())));

    // 4. Enrollment answer seal.
    let enrolled = Enrolled {
        device_id: device_id(),
        totp: TotpParams {
            secret: Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap(),
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        },
        min: ApprovalKind::Number,
    };
    v.push((
        "enrolled.aad",
        h(&enrolled_aad(&rp(), &eid(), &device_id(), &device_pub)),
    ));
    let answer = EnrollmentAnswer::seal(
        &rp(),
        &eid(),
        &device_pub,
        &k_chan(),
        &enrolled,
        &mut FixedRng::new(seq(0x00, 12)),
    )
    .unwrap();
    v.push(("enrolled.sealed", h(&answer.sealed)));
    assert_eq!(
        answer.open(&rp(), &eid(), &device_pub, &k_chan()).unwrap(),
        enrolled
    );

    // 5. Challenge seal.
    let context = LoginContext::new(
        "Firefox 126 on Windows",
        "203.0.113.7".parse().unwrap(),
        "Bern, CH",
        1_700_000_000,
    );
    let params = ChallengeParams {
        device_id: device_id(),
        kind: ApprovalKind::Number,
        uv: true,
        created_at: 1_700_000_000,
        ttl: 120,
    };
    let mut rng = FixedRng::new([challenge_id().to_vec(), seq(0x0c, 12)].concat());
    let challenge = Challenge::make(&rp(), &k_chan(), &params, &context, &mut rng).unwrap();
    v.push(("challenge.h", h(&challenge.header(&rp()))));
    v.push(("challenge.sealed", h(&challenge.sealed)));
    v.push(("challenge.sealed_sha256", h(&challenge.sealed_digest())));

    // 4b. The push payload's routing tag (push id b0b1…bf, this device key).
    let push_id = PushId::from_bytes(seq(0xb0, 16).try_into().unwrap());
    v.push((
        "push.route_key",
        h(&crate::route::derive_route_key(&device_pub)[..]),
    ));
    let payload = PushPayload::derive(push_id, &device_pub);
    v.push(("push.route_tag", h(payload.r.as_bytes())));
    v.push(("push.payload", payload.to_json()));
    let opened = challenge
        .open(
            &rp(),
            &device_id(),
            &k_chan(),
            ApprovalKind::Number,
            1_700_000_001,
        )
        .unwrap();
    assert_eq!(opened.context, context);

    // 6. Answer signing input and signatures.
    let input = answer_signing_input(
        &rp(),
        &device_id(),
        &challenge.challenge_id,
        challenge.created_at,
        challenge.expires_at,
        challenge.kind,
        challenge.uv,
        Decision::Approve,
        "42",
        true,
        &challenge.sealed_digest(),
    );
    v.push(("answer.input", h(&input)));
    v.push(("answer.input_sha256", h(&sha256(&input))));
    let (sig, twin) = rfc6979(&input);
    v.push(("answer.signature", h(&sig)));
    v.push(("answer.signature_twin", h(&twin)));
    for s in [&sig, &twin] {
        let a = Answer {
            device_id: device_id(),
            challenge_id: challenge.challenge_id,
            decision: Decision::Approve,
            entered: "42".into(),
            uv_done: true,
            signature: s.clone(),
        };
        let ok = verify_answer(&device_pub, &rp(), &challenge, &a, 1_700_000_010).unwrap();
        assert_eq!(ok.outcome("42"), Outcome::Approved);
    }

    // 7. Request signing input.
    let relay = RelayUrl::parse("https://relay.example.com").unwrap();
    let body = br#"{"x":1}"#;
    let rinput = request_signing_input(
        &relay,
        &device_id(),
        "POST",
        "/v1/answer",
        1_700_000_030,
        body,
    );
    v.push(("request.input", h(&rinput)));
    v.push(("request.input_sha256", h(&sha256(&rinput))));
    let (rsig, _) = rfc6979(&rinput);
    v.push(("request.signature", h(&rsig)));
    let auth = RequestAuth {
        device_id: device_id(),
        timestamp: 1_700_000_030,
        signature: rsig,
    };
    auth.verify(
        &device_pub,
        &relay,
        "POST",
        "/v1/answer",
        body,
        1_700_000_000,
    )
    .unwrap();

    // 8. Offer URI.
    let offer = Offer {
        rp: rp(),
        issuer: "Example".into(),
        account: "alice@example.com".into(),
        relay,
        eid: eid(),
        es,
        rpk: rp_key.public_key().clone(),
        min: ApprovalKind::Number,
        custody: Custody::Rp,
        uv: false,
        expires_at: 1_700_000_600,
    };
    let uri = offer.to_uri();
    assert_eq!(Offer::parse_uri(&uri, 1_700_000_000).unwrap(), offer);
    v.push(("offer.uri", uri.to_string()));
    v.push(("offer.eid", h(offer.eid.as_bytes())));
    v.push(("offer.es", h(offer.es.expose_secret())));
    v.push(("offer.rpk", h(offer.rpk.as_bytes())));

    handover_vectors(&mut v, &device, &device_pub);
    v
}

/// §11: the handover's key schedule, statement and confirmation.
fn handover_vectors(
    v: &mut Vec<(&'static str, String)>,
    device: &SoftwareSigner,
    device_pub: &DevicePublicKey,
) {
    use crate::handover::*;
    let new_eph = EphemeralSecret::from_bytes(&[0x11; 32]).unwrap();
    let old_eph = EphemeralSecret::from_bytes(&[0x22; 32]).unwrap();
    let (pk_new, pk_old) = (new_eph.public_key(), old_eph.public_key());
    let hid = HandoverId::from_bytes(seq(0xa0, 16).try_into().unwrap());
    let sc = HandoverSecret::from_bytes(seq(0x90, 16).try_into().unwrap());
    let invite = HandoverInvite {
        relay: RelayUrl::parse("https://relay.example.com").unwrap(),
        hid,
        pk: pk_new.clone(),
        sc: sc.clone(),
        name: "Alice's Pixel".into(),
        expires_at: 1_700_000_600,
    };
    v.push(("handover.pk_new", h(pk_new.as_bytes())));
    v.push(("handover.pk_old", h(pk_old.as_bytes())));
    v.push(("handover.uri", invite.to_uri().to_string()));
    v.push((
        "handover.keys_info",
        h(&handover_keys_info(&hid, &pk_new, &pk_old)),
    ));
    let old_keys = SessionKeys::derive(&old_eph, &pk_new, &hid, &sc, &pk_new, &pk_old).unwrap();
    let new_keys = SessionKeys::derive(&new_eph, &pk_old, &hid, &sc, &pk_new, &pk_old).unwrap();
    assert_eq!(old_keys.confirmation_code(), new_keys.confirmation_code());
    v.push(("handover.k_o2n", h(old_keys.o2n.expose_secret())));
    v.push(("handover.k_n2o", h(old_keys.n2o.expose_secret())));
    v.push(("handover.code", old_keys.confirmation_code()));
    v.push(("handover.offer_aad", h(&offer_aad(&hid, &pk_new, &pk_old))));
    v.push(("handover.reply_aad", h(&reply_aad(&hid, &pk_new, &pk_old))));

    let new_device = SoftwareSigner::make(&mut FixedRng::new(vec![0x33; 32])).unwrap();
    let statement = HandoverStatement {
        device_id: device_id(),
        old_device_pub: device_pub.clone(),
        new_device_pub: new_device.public_key(),
        platform: Platform::Poll,
        name: "Alice's Pixel".into(),
        rid: ReplacementId::from_bytes(seq(0x70, 16).try_into().unwrap()),
        issued_at: 1_700_000_000,
        expires_at: 1_700_000_600,
    };
    let input = handover_signing_input(&rp(), &statement);
    v.push((
        "handover.new_device_pub",
        h(new_device.public_key().as_bytes()),
    ));
    v.push(("handover.input", h(&input)));
    v.push(("handover.input_sha256", h(&sha256(&input))));
    let (old_sig, _) = rfc6979(&input);
    v.push(("handover.old_signature", h(&old_sig)));
    let new_sig = statement.sign_new(&new_device, &rp()).unwrap();
    let request = HandoverRequest {
        statement: statement.clone(),
        old_signature: old_sig,
        new_signature: new_sig,
        push_token: String::new(),
    };
    request.verify(&rp(), device_pub, 1_700_000_001).unwrap();
    assert_eq!(
        HandoverRequest::make(
            device,
            &rp(),
            &device_id(),
            statement.clone(),
            request.new_signature.clone(),
            String::new(),
        )
        .map(|r| r.statement),
        Ok(statement.clone())
    );
    v.push(("replaced.aad", h(&replaced_aad(&rp(), &statement))));
    let conf = HandoverConfirmation::seal(
        &rp(),
        &k_chan(),
        &statement,
        1_700_000_005,
        &mut FixedRng::new(seq(0x20, 12)),
    )
    .unwrap();
    assert_eq!(conf.open(&rp(), &statement, &k_chan()), Ok(1_700_000_005));
    v.push(("replaced.sealed", h(&conf.sealed)));
}

/// Lets the vector code name the KEM type.
mod keys_kem {
    pub(crate) type Kem = crate::keys::RpKemAlias;
}

#[test]
fn doc_contains_every_vector() {
    let mut missing = Vec::new();
    for (name, value) in compute() {
        let line = format!("{name} = {value}\n");
        if !DOC.contains(&line) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/protocol.md lacks or differs on: {missing:?}"
    );
}

#[test]
#[ignore = "prints the vector lines for docs/protocol.md"]
fn print_vectors() {
    for (name, value) in compute() {
        println!("{name} = {value}");
    }
}
