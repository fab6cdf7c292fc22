//! The long-poll caps (issue 13 finding 6): one device, or one relying party, cannot
//! hold more than its share of long-polls open; one more is refused at once with 429
//! `limit_exceeded`, others are not affected, and slots come back when polls end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_protocol::Decision;
use axum::http::{Method, StatusCode};

use super::common::flow::{self, signed};
use super::common::{request, Reply, TestApp};
use crate::config::{Config, ConfigArgs};
use crate::waiters::Owner;

async fn app_with(args: ConfigArgs) -> Arc<TestApp> {
    let args = ConfigArgs {
        public_origin: Some(flow::ORIGIN.to_owned()),
        ..args
    };
    Arc::new(TestApp::with_config(Config::resolve(&args).unwrap()).await)
}

/// Waits (at most 10 s) until `owner` holds `n` slots.
async fn until_holding(app: &TestApp, owner: Owner<'_>, n: u32) {
    let start = Instant::now();
    while app.state.waiters.holding(owner) != n {
        assert!(start.elapsed() < Duration::from_secs(10), "never {n} held");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn spawn_send(
    app: &Arc<TestApp>,
    request: axum::http::Request<axum::body::Body>,
) -> tokio::task::JoinHandle<Reply> {
    let app = app.clone();
    tokio::spawn(async move { app.send(request).await })
}

#[tokio::test]
async fn a_device_holds_at_most_its_cap_of_long_polls() {
    let app = app_with(ConfigArgs::default()).await;
    assert_eq!(app.state.config.limits.max_long_polls_per_device, 4);
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 10).await;
    let (_, other) = app.enroll(&key, 20).await;
    let device = phone.device().to_string();
    let poll = |phone: &flow::Phone, wait: &str| {
        signed(
            &phone.signer,
            &phone.device(),
            Method::GET,
            &format!("/v1/challenges?wait={wait}"),
            "",
            app.clock_now(),
        )
    };
    let parked: Vec<_> = (0..4)
        .map(|_| spawn_send(&app, poll(&phone, "30")))
        .collect();
    until_holding(&app, Owner::Device(&device), 4).await;

    let refused = app.send(poll(&phone, "30")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "limit_exceeded");
    // A poll that does not wait needs no slot, and another device has slots of its own.
    let now = app.send(poll(&phone, "0")).await;
    assert_eq!(now.status, StatusCode::OK);
    let other_device = other.device().to_string();
    let theirs = spawn_send(&app, poll(&other, "30"));
    until_holding(&app, Owner::Device(&other_device), 1).await;

    // A challenge wakes the four; their slots come back.
    app.challenge(&rp, &phone, 11).await;
    for poll in parked {
        let reply = poll.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["challenges"].as_array().unwrap().len(), 1);
    }
    assert_eq!(app.state.waiters.holding(Owner::Device(&device)), 0);
    theirs.abort();
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"assent_relay_long_polls_refused_total{owner="device"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_relying_party_holds_at_most_its_cap_of_long_polls() {
    let app = app_with(ConfigArgs {
        max_long_polls_per_tenant: Some(2),
        ..ConfigArgs::default()
    })
    .await;
    let (tenant, key) = app.tenant("example.com").await;
    let (other_tenant, other_key) = app.tenant("other.example").await;
    let (rp, phone) = app.enroll(&key, 30).await;
    let (other_rp, other_phone) = app.enroll(&other_key, 40).await;
    let (challenge, _) = app.challenge(&rp, &phone, 31).await;
    let (other_challenge, _) = app.challenge(&other_rp, &other_phone, 41).await;
    let wait_for_answer = |key: &str, cid: String| {
        request(
            Method::GET,
            &format!("/v1/rp/challenges/{cid}/answer?wait=30"),
            Some(key),
            None,
        )
    };
    let cid = challenge.challenge_id.to_string();
    let parked: Vec<_> = (0..2)
        .map(|_| spawn_send(&app, wait_for_answer(&key, cid.clone())))
        .collect();
    until_holding(&app, Owner::Tenant(&tenant), 2).await;

    let refused = app.send(wait_for_answer(&key, cid.clone())).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "limit_exceeded");
    let registrations = app.get("/v1/rp/registrations?wait=30", Some(&key)).await;
    assert_eq!(registrations.status, StatusCode::TOO_MANY_REQUESTS);
    // Another relying party is not affected.
    let theirs = spawn_send(
        &app,
        wait_for_answer(&other_key, other_challenge.challenge_id.to_string()),
    );
    until_holding(&app, Owner::Tenant(&other_tenant), 1).await;

    // The answer wakes both; then the tenant may wait again.
    let answer = phone.answer(&challenge, Decision::Approve, "42");
    let reply = phone
        .send(&app, Method::POST, "/v1/answer", &answer.to_json())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    for poll in parked {
        assert_eq!(poll.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(app.state.waiters.holding(Owner::Tenant(&tenant)), 0);
    let again = app.send(wait_for_answer(&key, cid)).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "an answered challenge reads at once"
    );
    theirs.abort();
}
