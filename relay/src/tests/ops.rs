//! Health, readiness, metrics, error bodies, auth and the OpenAPI document.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use super::common;

use std::collections::BTreeSet;

use crate::routes::{route_table, TIME_HEADER};
use crate::store::TenantStore;
use axum::http::{Method, StatusCode};
use common::{request, TestApp, T0};

#[tokio::test]
async fn healthz_and_readyz_answer_with_relay_time() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/readyz"] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["status"], "ok");
        assert_eq!(reply.json()["time"], T0);
        assert_eq!(reply.headers[TIME_HEADER], T0.to_string().as_str());
    }
}

#[tokio::test]
async fn readyz_fails_when_database_is_gone() {
    let app = TestApp::new().await;
    app.store.pool().close().await;
    let reply = app.get("/readyz", None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "unavailable");
    assert!(!String::from_utf8_lossy(&reply.body).contains("pool"));
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_methods_have_json_errors() {
    let app = TestApp::new().await;
    let reply = app.get("/nope", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "route_not_found");
    assert!(reply.headers.contains_key(TIME_HEADER));

    let reply = app.post_json("/healthz", None, "{}").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn api_key_auth() {
    let app = TestApp::new().await;
    let (tenant, key) = app.tenant("example.com").await;
    let reply = app.get("/v1/rp/tenant", Some(&key)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["id"], tenant);
    assert_eq!(reply.json()["name"], "example.com");

    let wrong_secret = format!("{}x", &key[..key.len() - 1]);
    let wrong_secret = if wrong_secret == key {
        format!("{}y", &key[..key.len() - 1])
    } else {
        wrong_secret
    };
    for bad in [
        None,
        Some(""),
        Some("ask_"),
        Some("garbage"),
        Some(wrong_secret.as_str()),
    ] {
        let reply = app.get("/v1/rp/tenant", bad).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(reply.error_code(), "unauthorized");
    }
    // Not a Bearer scheme.
    let mut req = request(Method::GET, "/v1/rp/tenant", None, None);
    req.headers_mut()
        .insert("authorization", format!("Basic {key}").parse().unwrap());
    assert_eq!(app.send(req).await.status, StatusCode::UNAUTHORIZED);

    // Revoked.
    let key_id = &key[4..20];
    {
        assert!(app.store.revoke_api_key(key_id, 1).await.unwrap());
    }
    let reply = app.get("/v1/rp/tenant", Some(&key)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// Issue 13 finding 8: `/metrics` is not public. Without a token configured the
/// public listener has no such route; with one, only a request carrying it reads them.
#[tokio::test]
async fn metrics_are_closed_on_the_public_listener_without_the_token() {
    let app = TestApp::new().await;
    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "route_not_found");
    let (_, api_key) = app.tenant("rp").await;
    let reply = app.get("/metrics", Some(&api_key)).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "an API key is no metrics token"
    );

    let token = "t".repeat(40);
    let args = crate::config::ConfigArgs {
        public_origin: Some(common::flow::ORIGIN.to_owned()),
        metrics_token: Some(token.clone()),
        ..Default::default()
    };
    let app = TestApp::with_config(crate::config::Config::resolve(&args).unwrap()).await;
    for wrong in [None, Some("t".repeat(39)), Some(format!("{token}t"))] {
        let reply = app.get("/metrics", wrong.as_deref()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(reply.error_code(), "unauthorized");
    }
    let reply = app.get("/metrics", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(String::from_utf8(reply.body)
        .unwrap()
        .contains("assent_relay_http_requests_total"));
}

#[tokio::test]
async fn the_metrics_listener_serves_metrics_and_nothing_else() {
    use tower::ServiceExt as _;
    let app = TestApp::new().await;
    let metrics = crate::routes::ops::metrics_app(app.state.clone());
    for path in ["/healthz", "/v1/rp/tenant", "/openapi.json"] {
        let reply = metrics
            .clone()
            .oneshot(request(Method::GET, path, None, None))
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert!(app.metrics().await.contains("# EOF"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::new().await;
    app.get("/healthz", None).await;
    app.get("/healthz", None).await;
    app.get("/does/not/exist", None).await;
    let text = app.metrics().await;
    assert!(
        text.contains(
            r#"assent_relay_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains("/does/not/exist"));
    assert!(text.contains("assent_relay_http_request_duration_seconds_bucket"));
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc = crate::routes::openapi::document_json();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_document_matches_the_router() {
    let served: BTreeSet<(String, String)> = route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    assert_eq!(served, documented_routes());

    // Every table entry really is routed (not the fallback, not 405); `/metrics` is
    // routed here when a metrics token is configured.
    let args = crate::config::ConfigArgs {
        public_origin: Some(common::flow::ORIGIN.to_owned()),
        metrics_token: Some("t".repeat(40)),
        ..Default::default()
    };
    let app = TestApp::with_config(crate::config::Config::resolve(&args).unwrap()).await;
    for (method, path) in route_table() {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let reply = app
            .send(request(method.clone(), &concrete, None, None))
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

    let reply = app.get("/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()["openapi"].as_str().unwrap().chars().next(),
        Some('3')
    );
}

/// Every (method, path, operation) of the document.
fn operations() -> Vec<(String, String, serde_json::Value)> {
    let doc = crate::routes::openapi::document_json();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

// API fuzzing (schemathesis) found two operations sharing the operation id `answer`
// (the RP's answer read and the phone's answer); links name operations by id.
#[test]
fn operation_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for (method, path, op) in operations() {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(
            seen.insert(id.clone()),
            "{method} {path}: operationId {id:?} again"
        );
    }
}

// API fuzzing found statuses that the shared extractors, the auth extractor and the
// store give on every route but that no operation documented (400, 401, 413, 415, 503).
// Each operation must name those its shape implies.
#[test]
fn operations_document_the_errors_their_shape_implies() {
    for (method, path, op) in operations() {
        let responses = op["responses"].as_object().unwrap();
        let has = |status: &str| responses.contains_key(status);
        let what = format!("{method} {path}");
        let api_key = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("api_key").is_some()));
        let params = op["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let body = op.get("requestBody").is_some();
        let waits = params.iter().any(|p| p["name"] == "wait");
        if api_key {
            assert!(has("401"), "{what}: no 401 for the API key");
        }
        if body || !params.is_empty() {
            assert!(
                has("400"),
                "{what}: no 400 for a malformed body or parameter"
            );
        }
        if body {
            assert!(has("413"), "{what}: no 413 for a body over the limit");
        }
        if op["requestBody"]["content"]["application/json"]["schema"]
            .get("$ref")
            .is_some()
        {
            assert!(has("415"), "{what}: no 415 for a typed JSON body");
        }
        if waits {
            assert!(has("429"), "{what}: no 429 for the long-poll limit");
        }
        if api_key || method != "GET" || path.starts_with("/v1/") {
            assert!(has("503"), "{what}: no 503 for an unavailable database");
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"];
                assert!(
                    schema.get("$ref").is_some() || schema.get("properties").is_some(),
                    "{what} {status}: no error body schema"
                );
            }
        }
    }
}

// The links schemathesis follows in its stateful phase: each names an operation that
// exists, by id, and a parameter that operation has.
#[test]
fn links_name_existing_operations_and_parameters() {
    let ops = operations();
    let mut links = 0;
    for (method, path, op) in &ops {
        for response in op["responses"].as_object().unwrap().values() {
            let Some(map) = response["links"].as_object() else {
                continue;
            };
            for (name, link) in map {
                links += 1;
                let id = link["operationId"].as_str().unwrap();
                let (_, _, target) = ops
                    .iter()
                    .find(|(_, _, o)| o["operationId"] == id)
                    .unwrap_or_else(|| panic!("{method} {path} link {name}: no {id}"));
                for param in link["parameters"].as_object().unwrap().keys() {
                    let known = target["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == param.as_str()));
                    assert!(known, "{method} {path} link {name}: {id} has no {param}");
                }
            }
        }
    }
    assert!(links >= 6, "{links} links");
}
