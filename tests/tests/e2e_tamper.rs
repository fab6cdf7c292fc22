//! A relay that tampers with what it stores, end to end: the test opens the REAL relay's
//! SQLite file (as whoever owns the relay's disk would) and rewrites the stored
//! registration, challenge, answer and device key between the relay's writes and reads.
//! Every change is caught by the RP or by the phone: refused, nothing enrolled, nothing
//! shown, nothing approved (DESIGN.md §1–§5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assent_core::{Decision, Error as PhoneError};
use assent_protocol::{
    registration_input, Answer, ApprovalKind, Challenge, ChallengeId, DeviceId, Platform,
    Registration, Signer, SoftwareSigner,
};
use assent_rp::{ChallengeStatus, Error as RpError, PushPolicy, RegistrationStatus};
use assent_tests::backend::{Arg, Backend};
use assent_tests::real_relay::{RealPhone, RealRelay, RelayOptions, Site};
use assent_tests::rp_id;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

async fn setup(backend: Backend, seed: u64) -> (RealRelay, Site, RealPhone) {
    let relay = RealRelay::start_with(RelayOptions {
        backend,
        uncached: true,
        ..RelayOptions::default()
    })
    .await;
    let key = relay.tenant("example.com").await;
    let site = Site::new(&relay, &key, PushPolicy::default(), seed).await;
    let phone = RealPhone::new(
        relay.ca.ca_pem(),
        relay.clock.clone(),
        seed + 1,
        "Alice's phone",
    );
    (relay, site, phone)
}

fn attacker() -> SoftwareSigner {
    SoftwareSigner::make(&mut ChaCha20Rng::seed_from_u64(666)).unwrap()
}

async fn read(relay: &RealRelay, sql: &str, id: &str) -> String {
    relay.db().await.text(sql, &[id.into()]).await
}

async fn write(relay: &RealRelay, sql: &str, value: impl Into<Arg>, id: &str) {
    let changed = relay
        .db()
        .await
        .execute(sql, &[value.into(), id.into()])
        .await;
    assert_eq!(changed, 1, "{sql}");
}

/// Replaces one character in the middle of a base64url JSON string field `field` of
/// `json` by another base64url character: bytes altered, the JSON still well formed.
fn flip_b64_char(json: &str, field: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    let text = value[field].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = text.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    value[field] = serde_json::Value::String(chars.into_iter().collect());
    value.to_string()
}

type AlterRegistration = fn(&mut Registration);

async fn a_registration_altered_in_the_relay_database_is_refused_and_nothing_is_enrolled(
    backend: Backend,
) {
    let (relay, mut site, mut phone) = setup(backend, 10).await;
    let cases: [(&str, AlterRegistration); 7] = [
        ("device_pub swapped, re-signed by the relay's key", |r| {
            let key = attacker();
            r.device_pub = key.public_key();
            let input = registration_input(
                &rp_id(),
                &r.eid,
                &r.device_pub,
                r.platform,
                &r.name,
                &r.wrapped,
            );
            r.signature = key.sign(&input).unwrap();
        }),
        ("device_pub swapped", |r| {
            r.device_pub = attacker().public_key()
        }),
        ("wrapped", |r| r.wrapped[40] ^= 1),
        ("name", |r| r.name = "Mallory's phone".into()),
        ("bind", |r| r.bind[0] ^= 1),
        ("signature", |r| {
            let n = r.signature.len();
            r.signature[n - 3] ^= 1;
        }),
        ("platform", |r| r.platform = Platform::Ios),
    ];
    for (i, (case, alter)) in cases.into_iter().enumerate() {
        let account = format!("user{i}");
        let offer = site.offer(&account, ApprovalKind::Number).await;
        let pending = phone.client.enroll_uri(&offer.uri).await.unwrap();
        let eid = offer.offer.eid.to_string();
        let sql = "SELECT registration FROM enrollments WHERE eid = $1";
        let mut registration =
            Registration::from_json(read(&relay, sql, &eid).await.as_bytes()).unwrap();
        alter(&mut registration);
        write(
            &relay,
            "UPDATE enrollments SET registration = $1 WHERE eid = $2",
            &registration.to_json(),
            &eid,
        )
        .await;
        let got = site.complete(&offer.offer.eid).await;
        // A platform without its push token no longer even parses as a registration.
        let refused = match case {
            "platform" => matches!(got, Err(RpError::Relay(_))),
            _ => matches!(got, Err(RpError::Protocol(_))),
        };
        assert!(refused, "{case}: the RP took it: {got:?}");
        assert!(
            site.rp.devices(&account).await.unwrap().is_empty(),
            "{case}"
        );
        // Asking again changes nothing: the enrollment is dead, not waiting.
        assert!(
            !matches!(
                site.complete(&offer.offer.eid).await,
                Ok(RegistrationStatus::AwaitingActivation(_))
            ),
            "{case}"
        );
        // The phone never gets an answer, so never shows an activation code.
        assert!(
            phone
                .client
                .finish_enrollment(&pending)
                .await
                .unwrap()
                .is_none(),
            "{case}"
        );
        phone.client.cancel_enrollment(pending).unwrap();
    }

    // Raw bytes: one base64 character of `wrapped` changed in the stored text.
    let offer = site.offer("raw", ApprovalKind::Number).await;
    phone.client.enroll_uri(&offer.uri).await.unwrap();
    let eid = offer.offer.eid.to_string();
    let stored = read(
        &relay,
        "SELECT registration FROM enrollments WHERE eid = $1",
        &eid,
    )
    .await;
    write(
        &relay,
        "UPDATE enrollments SET registration = $1 WHERE eid = $2",
        &flip_b64_char(&stored, "wrapped"),
        &eid,
    )
    .await;
    assert!(site.complete(&offer.offer.eid).await.is_err());
    assert!(site.rp.devices("raw").await.unwrap().is_empty());
}

async fn the_relay_swapping_the_registered_key_column_cannot_get_a_device_created(
    backend: Backend,
) {
    let (relay, mut site, mut phone) = setup(backend, 20).await;
    let offer = site.offer("alice", ApprovalKind::Number).await;
    let pending = phone.client.enroll_uri(&offer.uri).await.unwrap();
    let eid = offer.offer.eid.to_string();
    let key = attacker().public_key();
    write(
        &relay,
        "UPDATE enrollments SET device_pub = $1 WHERE eid = $2",
        &key.as_bytes().to_vec(),
        &eid,
    )
    .await;
    // The RP verifies the registration as sent (genuine) and seals its answer to the
    // genuine key; the relay's own record names another key, so no device is created
    // under the relay's key.
    let got = site.complete(&offer.offer.eid).await;
    let devices = relay
        .db()
        .await
        .count(
            "SELECT COUNT(*) FROM devices WHERE device_pub = $1",
            &[key.as_bytes().to_vec().into()],
        )
        .await;
    assert_eq!(devices, 0, "a device with the relay's key: {got:?}");
    assert!(
        matches!(
            got,
            Err(RpError::Relay(assent_rp::RelayError::Rejected {
                status: 400,
                ..
            }))
        ),
        "{got:?}"
    );
    // At most a device awaiting an activation code that only the phone could show, and
    // the phone gets no answer: nothing can be activated, no challenge can start.
    assert!(site
        .rp
        .devices("alice")
        .await
        .unwrap()
        .iter()
        .all(|d| d.state == assent_rp::DeviceState::Pending));
    assert!(site.start("alice").await.is_err());
    // The phone gets no answer, so shows no activation code.
    assert!(phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .is_none());
}

type AlterChallenge = fn(&mut Challenge);

async fn a_challenge_altered_in_the_relay_database_is_refused_by_the_phone(backend: Backend) {
    let (relay, mut site, mut phone) = setup(backend, 30).await;
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let started = site.start("alice").await.unwrap();
    let cid = started.challenge_id.to_string();
    let sql = "SELECT challenge FROM challenges WHERE challenge_id = $1";
    let update = "UPDATE challenges SET challenge = $1 WHERE challenge_id = $2";
    let genuine = read(&relay, sql, &cid).await;

    let cases: [(&str, AlterChallenge); 10] = [
        ("device_id", |c| c.device_id = DeviceId::from_bytes([7; 16])),
        ("challenge_id", |c| {
            c.challenge_id = ChallengeId::from_bytes([7; 16])
        }),
        ("created_at", |c| c.created_at -= 1),
        ("expires_at later", |c| c.expires_at += 600),
        ("expires_at earlier", |c| c.expires_at -= 60),
        ("kind up", |c| c.kind = ApprovalKind::Code),
        ("kind down", |c| c.kind = ApprovalKind::Simple),
        ("uv", |c| c.uv = !c.uv),
        ("sealed", |c| c.sealed[100] ^= 1),
        ("sealed last byte", |c| {
            let n = c.sealed.len();
            c.sealed[n - 1] ^= 0x80;
        }),
    ];
    for (case, alter) in cases {
        let mut challenge = Challenge::from_json(genuine.as_bytes()).unwrap();
        alter(&mut challenge);
        write(&relay, update, &challenge.to_json(), &cid).await;
        let polled = phone.client.pending().await.unwrap();
        assert!(polled.shown.is_empty(), "{case}: shown");
        assert_eq!(polled.refused.len(), 1, "{case}");
        let error = &polled.refused[0].error;
        match case {
            "device_id" => assert!(matches!(error, PhoneError::UnknownDevice), "{error:?}"),
            "kind down" => assert!(matches!(error, PhoneError::Downgraded { .. }), "{error:?}"),
            _ => assert!(
                matches!(error, PhoneError::ChallengeTampered),
                "{case}: {error:?}"
            ),
        }
    }
    // Raw bytes: one base64 character of the sealed body changed in the stored text.
    write(&relay, update, &flip_b64_char(&genuine, "sealed"), &cid).await;
    let polled = phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
    assert_eq!(polled.refused.len(), 1);

    // Nothing was answered meanwhile; the genuine challenge still opens and approves.
    let answered = relay
        .db()
        .await
        .text_opt(
            "SELECT answer FROM challenges WHERE challenge_id = $1",
            &[(&cid).into()],
        )
        .await;
    assert!(answered.is_none());
    write(&relay, update, &genuine, &cid).await;
    let view = phone.the_pending().await;
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
}

/// What the phone does, and how the relay rewrites the stored answer afterwards.
struct AnswerCase {
    name: &'static str,
    decision: Decision,
    /// Type the number shown on the login page (else a wrong one).
    right_number: bool,
    alter: fn(&mut Answer, &str),
    /// The RP's status once the genuine answer is restored.
    genuine: ChallengeStatus,
}

async fn an_answer_altered_in_the_relay_database_is_refused_by_the_rp(backend: Backend) {
    let (relay, mut site, mut phone) = setup(backend, 40).await;
    let cases = [
        AnswerCase {
            name: "deny turned into approve",
            decision: Decision::Deny,
            right_number: false,
            alter: |a, display| {
                a.decision = Decision::Approve;
                a.entered = display.to_owned();
            },
            genuine: ChallengeStatus::Denied,
        },
        AnswerCase {
            name: "fraud report turned into approve",
            decision: Decision::Fraud,
            right_number: false,
            alter: |a, display| {
                a.decision = Decision::Approve;
                a.entered = display.to_owned();
            },
            genuine: ChallengeStatus::FraudReported,
        },
        AnswerCase {
            name: "wrong number corrected",
            decision: Decision::Approve,
            right_number: false,
            alter: |a, display| a.entered = display.to_owned(),
            genuine: ChallengeStatus::Denied,
        },
        AnswerCase {
            name: "approve turned into deny",
            decision: Decision::Approve,
            right_number: true,
            alter: |a, _| a.decision = Decision::Deny,
            genuine: ChallengeStatus::Approved,
        },
        AnswerCase {
            name: "uv_done set",
            decision: Decision::Approve,
            right_number: true,
            alter: |a, _| a.uv_done = !a.uv_done,
            genuine: ChallengeStatus::Approved,
        },
        AnswerCase {
            name: "signature",
            decision: Decision::Approve,
            right_number: true,
            alter: |a, _| {
                let n = a.signature.len();
                a.signature[n - 2] ^= 1;
            },
            genuine: ChallengeStatus::Approved,
        },
        AnswerCase {
            name: "device_id",
            decision: Decision::Approve,
            right_number: true,
            alter: |a, _| a.device_id = DeviceId::from_bytes([9; 16]),
            genuine: ChallengeStatus::Approved,
        },
        AnswerCase {
            name: "challenge_id",
            decision: Decision::Approve,
            right_number: true,
            alter: |a, _| a.challenge_id = ChallengeId::from_bytes([9; 16]),
            genuine: ChallengeStatus::Approved,
        },
    ];
    let sql = "SELECT answer FROM challenges WHERE challenge_id = $1";
    let update = "UPDATE challenges SET answer = $1 WHERE challenge_id = $2";
    for (i, case) in cases.into_iter().enumerate() {
        // A fresh account per case (the RP allows one pending challenge per account).
        let account = format!("user{i}");
        site.enroll(&mut phone, &account, ApprovalKind::Number)
            .await;
        let started = site.start(&account).await.unwrap();
        let view = phone.the_pending().await;
        let display = started.display.as_str().to_owned();
        let wrong = if display == "42" { "43" } else { "42" };
        let entered = match case.decision {
            Decision::Approve if case.right_number => display.as_str(),
            Decision::Approve => wrong,
            _ => "",
        };
        phone
            .client
            .answer(&view, case.decision, entered, false)
            .await
            .unwrap();
        let cid = started.challenge_id.to_string();
        let genuine = read(&relay, sql, &cid).await;
        let mut answer = Answer::from_json(genuine.as_bytes()).unwrap();
        (case.alter)(&mut answer, &display);
        write(&relay, update, &answer.to_json(), &cid).await;

        let got = site
            .rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await;
        assert!(
            matches!(got, Err(RpError::InvalidAnswer(_))),
            "{}: {got:?}",
            case.name
        );
        assert!(
            site.rp.redeem(&started.handle).await.is_err(),
            "{}",
            case.name
        );
        // The challenge stays open at the RP: the genuine answer, once the relay
        // serves it, resolves it as the phone meant.
        write(&relay, update, &genuine, &cid).await;
        assert_eq!(
            site.rp
                .poll_challenge(&started.handle, Duration::ZERO)
                .await
                .unwrap(),
            case.genuine,
            "{}",
            case.name
        );
    }

    // Raw bytes: one base64 character of the stored signature changed.
    site.enroll(&mut phone, "raw", ApprovalKind::Number).await;
    let started = site.start("raw").await.unwrap();
    let view = phone.the_pending().await;
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    let cid = started.challenge_id.to_string();
    let stored = read(&relay, sql, &cid).await;
    write(&relay, update, &flip_b64_char(&stored, "signature"), &cid).await;
    assert!(site
        .rp
        .poll_challenge(&started.handle, Duration::ZERO)
        .await
        .is_err());
    assert!(site.rp.redeem(&started.handle).await.is_err());
}

async fn a_device_key_swapped_in_the_relay_database_cannot_forge_an_approval(backend: Backend) {
    let (relay, mut site, mut phone) = setup(backend, 50).await;
    let enrolled = site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let started = site.start("alice").await.unwrap();
    let device = enrolled.device_id.to_string();
    let mallory = attacker();
    write(
        &relay,
        "UPDATE devices SET device_pub = $1 WHERE device_id = $2",
        &mallory.public_key().as_bytes().to_vec(),
        &device,
    )
    .await;
    // The relay now accepts requests signed by its own key for the device: it fetches the
    // challenge and answers it, even with the right number (assume it learned it).
    let http = relay.http();
    let now = relay.clock.now();
    let sign = |method: &str, path: &str, body: &[u8]| {
        assent_protocol::RequestAuth::sign(
            &mallory,
            &relay.origin,
            &enrolled.device_id,
            method,
            path,
            now,
            body,
        )
        .unwrap()
        .to_headers()
    };
    let mut request = http.get(format!("{}/v1/challenges", relay.origin.as_str()));
    for (name, value) in sign("GET", "/v1/challenges", b"") {
        request = request.header(name, value);
    }
    let reply = request.send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let list: serde_json::Value = serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap();
    let challenge = Challenge::from_json(list["challenges"][0].to_string().as_bytes()).unwrap();
    let forged = Answer::make(
        &mallory,
        &rp_id(),
        &challenge,
        Decision::Approve,
        &started.display,
        false,
    )
    .unwrap();
    let body = forged.to_json();
    let mut request = http.post(format!("{}/v1/answer", relay.origin.as_str()));
    for (name, value) in sign("POST", "/v1/answer", body.as_bytes()) {
        request = request.header(name, value);
    }
    let reply = request
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200, "the relay takes its own forgery");

    // The RP verifies with the key it pinned at enrollment: refused, not approved.
    let got = site
        .rp
        .poll_challenge(&started.handle, Duration::ZERO)
        .await;
    assert!(matches!(got, Err(RpError::InvalidAnswer(_))), "{got:?}");
    assert!(site.rp.redeem(&started.handle).await.is_err());
    assert_eq!(
        site.rp
            .poll_challenge(&started.handle, Duration::ZERO)
            .await
            .ok(),
        None,
        "still refused on every poll"
    );

    // And the genuine phone, whose key the relay no longer has, is refused by the
    // relay rather than being answered for: it approves nothing either.
    let polled = phone.client.pending().await.unwrap();
    assert!(polled.shown.is_empty());
}

assent_tests::on_both_backends!(
    a_registration_altered_in_the_relay_database_is_refused_and_nothing_is_enrolled,
    the_relay_swapping_the_registered_key_column_cannot_get_a_device_created,
    a_challenge_altered_in_the_relay_database_is_refused_by_the_phone,
    an_answer_altered_in_the_relay_database_is_refused_by_the_rp,
    a_device_key_swapped_in_the_relay_database_cannot_forge_an_approval,
);
