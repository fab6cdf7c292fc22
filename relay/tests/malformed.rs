//! A table of malformed requests, each with its expected status and error
//! code: bad input is always a 4xx with a clear code, never a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assent_protocol::{ChallengeId, Decision, DeviceId, PushId, SoftwareSigner, UnenrollRequest};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::flow::{rng, rp_id, signed};
use common::{request, TestApp};

fn raw(
    method: Method,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn malformed_requests_get_clear_4xx_codes() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 500).await;
    let (challenge, _) = app.challenge(&rp, &phone, 501).await;
    let k = Some(key.as_str());
    let now = app.clock_now();
    let unknown_id = ChallengeId::make(&mut rng(9)).to_string();
    let unknown_push = PushId::make(&mut rng(10)).to_string();
    let stranger = SoftwareSigner::make(&mut rng(11)).unwrap();
    let stranger_device = DeviceId::make(&mut rng(12));
    let device = phone.device();

    let mut bad_size = challenge.clone();
    bad_size.sealed.truncate(100);
    let mut backwards = challenge.clone();
    backwards.expires_at = backwards.created_at;
    let mut other_device = challenge.clone();
    other_device.device_id = stranger_device;
    let foreign_statement =
        UnenrollRequest::make(&phone.signer, &rp_id(), &stranger_device, now).unwrap();
    let mut answer_unknown = phone.answer(&challenge, Decision::Deny, "");
    answer_unknown.challenge_id = ChallengeId::make(&mut rng(14));

    let big = vec![b' '; 70 * 1024];
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        // ----- relying-party API -----
        (
            "no API key",
            request(Method::POST, "/v1/rp/enrollments", None, Some("{}")),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "garbage API key",
            request(Method::GET, "/v1/rp/registrations", Some("ask_nope"), None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "truncated JSON",
            request(Method::POST, "/v1/rp/enrollments", k, Some("{\"eid\":")),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "eid not canonical",
            request(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                Some(r#"{"eid":"short"}"#),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "unknown field",
            request(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                Some(&format!(r#"{{"eid":"{unknown_id}","x":1}}"#)),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "zero ttl",
            request(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                Some(&format!(r#"{{"eid":"{unknown_id}","ttl":0}}"#)),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "negative ttl",
            request(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                Some(&format!(r#"{{"eid":"{unknown_id}","ttl":-5}}"#)),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "not JSON content type",
            raw(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                "text/plain",
                b"{}".to_vec(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "body over the limit",
            raw(
                Method::POST,
                "/v1/rp/enrollments",
                k,
                "application/json",
                big.clone(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "enrollment id not an id",
            request(Method::GET, "/v1/rp/enrollments/..%2F..", k, None),
            StatusCode::NOT_FOUND,
            "unknown_enrollment",
        ),
        (
            "unknown enrollment",
            request(
                Method::GET,
                &format!("/v1/rp/enrollments/{unknown_id}"),
                k,
                None,
            ),
            StatusCode::NOT_FOUND,
            "unknown_enrollment",
        ),
        (
            "answer for unknown eid",
            request(
                Method::POST,
                &format!("/v1/rp/enrollments/{unknown_id}/answer"),
                k,
                Some("{}"),
            ),
            StatusCode::NOT_FOUND,
            "unknown_enrollment",
        ),
        (
            "answer not an answer",
            request(
                Method::POST,
                &format!("/v1/rp/enrollments/{}/answer", rp.offer.eid),
                k,
                Some("{}"),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "unknown challenge",
            request(
                Method::GET,
                &format!("/v1/rp/challenges/{unknown_id}"),
                k,
                None,
            ),
            StatusCode::NOT_FOUND,
            "unknown_challenge",
        ),
        (
            "challenge id not an id",
            request(Method::GET, "/v1/rp/challenges/x", k, None),
            StatusCode::NOT_FOUND,
            "unknown_challenge",
        ),
        (
            "wait not a number",
            request(
                Method::GET,
                &format!("/v1/rp/challenges/{}?wait=soon", challenge.challenge_id),
                k,
                None,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "challenge not JSON",
            raw(
                Method::POST,
                "/v1/rp/challenges",
                k,
                "application/json",
                b"nope".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "challenge missing fields",
            request(Method::POST, "/v1/rp/challenges", k, Some("{}")),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "challenge body wrong size",
            request(
                Method::POST,
                "/v1/rp/challenges",
                k,
                Some(&bad_size.to_json()),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "challenge expires before creation",
            request(
                Method::POST,
                "/v1/rp/challenges",
                k,
                Some(&backwards.to_json()),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "challenge for unknown device",
            request(
                Method::POST,
                "/v1/rp/challenges",
                k,
                Some(&other_device.to_json()),
            ),
            StatusCode::NOT_FOUND,
            "unknown_device",
        ),
        (
            "challenge id reused",
            request(
                Method::POST,
                "/v1/rp/challenges",
                k,
                Some(&challenge.to_json()),
            ),
            StatusCode::CONFLICT,
            "already_exists",
        ),
        (
            "remove unknown device",
            request(
                Method::POST,
                &format!("/v1/rp/devices/{stranger_device}/remove"),
                k,
                Some("{}"),
            ),
            StatusCode::NOT_FOUND,
            "unknown_device",
        ),
        (
            "remove with bad confirmation",
            request(
                Method::POST,
                &format!("/v1/rp/devices/{device}/remove"),
                k,
                Some(r#"{"confirmation":{"x":1}}"#),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        // ----- device API -----
        (
            "registration empty object",
            request(Method::POST, "/v1/register", None, Some("{}")),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "registration not JSON",
            request(Method::POST, "/v1/register", None, Some("[")),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "registration over 16 KiB",
            raw(
                Method::POST,
                "/v1/register",
                None,
                "application/json",
                vec![b' '; 17 * 1024],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "registration over the body limit",
            raw(
                Method::POST,
                "/v1/register",
                None,
                "application/json",
                big.clone(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "no signature headers",
            request(Method::GET, "/v1/challenges", None, None),
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "device header not an id",
            {
                let mut r = signed(
                    &phone.signer,
                    &device,
                    Method::GET,
                    "/v1/challenges",
                    "",
                    now,
                );
                r.headers_mut()
                    .insert("assent-device", "nope".parse().unwrap());
                r
            },
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "timestamp not canonical",
            {
                let mut r = signed(
                    &phone.signer,
                    &device,
                    Method::GET,
                    "/v1/challenges",
                    "",
                    now,
                );
                r.headers_mut()
                    .insert("assent-timestamp", format!("0{now}").parse().unwrap());
                r
            },
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "timestamp 61 s old",
            signed(
                &phone.signer,
                &device,
                Method::GET,
                "/v1/challenges",
                "",
                now - 61,
            ),
            StatusCode::UNAUTHORIZED,
            "stale_timestamp",
        ),
        (
            "timestamp 61 s ahead",
            signed(
                &phone.signer,
                &device,
                Method::GET,
                "/v1/challenges",
                "",
                now + 61,
            ),
            StatusCode::UNAUTHORIZED,
            "stale_timestamp",
        ),
        (
            "stale and unknown: time checked first",
            signed(
                &stranger,
                &stranger_device,
                Method::GET,
                "/v1/challenges",
                "",
                now - 600,
            ),
            StatusCode::UNAUTHORIZED,
            "stale_timestamp",
        ),
        (
            "unknown device",
            signed(
                &stranger,
                &stranger_device,
                Method::GET,
                "/v1/challenges",
                "",
                now,
            ),
            StatusCode::NOT_FOUND,
            "unknown_device",
        ),
        (
            "wrong key for device",
            signed(&stranger, &device, Method::GET, "/v1/challenges", "", now),
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "signed for another path",
            {
                let mut r = signed(
                    &phone.signer,
                    &device,
                    Method::GET,
                    "/v1/challenges?wait=0",
                    "",
                    now,
                );
                *r.uri_mut() = "/v1/challenges".parse().unwrap();
                r
            },
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "body changed after signing",
            {
                let r = signed(
                    &phone.signer,
                    &device,
                    Method::POST,
                    "/v1/answer",
                    "{}",
                    now,
                );
                let (parts, _) = r.into_parts();
                Request::from_parts(parts, Body::from("{ }"))
            },
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        (
            "push id not an id",
            signed(
                &phone.signer,
                &device,
                Method::GET,
                "/v1/challenges/zz",
                "",
                now,
            ),
            StatusCode::NOT_FOUND,
            "unknown_challenge",
        ),
        (
            "unknown push id",
            signed(
                &phone.signer,
                &device,
                Method::GET,
                &format!("/v1/challenges/{unknown_push}"),
                "",
                now,
            ),
            StatusCode::NOT_FOUND,
            "unknown_challenge",
        ),
        (
            "answer not JSON",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/answer",
                "yes",
                now,
            ),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "answer missing fields",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/answer",
                "{}",
                now,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "answer for unknown challenge",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/answer",
                &answer_unknown.to_json(),
                now,
            ),
            StatusCode::NOT_FOUND,
            "unknown_challenge",
        ),
        (
            "push token for poll",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/push-token",
                r#"{"platform":"poll","push_token":"x","seq":1}"#,
                now,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "push token unknown platform",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/push-token",
                r#"{"platform":"pager","push_token":"x","seq":1}"#,
                now,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "unenroll for another device",
            signed(
                &phone.signer,
                &device,
                Method::POST,
                "/v1/unenroll",
                &foreign_statement.to_json(),
                now,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "enrollment answer with device id",
            signed(
                &phone.signer,
                &device,
                Method::GET,
                &format!("/v1/register/{}", rp.offer.eid),
                "",
                now,
            ),
            StatusCode::UNAUTHORIZED,
            "bad_signature",
        ),
        // ----- routing -----
        (
            "unknown route",
            request(Method::GET, "/v2/anything", None, None),
            StatusCode::NOT_FOUND,
            "route_not_found",
        ),
        (
            "wrong method",
            request(Method::DELETE, "/v1/answer", None, None),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    let count = cases.len();
    for (name, req, status, code) in cases {
        let reply = app.send(req).await;
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
    assert!(count >= 45);

    // Nothing above disturbed the real challenge.
    let reply = app
        .get(&format!("/v1/rp/challenges/{}", challenge.challenge_id), k)
        .await;
    assert_eq!(reply.json()["state"], "pending");
}
