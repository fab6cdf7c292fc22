//! PostgreSQL going away under load: the relay answers 503 with the stable error
//! body while it is gone (requests and `/readyz`), recovers by itself when it is
//! back (no restart: the pool reconnects, the wake-up listener listens again), and
//! loses nothing it had acknowledged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use assent_core::Decision;
use assent_protocol::ApprovalKind;
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::backend::{Backend, RelayDb};
use assent_tests::real_relay::{eventually, RealPhone, RealRelay, RelayOptions, Site};

/// One whole approval; the id of the challenge whose answer the relay
/// acknowledged, or why it did not get that far.
async fn approve(site: &mut Site, phone: &mut RealPhone) -> Result<String, String> {
    let started = site
        .start("alice")
        .await
        .map_err(|e| format!("start: {e}"))?;
    let polled = phone
        .client
        .pending()
        .await
        .map_err(|e| format!("poll: {e}"))?;
    let view = polled
        .shown
        .into_iter()
        .find(|v| v.challenge_id == started.challenge_id)
        .ok_or("not listed")?;
    phone
        .client
        .answer(&view, Decision::Approve, &started.display, false)
        .await
        .map_err(|e| format!("answer: {e}"))?;
    let acknowledged = started.challenge_id.to_string();
    match site
        .rp
        .poll_challenge(&started.handle, Duration::ZERO)
        .await
    {
        Ok(ChallengeStatus::Approved) => Ok(acknowledged),
        other => Err(format!("answer acknowledged, then read as {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_gives_503s_only_while_it_lasts_and_loses_nothing_acknowledged() {
    let server = assent_pg_testkit::Server::start().unwrap();
    let database_url = server.database().await.unwrap();
    let relay = RealRelay::start_with(RelayOptions {
        backend: Backend::Postgres,
        database_url: Some(database_url.clone()),
        ..RelayOptions::default()
    })
    .await;
    let key = relay.tenant("example.com").await;
    let policy = PushPolicy {
        max_per_window: 1000,
        ..PushPolicy::default()
    };
    let mut site = Site::new(&relay, &key, policy, 1).await;
    let mut phone = RealPhone::new(relay.ca.ca_pem(), relay.clock.clone(), 2, "Alice's phone");
    site.enroll(&mut phone, "alice", ApprovalKind::Number).await;
    let http = relay.http();
    let readyz = format!("{}/readyz", relay.origin.as_str());

    let mut acknowledged = Vec::new();
    for _ in 0..5 {
        acknowledged.push(approve(&mut site, &mut phone).await.unwrap());
    }
    assert_eq!(http.get(&readyz).send().await.unwrap().status(), 200);

    // The database goes away.
    server.pause().unwrap();
    let outage = Instant::now();
    let reply = http.get(&readyz).send().await.unwrap();
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    // A request that needs the database: the same stable error, no detail.
    let reply = http
        .get(format!("{}/v1/rp/tenant", relay.origin.as_str()))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 503);
    let text = reply.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        !text.contains("postgres") && !text.contains("127.0.0.1"),
        "{text}"
    );
    // An approval attempted during the outage fails; it is not acknowledged.
    assert!(approve(&mut site, &mut phone).await.is_err());
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(outage.elapsed())).await;

    // It comes back: the relay recovers by itself.
    server.resume().unwrap();
    let back = Instant::now();
    eventually(Duration::from_secs(30), || async {
        let status = http.get(&readyz).send().await.ok()?.status();
        (status == 200).then_some(())
    })
    .await;
    eprintln!(
        "ready again {:?} after PostgreSQL came back",
        back.elapsed()
    );
    for _ in 0..5 {
        acknowledged.push(approve(&mut site, &mut phone).await.unwrap());
    }

    // Every answer the relay acknowledged is stored, answered.
    let db = RelayDb::connect(&database_url).await;
    for id in &acknowledged {
        let state = db
            .text(
                "SELECT state FROM challenges WHERE challenge_id = $1",
                &[id.into()],
            )
            .await;
        assert_eq!(state, "answered", "{id}");
    }
    assert_eq!(acknowledged.len(), 10);
}
