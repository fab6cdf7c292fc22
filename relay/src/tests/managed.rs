//! Managed mode end to end: the relay acting as the RP (assent-rp over its
//! own exchange) and the core as the phone; refusal for end-to-end tenants;
//! tenant isolation.
// Helper fns (not #[test]) unwrap and expect too, which clippy.toml's allow-*-in-tests misses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::common;
use super::features_support;

use std::collections::BTreeSet;

use crate::routes::route_table;
use assent_core::{Custody, Decision};
use axum::http::{Method, StatusCode};
use common::{request, TestApp};
use features_support::{advance, fast_retries, featured, managed_tenant, CorePhone};
use serde_json::{json, Value};

async fn post(app: &TestApp, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
    let reply = app.post_json(path, Some(key), &body.to_string()).await;
    let value = if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    };
    (reply.status, value)
}

async fn get(app: &TestApp, path: &str, key: &str) -> (StatusCode, Value) {
    let reply = app.get(path, Some(key)).await;
    (reply.status, reply.json())
}

/// Offer → phone enrolls (custody=relay) → registration taken → activation.
/// Returns (eid, the phone's vault account id, backup codes).
async fn enroll(
    app: &TestApp,
    key: &str,
    phone: &mut CorePhone,
    account: &str,
) -> (String, assent_core::AccountId, Vec<String>) {
    let (status, offer) = post(
        app,
        "/v1/managed/enrollments",
        key,
        json!({"account": account, "issuer": "Example"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{offer}");
    assert_eq!(offer["custody"], "relay");
    assert_eq!(offer["offer"]["custody"], "relay");
    let uri = offer["uri"].as_str().unwrap();
    assert!(uri.contains("&custody=relay&"), "{uri}");
    assert!(offer["qr_svg"].as_str().unwrap().contains("<svg"));
    let eid = offer["eid"].as_str().unwrap().to_owned();

    let (status, before) = get(app, &format!("/v1/managed/enrollments/{eid}"), key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["status"], "waiting");

    let pending = phone.client.enroll_uri(uri).await.unwrap();
    // What the phone's UI reads to say "this relay holds the service's keys".
    assert_eq!(pending.custody(), Custody::Relay);

    let (status, seen) = get(app, &format!("/v1/managed/enrollments/{eid}?wait=5"), key).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["status"], "awaiting_activation");
    assert_eq!(seen["device"]["name"], "Alice's phone");
    assert_eq!(seen["device"]["state"], "pending");

    let account_id = phone
        .client
        .finish_enrollment(&pending)
        .await
        .unwrap()
        .expect("the relay delivered the answer");
    let code = phone
        .client
        .activation_code(&account_id)
        .unwrap()
        .code
        .to_string();
    let (status, done) = post(
        app,
        &format!("/v1/managed/enrollments/{eid}/activate"),
        key,
        json!({"account": account, "code": code}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["activated"], true, "{done}");
    assert_eq!(done["device"]["state"], "active");
    let codes: Vec<String> = done["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (eid, account_id, codes)
}

#[tokio::test]
async fn managed_approval_end_to_end() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let mut phone = CorePhone::new(&app, 1);
    let (_eid, account_id, backup_codes) = enroll(&app, &key, &mut phone, "alice").await;

    let (status, list) = get(&app, "/v1/managed/accounts/alice/devices", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    let device_id = list["devices"][0]["device_id"].as_str().unwrap().to_owned();

    // A login: the page shows the number, keeps the handle.
    let (status, started) = post(
        &app,
        "/v1/managed/challenges",
        &key,
        json!({"account": "alice", "client": "Firefox 126 on Windows",
               "ip": "203.0.113.7", "location": "Bern, CH"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["kind"], "number");
    assert_eq!(started["device_id"], device_id.as_str());
    let number = started["display"].as_str().unwrap().to_owned();
    assert_eq!(number.len(), 2);
    let handle = started["handle"].as_str().unwrap().to_owned();

    let (status, verdict) = post(
        &app,
        "/v1/managed/challenges/verdict",
        &key,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["status"], "pending");
    let (status, early) = post(
        &app,
        "/v1/managed/challenges/redeem",
        &key,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(early["error"]["code"], "not_redeemable");

    // The phone polls, sees the login context and custody, approves with the number.
    let pending = phone.client.pending().await.unwrap();
    assert_eq!(pending.shown.len(), 1, "{:?}", pending.refused);
    let view = &pending.shown[0];
    assert_eq!(view.account_id, account_id);
    assert_eq!(view.custody, Custody::Relay);
    assert_eq!(view.client, "Firefox 126 on Windows");
    assert_eq!(view.location, "Bern, CH");
    let shown = view.clone();
    phone
        .client
        .answer(&shown, Decision::Approve, &number, false)
        .await
        .unwrap();

    let (status, verdict) = post(
        &app,
        "/v1/managed/challenges/verdict",
        &key,
        json!({ "handle": handle, "wait": 5 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["status"], "approved");

    let (status, redeemed) = post(
        &app,
        "/v1/managed/challenges/redeem",
        &key,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{redeemed}");
    assert_eq!(redeemed["account"], "alice");
    assert_eq!(redeemed["device_id"], device_id.as_str());
    let (status, again) = post(
        &app,
        "/v1/managed/challenges/redeem",
        &key,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "redeemed once only");
    assert_eq!(again["error"]["code"], "not_redeemable");
    let (_, verdict) = post(
        &app,
        "/v1/managed/challenges/verdict",
        &key,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(verdict["status"], "redeemed");

    // TOTP over HTTP: the activation code's step is used; the next step's code
    // works once.
    advance(&app, &phone, 30);
    let code = phone
        .client
        .vault()
        .code(&account_id)
        .unwrap()
        .code
        .to_string();
    let totp = "/v1/managed/accounts/alice/totp/verify";
    let (status, first) = post(&app, totp, &key, json!({ "code": code })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["result"], "accepted");
    let (_, replay) = post(&app, totp, &key, json!({ "code": code })).await;
    assert_eq!(replay["result"], "rejected");
    let (_, wrong) = post(&app, totp, &key, json!({ "code": "000000x" })).await;
    assert_eq!(wrong["result"], "rejected");

    // Backup codes: single use; a new set replaces the old one.
    let verify = "/v1/managed/accounts/alice/backup-codes/verify";
    let (_, ok) = post(&app, verify, &key, json!({ "code": backup_codes[0] })).await;
    assert_eq!(ok["result"], "accepted");
    let (_, spent) = post(&app, verify, &key, json!({ "code": backup_codes[0] })).await;
    assert_eq!(spent["result"], "rejected");
    let (status, fresh) = post(
        &app,
        "/v1/managed/accounts/alice/backup-codes",
        &key,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    assert_eq!(fresh["codes"].as_array().unwrap().len(), 10);
    let (_, old) = post(&app, verify, &key, json!({ "code": backup_codes[1] })).await;
    assert_eq!(old["result"], "rejected");
    let new_code = fresh["codes"][0].as_str().unwrap();
    let (_, new) = post(&app, verify, &key, json!({ "code": new_code })).await;
    assert_eq!(new["result"], "accepted");

    // A second phone now needs the existing second factor.
    let (status, refused) = post(
        &app,
        "/v1/managed/enrollments",
        &key,
        json!({"account": "alice"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["error"]["code"], "second_factor_required");
    let (status, _) = post(
        &app,
        "/v1/managed/enrollments",
        &key,
        json!({"account": "alice", "backup_code": fresh["codes"][1]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Removal: the phone is gone from the list and gets no more challenges.
    let reply = app
        .send(request(
            Method::DELETE,
            &format!("/v1/managed/accounts/alice/devices/{device_id}"),
            Some(&key),
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["removed"], true);
    let (_, list) = get(&app, "/v1/managed/accounts/alice/devices", &key).await;
    assert!(list["devices"].as_array().unwrap().is_empty());
    let (status, none) = post(
        &app,
        "/v1/managed/challenges",
        &key,
        json!({"account": "alice", "client": "x", "ip": "203.0.113.7"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(none["error"]["code"], "no_active_device");
    assert!(phone.client.check_removed(&account_id).await.unwrap());
}

#[tokio::test]
async fn a_wrong_number_is_a_denial_and_fraud_is_reported() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let mut phone = CorePhone::new(&app, 2);
    enroll(&app, &key, &mut phone, "bob").await;
    let start = json!({"account": "bob", "client": "curl", "ip": "2001:db8::1"});

    let (_, started) = post(&app, "/v1/managed/challenges", &key, start.clone()).await;
    let number: u32 = started["display"].as_str().unwrap().parse().unwrap();
    let wrong = if number == 99 { 10 } else { number + 1 };
    let view = phone.client.pending().await.unwrap().shown.remove(0);
    phone
        .client
        .answer(&view, Decision::Approve, &wrong.to_string(), false)
        .await
        .unwrap();
    let body = json!({"handle": started["handle"], "wait": 5});
    let (_, verdict) = post(&app, "/v1/managed/challenges/verdict", &key, body).await;
    assert_eq!(verdict["status"], "denied");

    let (_, started) = post(&app, "/v1/managed/challenges", &key, start.clone()).await;
    let view = phone.client.pending().await.unwrap().shown.remove(0);
    phone
        .client
        .answer(&view, Decision::Fraud, "", false)
        .await
        .unwrap();
    let body = json!({"handle": started["handle"], "wait": 5});
    let (_, verdict) = post(&app, "/v1/managed/challenges/verdict", &key, body).await;
    assert_eq!(verdict["status"], "fraud");
    let (status, muted) = post(&app, "/v1/managed/challenges", &key, start).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(muted["error"]["code"], "limit_exceeded");
}

#[tokio::test]
async fn managed_challenges_expire() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let mut phone = CorePhone::new(&app, 3);
    enroll(&app, &key, &mut phone, "carol").await;
    let (_, started) = post(
        &app,
        "/v1/managed/challenges",
        &key,
        json!({"account": "carol", "client": "x", "ip": "203.0.113.7"}),
    )
    .await;
    advance(&app, &phone, 121);
    let body = json!({"handle": started["handle"]});
    let (_, verdict) = post(&app, "/v1/managed/challenges/verdict", &key, body).await;
    assert_eq!(verdict["status"], "expired");
}

#[tokio::test]
async fn managed_tenants_are_isolated() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key_a) = managed_tenant(&app, &features, "a.example").await;
    let (_, key_b) = managed_tenant(&app, &features, "b.example").await;
    let mut phone = CorePhone::new(&app, 4);
    let (eid, _, codes) = enroll(&app, &key_a, &mut phone, "alice").await;

    // B's "alice" is another account.
    let (_, list) = get(&app, "/v1/managed/accounts/alice/devices", &key_b).await;
    assert!(list["devices"].as_array().unwrap().is_empty());
    let (_, check) = post(
        &app,
        "/v1/managed/accounts/alice/backup-codes/verify",
        &key_b,
        json!({ "code": codes[0] }),
    )
    .await;
    assert_eq!(check["result"], "rejected");
    let (status, none) = post(
        &app,
        "/v1/managed/challenges",
        &key_b,
        json!({"account": "alice", "client": "x", "ip": "203.0.113.7"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(none["error"]["code"], "no_active_device");

    // A's enrollment and A's session handle mean nothing to B.
    let (status, e) = get(&app, &format!("/v1/managed/enrollments/{eid}"), &key_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["code"], "unknown_enrollment");
    let (status, _) = post(
        &app,
        &format!("/v1/managed/enrollments/{eid}/activate"),
        &key_b,
        json!({"account": "alice", "code": "123456"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, started) = post(
        &app,
        "/v1/managed/challenges",
        &key_a,
        json!({"account": "alice", "client": "x", "ip": "203.0.113.7"}),
    )
    .await;
    let handle = started["handle"].clone();
    for path in [
        "/v1/managed/challenges/verdict",
        "/v1/managed/challenges/redeem",
    ] {
        let (status, e) = post(&app, path, &key_b, json!({ "handle": handle })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(e["error"]["code"], "unknown_challenge");
    }
    // A's device cannot be removed through B.
    let (_, list) = get(&app, "/v1/managed/accounts/alice/devices", &key_a).await;
    let device_id = list["devices"][0]["device_id"].as_str().unwrap().to_owned();
    let reply = app
        .send(request(
            Method::DELETE,
            &format!("/v1/managed/accounts/alice/devices/{device_id}"),
            Some(&key_b),
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let (_, verdict) = post(
        &app,
        "/v1/managed/challenges/verdict",
        &key_a,
        json!({ "handle": handle }),
    )
    .await;
    assert_eq!(verdict["status"], "pending");
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn end_to_end_tenants_never_get_a_verdict() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, e2e) = app.tenant("e2e.example").await;
    let (_, managed_key) = managed_tenant(&app, &features, "managed.example").await;

    // Every managed route refuses an end-to-end tenant, before reading the body.
    let managed_routes: Vec<_> = route_table()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/v1/managed/"))
        .collect();
    assert_eq!(managed_routes.len(), 11);
    for (method, path) in &managed_routes {
        for body in [None, Some("{}"), Some("not json")] {
            let reply = app
                .send(request(method.clone(), &concrete(path), Some(&e2e), body))
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
            assert_eq!(reply.error_code(), "not_managed", "{method} {path}");
        }
        // And without a key, it is 401 as everywhere.
        let reply = app
            .send(request(method.clone(), &concrete(path), None, None))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Without features (a bare relay) managed routes refuse every tenant.
    let bare = TestApp::new().await;
    let (_, key) = bare.tenant("bare.example").await;
    let reply = bare
        .post_json("/v1/managed/challenges", Some(&key), "{}")
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "not_managed");
    // A managed tenant gets past the gate (here: a body error).
    let reply = app
        .post_json("/v1/managed/challenges", Some(&managed_key), "{}")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // No other route documents a verdict: only /v1/managed/* mention one, and
    // the end-to-end answer route returns the phone's signed Answer.
    let doc = serde_json::to_value(crate::routes::openapi::document()).unwrap();
    let mut verdict_paths = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let text = item.to_string();
        if text.contains("VerdictView") {
            verdict_paths.insert(path.clone());
        }
    }
    assert!(
        verdict_paths.iter().all(|p| p.starts_with("/v1/managed/")),
        "{verdict_paths:?}"
    );
    assert!(verdict_paths.contains("/v1/managed/challenges/verdict"));
    let served: BTreeSet<String> = route_table()
        .into_iter()
        .map(|(_, p)| p.to_owned())
        .filter(|p| p.contains("verdict") || p.contains("redeem"))
        .collect();
    assert!(served.iter().all(|p| p.starts_with("/v1/managed/")));
}

// API fuzzing (schemathesis) found an issuer or account label that the offer refuses
// (empty, over its length, control characters) answered as a 500 `internal`: the
// caller's mistake, so 400 `invalid_body`, and nothing is announced.
#[tokio::test]
async fn a_bad_issuer_or_account_label_is_invalid_body_not_internal() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    for body in [
        json!({"account": "dave", "issuer": ""}),
        json!({"account": "dave", "issuer": "x".repeat(65)}),
        json!({"account": "dave", "issuer": "a\u{85}b"}),
        json!({"account": "dave", "account_label": ""}),
        json!({"account": "dave", "account_label": "x".repeat(129)}),
        json!({"account": "dave", "account_label": "tab\there"}),
    ] {
        let (status, reply) = post(&app, "/v1/managed/enrollments", &key, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} -> {reply}");
        assert_eq!(reply["error"]["code"], "invalid_body", "{body}");
    }
    let (status, _) = post(
        &app,
        "/v1/managed/enrollments",
        &key,
        json!({"account": "dave", "issuer": "Example", "account_label": "Dave"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

// API fuzzing found a well-formed TOTP check (or a TOTP proof in an offer) for an
// account without a TOTP secret answered 400 `invalid_body`: the request is fine, the
// account is not in the state it needs, so 409 `not_pending`.
#[tokio::test]
async fn a_totp_code_for_an_account_without_totp_is_not_pending() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let (status, reply) = post(
        &app,
        "/v1/managed/accounts/erin/totp/verify",
        &key,
        json!({"code": "123456"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["error"]["code"], "not_pending");
    let (status, reply) = post(
        &app,
        "/v1/managed/enrollments",
        &key,
        json!({"account": "erin", "totp_code": "123456"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["error"]["code"], "not_pending");
}

/// A managed login server passes the client's address with a code check: one address's
/// wrong guesses throttle that address, not the user at another one; a bad address is
/// 400.
#[tokio::test]
async fn code_checks_count_per_client_address() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let (status, made) = post(
        &app,
        "/v1/managed/accounts/bob/backup-codes",
        &key,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let good = made["codes"][0].as_str().unwrap().to_owned();
    let verify = "/v1/managed/accounts/bob/backup-codes/verify";
    for _ in 0..5 {
        let (_, wrong) = post(
            &app,
            verify,
            &key,
            json!({"code": "zzzz-zzzz-zz", "ip": "203.0.113.7"}),
        )
        .await;
        assert_eq!(wrong["result"], "rejected");
    }
    let (_, attacker) = post(
        &app,
        verify,
        &key,
        json!({"code": good, "ip": "203.0.113.7"}),
    )
    .await;
    assert_eq!(attacker["result"], "throttled", "{attacker}");
    let (_, user) = post(
        &app,
        verify,
        &key,
        json!({"code": good, "ip": "198.51.100.1"}),
    )
    .await;
    assert_eq!(user["result"], "accepted", "{user}");
    let (status, bad) = post(&app, verify, &key, json!({"code": good, "ip": "not an ip"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"]["code"], "invalid_body");
}

/// Backup codes are hashed with argon2id (19 MiB each): at most one hash per core runs
/// at a time, and a request that gets no slot within two seconds is answered 503, so
/// a burst of requests exhausts neither the memory nor the blocking pool.
#[tokio::test]
async fn hashing_is_bounded_and_a_request_without_a_slot_gets_503() {
    let (app, features) = featured(fast_retries(1)).await;
    let (_, key) = managed_tenant(&app, &features, "managed.example").await;
    let path = "/v1/managed/accounts/bob/backup-codes";
    let held = features.managed.take_all_hashing_slots().await;
    let (status, busy) = post(&app, path, &key, json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{busy}");
    assert_eq!(busy["error"]["code"], "unavailable");
    drop(held);
    let (status, made) = post(&app, path, &key, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
}
