//! Enrollment, challenge, answer and unenrollment through the relay, with
//! the real protocol on both sides.

use super::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::DeviceStore;
use assent_protocol::{
    verify_answer, Answer, Challenge, Decision, EnrollmentAnswer, Platform, PushTokenUpdate,
    UnenrollConfirmation, UnenrollRequest,
};
use axum::http::{Method, StatusCode};
use common::flow::{make_offer, make_phone, rp_id, signed};
use common::TestApp;

#[tokio::test]
async fn enrollment_round_trip_and_phone_opens_the_answer() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let rp = make_offer(1, &key);
    let eid = rp.offer.eid.to_string();

    // Registration for an eid nobody announced.
    let phone = make_phone(2, &rp.offer);
    let reply = app
        .post_json("/v1/register", None, &phone.registration.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "unknown_enrollment");

    let body = format!(r#"{{"eid":"{eid}","expires_at":{}}}"#, common::T0 + 600);
    let reply = app.post_json("/v1/rp/enrollments", Some(&key), &body).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["status"], "announced");
    let reply = app.post_json("/v1/rp/enrollments", Some(&key), &body).await;
    assert_eq!(reply.error_code(), "already_exists");

    // The RP waits for the registration; the phone registers meanwhile.
    let waiter = {
        let router = app.router.clone();
        let key = key.clone();
        let eid = eid.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let request = common::request(
                Method::GET,
                &format!("/v1/rp/enrollments/{eid}/registration?wait=20"),
                Some(&key),
                None,
            );
            use tower::ServiceExt;
            let response = router.oneshot(request).await.unwrap();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            (value, start.elapsed())
        })
    };
    app.until_parked().await;
    let reply = app
        .post_json("/v1/register", None, &phone.registration.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let (seen, elapsed) = waiter.await.unwrap();
    assert!(elapsed < Duration::from_secs(10));
    // The RP reads exactly what the phone sent and verifies it itself.
    let forwarded = serde_json::to_string(&seen).unwrap();
    let forwarded = assent_protocol::Registration::from_json(forwarded.as_bytes()).unwrap();
    assert_eq!(forwarded, phone.registration);

    // The same registration again is a no-op; another one is refused.
    let reply = app
        .post_json("/v1/register", None, &phone.registration.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let intruder = make_phone(3, &rp.offer);
    let reply = app
        .post_json("/v1/register", None, &intruder.registration.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);

    let list = app.get("/v1/rp/registrations", Some(&key)).await;
    assert_eq!(list.json()["registrations"].as_array().unwrap().len(), 1);

    // Before delivery the phone's fetch says "not ready".
    let reply = app
        .get(&format!("/v1/enrollments/{eid}/answer"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "not_ready");
}

#[tokio::test]
async fn phone_fetches_and_opens_the_enrollment_answer() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 10).await;
    let path = assent_protocol::api::enrollment_answer(&rp.offer.eid);
    let reply = app.get(&format!("{path}?wait=5"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let answer = EnrollmentAnswer::from_json(&reply.body).unwrap();
    let enrolled = answer
        .open(
            &rp_id(),
            &rp.offer.eid,
            &phone.registration.device_pub,
            &phone.k_chan,
        )
        .unwrap();
    assert_eq!(enrolled.device_id, phone.device());
    assert_eq!(
        reply.headers["assent-time"],
        app.clock_now().to_string().as_str()
    );
}

#[tokio::test]
async fn challenge_answer_and_long_poll_wake_up() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 20).await;
    let (challenge, push_id) = app.challenge(&rp, &phone, 21).await;
    let cid = challenge.challenge_id.to_string();

    // Poll and fetch by push id.
    let reply = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let list = reply.json()["challenges"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    let polled = Challenge::from_json(serde_json::to_string(&list[0]).unwrap().as_bytes()).unwrap();
    assert_eq!(polled, challenge);
    let reply = phone
        .send(&app, Method::GET, &format!("/v1/challenges/{push_id}"), "")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let fetched = Challenge::from_json(&reply.body).unwrap();
    assert_eq!(fetched, challenge);
    let opened = fetched
        .open(
            &rp_id(),
            &phone.device(),
            &phone.k_chan,
            assent_protocol::ApprovalKind::Number,
            app.clock_now(),
        )
        .unwrap();
    assert_eq!(opened.context.location(), "Bern, CH");

    // Nothing yet: 204.
    let reply = app
        .get(&format!("/v1/rp/challenges/{cid}/answer"), Some(&key))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);

    // The RP long-polls; the answer wakes it at once.
    let waiter = {
        let router = app.router.clone();
        let key = key.clone();
        let cid = cid.clone();
        tokio::spawn(async move {
            use tower::ServiceExt;
            let start = Instant::now();
            let request = common::request(
                Method::GET,
                &format!("/v1/rp/challenges/{cid}/answer?wait=30"),
                Some(&key),
                None,
            );
            let response = router.oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            (value, start.elapsed())
        })
    };
    app.until_parked().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answer = phone.answer(&challenge, Decision::Approve, "42");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json(), serde_json::json!({"state": "answered"}));
    let (result, elapsed) = waiter.await.unwrap();
    assert!(elapsed < Duration::from_secs(5), "woken late: {elapsed:?}");
    let text = serde_json::to_string(&result).unwrap();
    let relayed = Answer::from_json(text.as_bytes()).unwrap();
    let verified = verify_answer(
        &phone.registration.device_pub,
        &rp_id(),
        &challenge,
        &relayed,
        app.clock_now(),
    )
    .unwrap();
    assert_eq!(verified.decision, Decision::Approve);
    assert_eq!(relayed, answer);

    // The same answer again returns the first result; a different one is refused.
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), serde_json::json!({"state": "answered"}));
    let other = phone.answer(&challenge, Decision::Deny, "");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &other.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.error_code(), "not_pending");
    // The RP still reads the first answer.
    let reply = app
        .get(&format!("/v1/rp/challenges/{cid}/answer"), Some(&key))
        .await;
    assert_eq!(Answer::from_json(&reply.body).unwrap(), answer);

    // Answered challenges leave the poll list.
    let reply = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert!(reply.json()["challenges"].as_array().unwrap().is_empty());

    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"assent_relay_challenges_total{outcome="created"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"assent_relay_challenges_total{outcome="answered"} 1"#));
}

#[tokio::test]
async fn phone_poll_is_woken_by_a_new_challenge() {
    let app = Arc::new(TestApp::new().await);
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 30).await;
    let request = signed(
        &phone.signer,
        &phone.device(),
        Method::GET,
        "/v1/challenges?wait=30",
        "",
        app.clock_now(),
    );
    let poller = {
        let app = app.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let reply = app.send(request).await;
            (reply.json(), start.elapsed())
        })
    };
    app.until_parked().await;
    let (_, push_id) = app.challenge(&rp, &phone, 31).await;
    let (list, elapsed) = poller.await.unwrap();
    assert!(elapsed < Duration::from_secs(5));
    assert_eq!(list["challenges"].as_array().unwrap().len(), 1);
    let reply = phone
        .send(&app, Method::GET, &format!("/v1/challenges/{push_id}"), "")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn expiry_is_by_the_relay_clock_and_purged() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 40).await;
    let (challenge, _) = app.challenge(&rp, &phone, 41).await;
    let cid = challenge.challenge_id.to_string();
    app.clock.advance(120);
    let answer = phone.answer(&challenge, Decision::Approve, "42");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::GONE);
    assert_eq!(reply.error_code(), "expired");
    let reply = app
        .get(
            &format!("/v1/rp/challenges/{cid}/answer?wait=30"),
            Some(&key),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "expired: no wait, no answer"
    );

    app.clock
        .advance(app.state.config.limits.retention_secs + 1);
    let counts = crate::purge::purge_once(&app.state).await.unwrap();
    assert_eq!(counts.challenges, 1);
    assert_eq!(counts.unanswered_challenges, 1);
    let reply = app
        .get(&format!("/v1/rp/challenges/{cid}/answer"), Some(&key))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"assent_relay_challenges_total{outcome="expired"} 1"#));
}

#[tokio::test]
async fn tenants_cannot_reach_each_others_records() {
    let app = TestApp::new().await;
    let (_, key_a) = app.tenant("a.example").await;
    let (_, key_b) = app.tenant("b.example").await;
    let (rp, phone) = app.enroll(&key_a, 50).await;
    let (challenge, _) = app.challenge(&rp, &phone, 51).await;
    let cid = challenge.challenge_id.to_string();
    let eid = rp.offer.eid.to_string();
    let device = phone.device().to_string();

    let reply = app
        .get(&format!("/v1/rp/challenges/{cid}/answer"), Some(&key_b))
        .await;
    assert_eq!(reply.error_code(), "unknown_challenge");
    let reply = app
        .get(
            &format!("/v1/rp/enrollments/{eid}/registration"),
            Some(&key_b),
        )
        .await;
    assert_eq!(reply.error_code(), "unknown_enrollment");
    let mut other = challenge.clone();
    other.challenge_id = assent_protocol::ChallengeId::make(&mut common::flow::rng(52));
    let reply = app
        .post_json(
            "/v1/rp/challenges",
            Some(&key_b),
            &common::flow::create_body(&other, "AAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert_eq!(reply.error_code(), "unknown_device");
    let reply = app
        .send(common::request(
            Method::DELETE,
            &format!("/v1/rp/devices/{device}"),
            Some(&key_b),
            None,
        ))
        .await;
    assert_eq!(reply.error_code(), "unknown_device");
    assert!(
        app.get("/v1/rp/registrations", Some(&key_b)).await.json()["registrations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Tenant A still has everything.
    let reply = app
        .get(&format!("/v1/rp/challenges/{cid}/answer"), Some(&key_a))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert_eq!(reply.json()["challenges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn limits_on_pending_challenges() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 60).await;
    let max = app.state.config.limits.max_pending_per_device;
    for i in 0..max {
        app.challenge(&rp, &phone, 100 + u64::from(i)).await;
    }
    let extra = Challenge::make(
        &rp_id(),
        &phone.k_chan,
        &assent_protocol::ChallengeParams {
            device_id: phone.device(),
            kind: assent_protocol::ApprovalKind::Number,
            uv: false,
            created_at: app.clock_now(),
            ttl: 120,
        },
        &assent_protocol::LoginContext::new(
            "x",
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            "",
            0,
        ),
        &mut common::flow::rng(999),
    )
    .unwrap();
    let reply = app
        .post_json(
            "/v1/rp/challenges",
            Some(&key),
            &common::flow::create_body(&extra, "AAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error_code(), "limit_exceeded");
}

#[tokio::test]
async fn push_token_updates_apply_only_when_newer() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (_, phone) = app.enroll(&key, 70).await;
    let update = |seq: u64| {
        PushTokenUpdate {
            platform: Platform::Android,
            push_token: format!("token-{seq}"),
            seq,
        }
        .to_json()
        .unwrap()
    };
    for (seq, applied) in [(5, true), (5, false), (4, false), (6, true)] {
        let reply = phone
            .send(&app, Method::POST, "/v1/push-token", &update(seq))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        assert_eq!(reply.json()["applied"], applied, "seq {seq}");
    }

    let device = app
        .store
        .device(&phone.device().to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.push_token, "token-6");
    assert_eq!(device.platform, "android");
}

#[tokio::test]
async fn unenroll_is_forwarded_and_confirmed() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 80).await;
    app.challenge(&rp, &phone, 81).await;
    let statement =
        UnenrollRequest::make(&phone.signer, &rp_id(), &phone.device(), app.clock_now()).unwrap();
    for _ in 0..2 {
        let reply = phone
            .send(&app, Method::POST, "/v1/unenroll", &statement.to_json())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    }
    let reply = phone.send(&app, Method::GET, "/v1/unenroll", "").await;
    assert_eq!(reply.error_code(), "not_ready");
    let reply = app.get("/v1/rp/unenroll-requests", Some(&key)).await;
    let requests = reply.json()["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let text = serde_json::to_string(&requests[0]).unwrap();
    let forwarded = UnenrollRequest::from_json(text.as_bytes()).unwrap();
    forwarded
        .verify(&phone.registration.device_pub, &rp_id())
        .unwrap();

    let confirmation = UnenrollConfirmation::seal(
        &rp_id(),
        &phone.k_chan,
        &forwarded,
        app.clock_now(),
        &mut common::flow::rng(82),
    )
    .unwrap();
    let path = format!("/v1/rp/devices/{}/unenrolled", phone.device());
    for _ in 0..2 {
        let reply = app
            .post_json(&path, Some(&key), &confirmation.to_json())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    }

    // The device is gone: its requests fail, but it can read the confirmation.
    let reply = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert_eq!(reply.error_code(), "unknown_device");
    let reply = phone.send(&app, Method::GET, "/v1/unenroll", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let confirmation = UnenrollConfirmation::from_json(&reply.body).unwrap();
    assert_eq!(
        confirmation
            .open(&rp_id(), &statement, &phone.k_chan)
            .unwrap(),
        app.clock_now()
    );
}

#[tokio::test]
async fn rp_removal_is_idempotent_and_drops_challenges() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 90).await;
    let (challenge, _) = app.challenge(&rp, &phone, 91).await;
    let path = format!("/v1/rp/devices/{}", phone.device());
    for _ in 0..2 {
        let reply = app
            .send(common::request(Method::DELETE, &path, Some(&key), None))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    }
    let reply = app
        .get(
            &format!("/v1/rp/challenges/{}/answer", challenge.challenge_id),
            Some(&key),
        )
        .await;
    assert_eq!(reply.error_code(), "unknown_challenge");
    let reply = phone.send(&app, Method::GET, "/v1/unenroll", "").await;
    assert_eq!(reply.error_code(), "not_ready");
}

/// Every path of `assent_protocol::api` (docs/protocol.md §10) is served
/// with its method.
#[tokio::test]
async fn protocol_api_paths_are_routed() {
    use assent_protocol::{api, ChallengeId, DeviceId, EnrollmentId, PushId};
    let app = TestApp::new().await;
    let eid = EnrollmentId::from_bytes([1; 16]);
    let cid = ChallengeId::from_bytes([2; 16]);
    let did = DeviceId::from_bytes([3; 16]);
    let pid = PushId::from_bytes([4; 16]);
    let calls = [
        (Method::POST, api::REGISTER.to_owned()),
        (Method::GET, api::enrollment_answer(&eid)),
        (Method::GET, api::CHALLENGES.to_owned()),
        (Method::GET, api::challenge(&pid)),
        (Method::POST, api::ANSWER.to_owned()),
        (Method::POST, api::PUSH_TOKEN.to_owned()),
        (Method::POST, api::UNENROLL.to_owned()),
        (Method::GET, api::UNENROLL.to_owned()),
        (Method::POST, api::RP_ENROLLMENTS.to_owned()),
        (Method::GET, api::rp_registration(&eid)),
        (Method::POST, api::rp_enrollment_answer(&eid)),
        (Method::POST, api::RP_CHALLENGES.to_owned()),
        (Method::GET, api::rp_challenge_answer(&cid)),
        (Method::DELETE, api::rp_device(&did)),
        (Method::GET, api::RP_UNENROLL_REQUESTS.to_owned()),
        (Method::POST, api::rp_unenrolled(&did)),
    ];
    for (method, path) in calls {
        let reply = app
            .send(common::request(method.clone(), &path, None, Some("{}")))
            .await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if reply.status == StatusCode::NOT_FOUND {
            assert_ne!(reply.error_code(), "route_not_found", "{method} {path}");
        }
    }
    assert!(assent_protocol::api::headers::TIME
        .eq_ignore_ascii_case(crate::routes::TIME_HEADER.as_str()));
}

#[tokio::test]
async fn limits_on_challenges_per_device_per_window() {
    // 3 per 600 s, and room for many pending: the window cap is what stops.
    let args = crate::config::ConfigArgs {
        public_origin: Some(common::flow::ORIGIN.to_owned()),
        max_pending_per_device: Some(100),
        device_challenge_limit: Some(3),
        device_challenge_window_secs: Some(600),
        ..Default::default()
    };
    let app = TestApp::with_config(crate::config::Config::resolve(&args).unwrap()).await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 80).await;
    let (_, other) = app.enroll(&key, 81).await;
    for i in 0..3 {
        app.challenge(&rp, &phone, 200 + i).await;
    }
    let reply = app.try_challenge(&key, &phone, 300).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error_code(), "limit_exceeded");
    // Nothing was stored for it: the phone still sees three.
    let listed = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert_eq!(listed.json()["challenges"].as_array().unwrap().len(), 3);
    // Another device of the same tenant is not affected.
    app.challenge(&rp, &other, 400).await;
    // One more after a third of the window.
    app.clock.advance(200);
    app.challenge(&rp, &phone, 500).await;
    let reply = app.try_challenge(&key, &phone, 600).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_challenge_refused_for_another_reason_costs_no_window_token() {
    let args = crate::config::ConfigArgs {
        public_origin: Some(common::flow::ORIGIN.to_owned()),
        max_pending_per_device: Some(1),
        device_challenge_limit: Some(2),
        ..Default::default()
    };
    let app = TestApp::with_config(crate::config::Config::resolve(&args).unwrap()).await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 90).await;
    let (challenge, _) = app.challenge(&rp, &phone, 700).await;
    // Refused by the pending limit, several times.
    for seed in 710..715 {
        let reply = app.try_challenge(&key, &phone, seed).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    }
    // Once the first is answered, the second token is still there.
    let answer = phone.answer(&challenge, Decision::Approve, "42");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    app.challenge(&rp, &phone, 720).await;
}
