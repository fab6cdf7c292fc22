//! One whole enrollment, challenge, answer and unenroll through the public API only, as
//! the RP library, the relay and the mobile core will drive it (JSON at every hop).

use assent_protocol::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const NOW: u64 = 1_700_000_000;

#[test]
fn enroll_challenge_answer_unenroll() {
    let mut rp_rng = ChaCha20Rng::seed_from_u64(1);
    let mut phone_rng = ChaCha20Rng::seed_from_u64(2);
    let rp_id = RpId::parse("example.com").unwrap();
    let relay = RelayUrl::parse("https://relay.example.com").unwrap();

    // RP: offer (QR).
    let (offer, secrets) = Offer::make(
        OfferParams {
            rp: rp_id.clone(),
            issuer: "Example".into(),
            account: "alice".into(),
            relay: relay.clone(),
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: NOW + 600,
        },
        &mut rp_rng,
    )
    .unwrap();
    let qr = offer.to_uri();

    // Phone: scan, register.
    let scanned = Offer::parse_uri(&qr, NOW + 5).unwrap();
    let signer = SoftwareSigner::make(&mut phone_rng).unwrap();
    let (registration, k_phone) = Registration::make(
        &scanned,
        &signer,
        Platform::Poll,
        "Test phone",
        "",
        &mut phone_rng,
    )
    .unwrap();
    let wire = registration.to_json();

    // RP: verify, answer.
    let received = Registration::from_json(wire.as_bytes()).unwrap();
    let verified = received.verify(&offer, &secrets, NOW + 10).unwrap();
    let device_id = DeviceId::make(&mut rp_rng);
    let enrolled = Enrolled {
        device_id,
        totp: TotpParams {
            secret: Secret::from_bytes(vec![9; 20]).unwrap(),
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        },
        min: ApprovalKind::Number,
    };
    let answer = EnrollmentAnswer::seal(
        &rp_id,
        &offer.eid,
        &verified.device_pub,
        &verified.channel_key,
        &enrolled,
        &mut rp_rng,
    )
    .unwrap()
    .to_json();

    // Phone: open, show code; RP: activation compares codes.
    let opened = EnrollmentAnswer::from_json(answer.as_bytes())
        .unwrap()
        .open(&rp_id, &scanned.eid, &signer.public_key(), &k_phone)
        .unwrap();
    let shown = opened.totp.totp().unwrap().code_at(NOW + 20);
    assert!(enrolled
        .totp
        .totp()
        .unwrap()
        .code_at(NOW + 20)
        .matches(&shown.to_string()));

    // RP: challenge.
    let ctx = LoginContext::new(
        "Firefox",
        "198.51.100.1".parse().unwrap(),
        "Bern",
        NOW + 100,
    );
    let params = ChallengeParams {
        device_id,
        kind: ApprovalKind::Number,
        uv: false,
        created_at: NOW + 100,
        ttl: DEFAULT_CHALLENGE_TTL,
    };
    let challenge =
        Challenge::make(&rp_id, &verified.channel_key, &params, &ctx, &mut rp_rng).unwrap();
    let fetched = Challenge::from_json(challenge.to_json().as_bytes()).unwrap();

    // Phone: open, approve with the number shown on the login page, signed request.
    let shown = fetched
        .open(&rp_id, &opened.device_id, &k_phone, opened.min, NOW + 101)
        .unwrap();
    assert_eq!(shown.context.client(), "Firefox");
    let a = Answer::make(&signer, &rp_id, &fetched, Decision::Approve, "57", false).unwrap();
    let body = a.to_json();
    let auth = RequestAuth::sign(
        &signer,
        &relay,
        &device_id,
        "POST",
        "/v1/answer",
        NOW + 102,
        body.as_bytes(),
    )
    .unwrap();

    // Relay: check the request.
    auth.verify(
        &verified.device_pub,
        &relay,
        "POST",
        "/v1/answer",
        body.as_bytes(),
        NOW + 103,
    )
    .unwrap();

    // RP: verify with the pinned key and the stored challenge.
    let v = verify_answer(
        &verified.device_pub,
        &rp_id,
        &challenge,
        &Answer::from_json(body.as_bytes()).unwrap(),
        NOW + 104,
    )
    .unwrap();
    assert_eq!(v.outcome("57"), Outcome::Approved);
    assert_eq!(v.outcome("58"), Outcome::WrongEntry);

    // Unenroll.
    let req = UnenrollRequest::make(&signer, &rp_id, &device_id, NOW + 200).unwrap();
    let req_rp = UnenrollRequest::from_json(req.to_json().as_bytes()).unwrap();
    req_rp.verify(&verified.device_pub, &rp_id).unwrap();
    let conf = UnenrollConfirmation::seal(
        &rp_id,
        &verified.channel_key,
        &req_rp,
        NOW + 201,
        &mut rp_rng,
    )
    .unwrap();
    let conf = UnenrollConfirmation::from_json(conf.to_json().as_bytes()).unwrap();
    assert_eq!(conf.open(&rp_id, &req, &k_phone).unwrap(), NOW + 201);
}
