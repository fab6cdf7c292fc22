//! Tenant isolation through the real relay's RP API over TLS: tenant B's API key gets the
//! same 404 for tenant A's enrollment, registration, challenge, answer and device as for
//! ids that do not exist, and nothing it tries changes A's state (issue 4: "the tenant
//! of a device or challenge is always taken from the stored record").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use assent_core::Decision;
use assent_protocol::{
    Algorithm, ApprovalKind, Challenge, ChallengeId, ChallengeParams, ChannelKey, DeviceId,
    Enrolled, EnrollmentAnswer, EnrollmentId, LoginContext, PushId, Registration, Secret,
    TotpParams,
};
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::backend::Backend;
use assent_tests::real_relay::{RealPhone, RealRelay, Site};
use assent_tests::rp_id;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// `(method, path, body)`.
type Call = (&'static str, String, String);

fn create_body(device_id: DeviceId, now: u64, rng: &mut ChaCha20Rng) -> String {
    let challenge = Challenge::make(
        &rp_id(),
        &ChannelKey::make(rng),
        &ChallengeParams {
            device_id,
            kind: ApprovalKind::Number,
            uv: false,
            created_at: now,
            ttl: 120,
        },
        &LoginContext::new(
            "curl",
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
            "Nowhere",
            now,
        ),
        rng,
    )
    .unwrap();
    format!(
        r#"{{"challenge":{},"push_id":"{}"}}"#,
        challenge.to_json(),
        PushId::make(rng)
    )
}

fn enrollment_answer(
    registration: &Registration,
    eid: &EnrollmentId,
    rng: &mut ChaCha20Rng,
) -> String {
    EnrollmentAnswer::seal(
        &rp_id(),
        eid,
        &registration.device_pub,
        &ChannelKey::make(rng),
        &Enrolled {
            device_id: DeviceId::make(rng),
            totp: TotpParams {
                secret: Secret::from_bytes(vec![7; 20]).unwrap(),
                algorithm: Algorithm::Sha1,
                digits: 6,
                period: 30,
            },
            min: ApprovalKind::Number,
        },
        rng,
    )
    .unwrap()
    .to_json()
}

async fn another_tenant_gets_the_same_404_as_for_unknown_ids_and_changes_nothing(backend: Backend) {
    let relay = RealRelay::start_on(backend).await;
    let key_a = relay.tenant("a.example").await;
    let key_b = relay.tenant("b.example").await;
    let mut a = Site::new(&relay, &key_a, PushPolicy::default(), 1).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 2, "A's phone");
    let mut rng = ChaCha20Rng::seed_from_u64(3);

    // A: an active device with a pending challenge, and an offer registered but not yet
    // taken by A.
    let enrolled = a.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let started = a.start("alice").await.unwrap();
    let offer = a.offer("bob", ApprovalKind::Number).await;
    let pending_bob = phone.client.enroll_uri(&offer.uri).await.unwrap();
    let eid = offer.offer.eid;
    let registration = relay
        .db()
        .await
        .text(
            "SELECT registration FROM enrollments WHERE eid = $1",
            &[eid.to_string().into()],
        )
        .await;
    let registration = Registration::from_json(registration.as_bytes()).unwrap();

    let device = enrolled.device_id;
    let cid = started.challenge_id;
    let unknown_device = DeviceId::make(&mut rng);
    let unknown_cid = ChallengeId::from_bytes([5; 16]);
    let unknown_eid = EnrollmentId::from_bytes([6; 16]);
    let now = relay.clock.now();

    // (what, A's resource as B, the same call on an unknown id)
    let pairs: Vec<(&str, Call, Call)> = vec![
        (
            "read A's challenge answer",
            (
                "GET",
                format!("/v1/rp/challenges/{cid}/answer?wait=0"),
                String::new(),
            ),
            (
                "GET",
                format!("/v1/rp/challenges/{unknown_cid}/answer?wait=0"),
                String::new(),
            ),
        ),
        (
            "read A's registration",
            (
                "GET",
                format!("/v1/rp/enrollments/{eid}/registration"),
                String::new(),
            ),
            (
                "GET",
                format!("/v1/rp/enrollments/{unknown_eid}/registration"),
                String::new(),
            ),
        ),
        (
            "deliver an answer to A's enrollment",
            (
                "POST",
                format!("/v1/rp/enrollments/{eid}/answer"),
                enrollment_answer(&registration, &eid, &mut rng),
            ),
            (
                "POST",
                format!("/v1/rp/enrollments/{unknown_eid}/answer"),
                enrollment_answer(&registration, &unknown_eid, &mut rng),
            ),
        ),
        (
            "create a challenge for A's device",
            (
                "POST",
                "/v1/rp/challenges".into(),
                create_body(device, now, &mut rng),
            ),
            (
                "POST",
                "/v1/rp/challenges".into(),
                create_body(unknown_device, now, &mut rng),
            ),
        ),
        (
            "remove A's device",
            ("DELETE", format!("/v1/rp/devices/{device}"), String::new()),
            (
                "DELETE",
                format!("/v1/rp/devices/{unknown_device}"),
                String::new(),
            ),
        ),
    ];
    for (what, (m1, p1, b1), (m2, p2, b2)) in pairs {
        let theirs = relay.rp_call(&key_b, m1, &p1, &b1).await;
        let unknown = relay.rp_call(&key_b, m2, &p2, &b2).await;
        assert_eq!(theirs.status, 404, "{what}: {:?}", theirs.code());
        assert_eq!(theirs.code(), unknown.code(), "{what}: distinguishable");
        assert_eq!(
            theirs.json()["error"]["message"],
            unknown.json()["error"]["message"],
            "{what}: messages differ"
        );
    }
    // B's lists never show A's registrations or unenroll requests.
    let list = relay
        .rp_call(&key_b, "GET", "/v1/rp/registrations?wait=0", "")
        .await;
    assert_eq!(list.status, 200);
    assert!(!String::from_utf8_lossy(&list.body).contains(&eid.to_string()));
    let list = relay
        .rp_call(&key_b, "GET", "/v1/rp/unenroll-requests", "")
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["requests"], serde_json::json!([]));

    // Nothing B did touched A: the device is there, its challenge is the only one, the
    // enrollment still completes, and the approval goes through.
    let challenges = relay
        .db()
        .await
        .count(
            "SELECT COUNT(*) FROM challenges WHERE device_id = $1",
            &[device.to_string().into()],
        )
        .await;
    assert_eq!(challenges, 1, "B created a challenge for A's device");
    let view = phone.the_pending().await;
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .unwrap();
    assert_eq!(
        a.rp.poll_challenge(&started.handle, Duration::ZERO)
            .await
            .unwrap(),
        ChallengeStatus::Approved
    );
    // B still cannot read the answer now that there is one.
    let theirs = relay
        .rp_call(
            &key_b,
            "GET",
            &format!("/v1/rp/challenges/{cid}/answer"),
            "",
        )
        .await;
    assert_eq!(theirs.code(), (404, "unknown_challenge".into()));
    a.finish(&mut phone, "bob", ApprovalKind::Number, &offer, pending_bob)
        .await;
}

assent_tests::on_both_backends!(
    another_tenant_gets_the_same_404_as_for_unknown_ids_and_changes_nothing,
);
