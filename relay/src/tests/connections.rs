//! The connection limits (issue 13 finding 6): slow and idle clients are closed after
//! the header-read timeout, and connections beyond the cap are closed at once, while a
//! well-behaved client is served.

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::connections::{self, ConnectionLimits};

/// A relay-like server on loopback with `limits`; returns its address.
async fn server(limits: ConnectionLimits) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/healthz", get(|| async { "ok" }));
    tokio::spawn(connections::serve(
        listener,
        router,
        None,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection (or 5 s pass: `None`).
async fn closed_within_5s(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut got)).await;
    match read {
        Ok(_) => Some(got),
        Err(_) => None,
    }
}

fn limits(max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_read_timeout: Duration::from_secs(1),
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_closed() {
    let addr = server(limits(10)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        closed_within_5s(&mut slow).await.is_some(),
        "a partial header is not kept open"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let addr = server(limits(10)).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert!(closed_within_5s(&mut idle).await.is_some());
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_freed_slots_serve_again() {
    let addr = server(limits(2)).await;
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    // Let the server take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await;
    let reply = tokio::time::timeout(Duration::from_millis(900), async {
        let mut got = Vec::new();
        let _ = third.read_to_end(&mut got).await;
        got
    })
    .await
    .expect("closed at once, well before the header timeout");
    assert!(reply.is_empty(), "no answer beyond the cap");
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let reply = closed_within_5s(&mut client).await.unwrap();
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
}

#[tokio::test]
async fn a_keep_alive_connection_left_idle_after_a_request_is_closed() {
    let addr = server(limits(10)).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    client.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let rest = closed_within_5s(&mut client).await;
    assert!(rest.is_some(), "an idle keep-alive connection is closed");
}
