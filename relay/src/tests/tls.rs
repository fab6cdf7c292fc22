//! HTTPS serving: the development CA made at first start (and reused), a
//! client that trusts it connects over h2 or HTTP/1.1, one that does not is
//! refused, and graceful shutdown still answers parked long-polls.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use super::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::server::{self, ServerError};
use crate::tls::{DevFiles, TlsMode};
use common::TestApp;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServerError>>,
}

async fn start_tls(app: &TestApp, dir: &std::path::Path) -> Running {
    let tls = server::tls_config(&TlsMode::Dev, dir).unwrap().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve_tls(listener, app.state.clone(), tls, async {
        let _ = stop_rx.await;
    }));
    Running { addr, stop, task }
}

fn client(ca: Option<&[u8]>, http1: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(40));
    if let Some(ca) = ca {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(ca).unwrap());
    }
    if http1 {
        builder = builder.http1_only();
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn https_with_the_dev_ca_and_reuse_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().await;
    let running = start_tls(&app, dir.path()).await;
    let files = DevFiles::paths(dir.path());
    let ca = std::fs::read(&files.ca).unwrap();

    for (host, http1) in [("127.0.0.1", false), ("localhost", true)] {
        let url = format!("https://{host}:{}/healthz", running.addr.port());
        let response = client(Some(&ca), http1).get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let expected = if http1 {
            reqwest::Version::HTTP_11
        } else {
            reqwest::Version::HTTP_2
        };
        assert_eq!(response.version(), expected, "ALPN picks the protocol");
        assert!(response.headers().contains_key("assent-time"));
    }
    let url = format!("https://127.0.0.1:{}/healthz", running.addr.port());
    let refused = client(None, false).get(&url).send().await;
    assert!(refused.is_err(), "a client without the dev CA must fail");

    running.stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // Restart on the same directory: the same CA (and certificate) are
    // reused, so a phone that trusted it keeps working.
    let cert = std::fs::read(&files.cert).unwrap();
    let running = start_tls(&app, dir.path()).await;
    assert_eq!(std::fs::read(&files.ca).unwrap(), ca);
    assert_eq!(std::fs::read(&files.cert).unwrap(), cert);
    let url = format!("https://127.0.0.1:{}/readyz", running.addr.port());
    let response = client(Some(&ca), false).get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn tls_shutdown_finishes_in_flight_long_polls() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 950).await;
    let (first, _) = app.challenge(&rp, &phone, 951).await;
    let (second, _) = app.challenge(&rp, &phone, 952).await;
    let running = start_tls(&app, dir.path()).await;
    let ca = std::fs::read(DevFiles::paths(dir.path()).ca).unwrap();

    // One long-poll over h2 and one over HTTP/1.1, both parked.
    let mut polls = Vec::new();
    for (n, http1, challenge) in [(1, false, &first), (2, true, &second)] {
        let url = format!(
            "https://127.0.0.1:{}/v1/rp/challenges/{}/answer?wait=30",
            running.addr.port(),
            challenge.challenge_id
        );
        let request = client(Some(&ca), http1).get(&url).bearer_auth(&key).send();
        polls.push(tokio::spawn(request));
        let start = Instant::now();
        while app.state.waiters.len() < n {
            assert!(start.elapsed() < Duration::from_secs(10), "never parked");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let stopped = Instant::now();
    running.stop.send(()).unwrap();
    for poll in polls {
        let response = tokio::time::timeout(Duration::from_secs(10), poll)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), 204, "answered, not cut");
    }
    tokio::time::timeout(Duration::from_secs(10), running.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(stopped.elapsed() < Duration::from_secs(5));
}
