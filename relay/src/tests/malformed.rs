//! A table of malformed requests, each with its expected status and error
//! code: bad input is always a 4xx with a clear code, never a 500.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use super::common;

use assent_protocol::{ChallengeId, Decision, DeviceId, PushId, SoftwareSigner, UnenrollRequest};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::flow::{create_body, rng, rp_id, signed};
use common::{request, TestApp};

fn raw(path: &str, key: Option<&str>, content_type: &str, body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", content_type);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::from(body)).unwrap()
}

struct Case {
    name: &'static str,
    request: Request<Body>,
    status: StatusCode,
    code: &'static str,
}

fn case(name: &'static str, request: Request<Body>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        request,
        status: StatusCode::from_u16(status).unwrap(),
        code,
    }
}

#[tokio::test]
async fn malformed_requests_get_clear_4xx_codes() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 500).await;
    let (challenge, used_push) = app.challenge(&rp, &phone, 501).await;
    let k = Some(key.as_str());
    let now = app.clock_now();
    let unknown_id = ChallengeId::make(&mut rng(9)).to_string();
    let unknown_push = PushId::make(&mut rng(10)).to_string();
    let fresh_push = PushId::make(&mut rng(15)).to_string();
    let stranger = SoftwareSigner::make(&mut rng(11)).unwrap();
    let stranger_device = DeviceId::make(&mut rng(12));
    let device = phone.device();
    let eid = rp.offer.eid;
    let cid = challenge.challenge_id;

    let mut fresh = challenge.clone();
    fresh.challenge_id = ChallengeId::make(&mut rng(16));
    let mut bad_size = fresh.clone();
    bad_size.sealed.truncate(100);
    let mut backwards = fresh.clone();
    backwards.expires_at = backwards.created_at;
    let mut other_device = fresh.clone();
    other_device.device_id = stranger_device;
    let foreign_statement =
        UnenrollRequest::make(&phone.signer, &rp_id(), &stranger_device, now).unwrap();
    let mut answer_unknown = phone.answer(&challenge, Decision::Deny, "");
    answer_unknown.challenge_id = ChallengeId::make(&mut rng(14));
    let waiting = assent_protocol::EnrollmentId::make(&mut rng(17));
    let reply = app
        .post_json(
            "/v1/rp/enrollments",
            k,
            &format!(r#"{{"eid":"{waiting}","expires_at":{}}}"#, now + 60),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let big = vec![b' '; 70 * 1024];
    let json = "application/json";
    let post = |path: &str, body: &str| request(Method::POST, path, k, Some(body));
    let get = |path: &str| request(Method::GET, path, k, None);
    let sig = |method: Method, path: &str, body: &str, t: u64| {
        signed(&phone.signer, &device, method, path, body, t)
    };
    let with_header = |name: &'static str, value: String| {
        let mut r = sig(Method::GET, "/v1/challenges", "", now);
        r.headers_mut().insert(name, value.parse().unwrap());
        r
    };

    let cases = vec![
        // ----- relying-party API -----
        case(
            "no API key",
            request(Method::POST, "/v1/rp/enrollments", None, Some("{}")),
            401,
            "unauthorized",
        ),
        case(
            "garbage API key",
            request(Method::GET, "/v1/rp/registrations", Some("ask_nope"), None),
            401,
            "unauthorized",
        ),
        case(
            "truncated JSON",
            post("/v1/rp/enrollments", "{\"eid\":"),
            400,
            "malformed_json",
        ),
        case(
            "eid not canonical",
            post("/v1/rp/enrollments", r#"{"eid":"short","expires_at":1}"#),
            400,
            "invalid_body",
        ),
        case(
            "unknown field",
            post(
                "/v1/rp/enrollments",
                &format!(
                    r#"{{"eid":"{unknown_id}","expires_at":{},"x":1}}"#,
                    now + 60
                ),
            ),
            400,
            "invalid_body",
        ),
        case(
            "expires_at missing",
            post(
                "/v1/rp/enrollments",
                &format!(r#"{{"eid":"{unknown_id}"}}"#),
            ),
            400,
            "invalid_body",
        ),
        case(
            "expires_at in the past",
            post(
                "/v1/rp/enrollments",
                &format!(r#"{{"eid":"{unknown_id}","expires_at":1}}"#),
            ),
            400,
            "invalid_body",
        ),
        case(
            "expires_at negative",
            post(
                "/v1/rp/enrollments",
                &format!(r#"{{"eid":"{unknown_id}","expires_at":-5}}"#),
            ),
            400,
            "invalid_body",
        ),
        case(
            "eid announced twice",
            post(
                "/v1/rp/enrollments",
                &format!(r#"{{"eid":"{eid}","expires_at":{}}}"#, now + 60),
            ),
            409,
            "already_exists",
        ),
        case(
            "not JSON content type",
            raw("/v1/rp/enrollments", k, "text/plain", b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            "body over the limit",
            raw("/v1/rp/enrollments", k, json, big.clone()),
            413,
            "body_too_large",
        ),
        case(
            "eid in path not an id",
            get("/v1/rp/enrollments/..%2F../registration"),
            404,
            "unknown_enrollment",
        ),
        case(
            "unknown enrollment",
            get(&format!("/v1/rp/enrollments/{unknown_id}/registration")),
            404,
            "unknown_enrollment",
        ),
        case(
            "registration not arrived",
            get(&format!("/v1/rp/enrollments/{waiting}/registration")),
            404,
            "not_ready",
        ),
        case(
            "answer before registration",
            post(&format!("/v1/rp/enrollments/{waiting}/answer"), "{}"),
            400,
            "invalid_body",
        ),
        case(
            "answer for unknown eid",
            post(&format!("/v1/rp/enrollments/{unknown_id}/answer"), "{}"),
            404,
            "unknown_enrollment",
        ),
        case(
            "answer not an answer",
            post(&format!("/v1/rp/enrollments/{eid}/answer"), "{}"),
            400,
            "invalid_body",
        ),
        case(
            "unknown challenge",
            get(&format!("/v1/rp/challenges/{unknown_id}/answer")),
            404,
            "unknown_challenge",
        ),
        case(
            "challenge id not an id",
            get("/v1/rp/challenges/x/answer"),
            404,
            "unknown_challenge",
        ),
        case(
            "wait not a number",
            get(&format!("/v1/rp/challenges/{cid}/answer?wait=soon")),
            400,
            "invalid_query",
        ),
        case(
            "wait negative",
            get(&format!("/v1/rp/challenges/{cid}/answer?wait=-1")),
            400,
            "invalid_query",
        ),
        case(
            "challenge not JSON",
            raw("/v1/rp/challenges", k, json, b"nope".to_vec()),
            400,
            "malformed_json",
        ),
        case(
            "challenge body empty object",
            post("/v1/rp/challenges", "{}"),
            400,
            "invalid_body",
        ),
        case(
            "challenge without push id",
            post(
                "/v1/rp/challenges",
                &format!(r#"{{"challenge":{}}}"#, fresh.to_json()),
            ),
            400,
            "invalid_body",
        ),
        case(
            "push id not canonical",
            post(
                "/v1/rp/challenges",
                &create_body(&fresh, "AAAAAAAAAAAAAAAAAAAAAB"),
            ),
            400,
            "invalid_body",
        ),
        case(
            "challenge body wrong size",
            post("/v1/rp/challenges", &create_body(&bad_size, &fresh_push)),
            400,
            "invalid_body",
        ),
        case(
            "challenge expires before creation",
            post("/v1/rp/challenges", &create_body(&backwards, &fresh_push)),
            400,
            "invalid_body",
        ),
        case(
            "challenge for unknown device",
            post(
                "/v1/rp/challenges",
                &create_body(&other_device, &fresh_push),
            ),
            404,
            "unknown_device",
        ),
        case(
            "challenge id reused",
            post("/v1/rp/challenges", &create_body(&challenge, &fresh_push)),
            409,
            "already_exists",
        ),
        case(
            "push id reused",
            post("/v1/rp/challenges", &create_body(&fresh, &used_push)),
            409,
            "already_exists",
        ),
        case(
            "remove unknown device",
            request(
                Method::DELETE,
                &format!("/v1/rp/devices/{stranger_device}"),
                k,
                None,
            ),
            404,
            "unknown_device",
        ),
        case(
            "remove device id not an id",
            request(Method::DELETE, "/v1/rp/devices/nope", k, None),
            404,
            "unknown_device",
        ),
        case(
            "confirmation not a confirmation",
            post(&format!("/v1/rp/devices/{device}/unenrolled"), r#"{"x":1}"#),
            400,
            "invalid_body",
        ),
        // ----- device API -----
        case(
            "registration empty object",
            request(Method::POST, "/v1/register", None, Some("{}")),
            400,
            "invalid_body",
        ),
        case(
            "registration not JSON",
            request(Method::POST, "/v1/register", None, Some("[")),
            400,
            "malformed_json",
        ),
        case(
            "registration over 16 KiB",
            raw("/v1/register", None, json, vec![b' '; 17 * 1024]),
            413,
            "body_too_large",
        ),
        case(
            "registration over the body limit",
            raw("/v1/register", None, json, big.clone()),
            413,
            "body_too_large",
        ),
        case(
            "enrollment answer for unknown eid",
            request(
                Method::GET,
                &format!("/v1/enrollments/{unknown_id}/answer"),
                None,
                None,
            ),
            404,
            "unknown_enrollment",
        ),
        case(
            "enrollment answer eid not an id",
            request(Method::GET, "/v1/enrollments/zz/answer", None, None),
            404,
            "unknown_enrollment",
        ),
        case(
            "no signature headers",
            request(Method::GET, "/v1/challenges", None, None),
            401,
            "bad_signature",
        ),
        case(
            "device header not an id",
            with_header("assent-device", "nope".into()),
            401,
            "bad_signature",
        ),
        case(
            "timestamp not canonical",
            with_header("assent-timestamp", format!("0{now}")),
            401,
            "bad_signature",
        ),
        case(
            "timestamp not a number",
            with_header("assent-timestamp", "soon".into()),
            401,
            "bad_signature",
        ),
        case(
            "signature not base64url",
            with_header("assent-signature", "!!!".into()),
            401,
            "bad_signature",
        ),
        case(
            "signature oversized",
            with_header("assent-signature", "A".repeat(200)),
            401,
            "bad_signature",
        ),
        case(
            "timestamp 61 s old",
            sig(Method::GET, "/v1/challenges", "", now - 61),
            401,
            "stale_timestamp",
        ),
        case(
            "timestamp 61 s ahead",
            sig(Method::GET, "/v1/challenges", "", now + 61),
            401,
            "stale_timestamp",
        ),
        case(
            "stale and unknown: time checked first",
            signed(
                &stranger,
                &stranger_device,
                Method::GET,
                "/v1/challenges",
                "",
                now - 600,
            ),
            401,
            "stale_timestamp",
        ),
        case(
            "unknown device",
            signed(
                &stranger,
                &stranger_device,
                Method::GET,
                "/v1/challenges",
                "",
                now,
            ),
            404,
            "unknown_device",
        ),
        case(
            "wrong key for device",
            signed(&stranger, &device, Method::GET, "/v1/challenges", "", now),
            401,
            "bad_signature",
        ),
        case(
            "signed for another path",
            {
                let mut r = sig(Method::GET, "/v1/challenges?wait=0", "", now);
                *r.uri_mut() = "/v1/challenges".parse().unwrap();
                r
            },
            401,
            "bad_signature",
        ),
        case(
            "body changed after signing",
            {
                let (parts, _) = sig(Method::POST, "/v1/answer", "{}", now).into_parts();
                Request::from_parts(parts, Body::from("{ }"))
            },
            401,
            "bad_signature",
        ),
        case(
            "push id not an id",
            sig(Method::GET, "/v1/challenges/zz", "", now),
            404,
            "unknown_challenge",
        ),
        case(
            "unknown push id",
            sig(
                Method::GET,
                &format!("/v1/challenges/{unknown_push}"),
                "",
                now,
            ),
            404,
            "unknown_challenge",
        ),
        case(
            "answer not JSON",
            sig(Method::POST, "/v1/answer", "yes", now),
            400,
            "malformed_json",
        ),
        case(
            "answer missing fields",
            sig(Method::POST, "/v1/answer", "{}", now),
            400,
            "invalid_body",
        ),
        case(
            "answer for unknown challenge",
            sig(Method::POST, "/v1/answer", &answer_unknown.to_json(), now),
            404,
            "unknown_challenge",
        ),
        case(
            "push token for poll",
            sig(
                Method::POST,
                "/v1/push-token",
                r#"{"platform":"poll","push_token":"x","seq":1}"#,
                now,
            ),
            400,
            "invalid_body",
        ),
        case(
            "push token unknown platform",
            sig(
                Method::POST,
                "/v1/push-token",
                r#"{"platform":"pager","push_token":"x","seq":1}"#,
                now,
            ),
            400,
            "invalid_body",
        ),
        case(
            "unenroll for another device",
            sig(
                Method::POST,
                "/v1/unenroll",
                &foreign_statement.to_json(),
                now,
            ),
            400,
            "invalid_body",
        ),
        // ----- routing -----
        case(
            "unknown route",
            request(Method::GET, "/v2/anything", None, None),
            404,
            "route_not_found",
        ),
        case(
            "wrong method",
            request(Method::DELETE, "/v1/answer", None, None),
            405,
            "method_not_allowed",
        ),
    ];
    let count = cases.len();
    for Case {
        name,
        request,
        status,
        code,
    } in cases
    {
        let reply = app.send(request).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (status, code),
            "case {name:?}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!message.is_empty(), "case {name:?} has no message");
        for leak in ["SELECT", "sqlite", "sqlx", "panicked"] {
            assert!(
                !message.contains(leak),
                "case {name:?} leaks {leak}: {message}"
            );
        }
    }
    assert!(count >= 60, "{count}");

    // Nothing above disturbed the real challenge.
    let reply = app.get(&format!("/v1/rp/challenges/{cid}/answer"), k).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = phone.send(&app, Method::GET, "/v1/challenges", "").await;
    assert_eq!(reply.json()["challenges"].as_array().unwrap().len(), 1);
}
