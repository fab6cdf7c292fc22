//! Graceful shutdown: an in-flight long-poll is answered (204, no answer
//! yet; not cut) and the server then stops.

use super::common;

use std::time::{Duration, Instant};

use crate::server;
use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn shutdown_finishes_in_flight_long_polls() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("example.com").await;
    let (rp, phone) = app.enroll(&key, 900).await;
    let (challenge, _) = app.challenge(&rp, &phone, 901).await;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(listener, app.state.clone(), async {
        let _ = stop_rx.await;
    }));

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /v1/rp/challenges/{}/answer?wait=30 HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n",
        challenge.challenge_id
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let parked = Instant::now();
    while app.state.waiters.is_empty() {
        assert!(
            parked.elapsed() < Duration::from_secs(10),
            "long-poll never parked"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let start = Instant::now();
    stop_tx.send(()).unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}
