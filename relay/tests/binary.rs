//! The real binary: plain HTTP behind a proxy, zero-config HTTPS with the
//! development CA in an empty directory, the push-off log line, admin
//! commands, and a clean stop on SIGTERM.
// Helper fns (not #[test]) unwrap too, which clippy.toml's allow-unwrap-in-tests misses.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_assent-relay");

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn admin(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .current_dir(dir)
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn zero_config_start_admin_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();

    // Admin commands create the database on first use.
    let (ok, out) = admin(dir.path(), &["tenant", "create", "example.com"]);
    assert!(ok, "{out}");
    let (ok, out) = admin(dir.path(), &["key", "create", "example.com"]);
    assert!(ok, "{out}");
    let key = out
        .lines()
        .find(|l| l.starts_with("ask_"))
        .unwrap()
        .to_owned();
    let (ok, out) = admin(dir.path(), &["tenant", "list"]);
    assert!(ok && out.contains("example.com"), "{out}");
    let (ok, _) = admin(dir.path(), &["key", "revoke", "0000000000000000"]);
    assert!(!ok, "revoking an unknown key must fail");

    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--plain-http",
            "--public-origin",
            "https://relay.example.com",
            "--log-format",
            "json",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut addr = None;
    let mut metrics_addr = None;
    let mut push_off = false;
    let mut log = Vec::new();
    while addr.is_none() || metrics_addr.is_none() || !push_off {
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let message = value["fields"]["message"].as_str().unwrap_or("").to_owned();
        if message == "assent-relay listening" {
            addr = value["fields"]["addr"].as_str().map(str::to_owned);
        }
        if message.starts_with("metrics on") {
            metrics_addr = value["fields"]["addr"].as_str().map(str::to_owned);
        }
        if message.contains("push is OFF") && message.contains("poll") {
            push_off = true;
        }
        log.push(line);
    }
    let addr = addr.unwrap();
    assert!(dir.path().join("assent-relay.db").exists());
    assert!(dir.path().join("assent-relay.db-wal").exists(), "WAL mode");

    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.to_ascii_lowercase().contains("assent-time:"));
    let ready = http_get(&addr, "/readyz");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    // Metrics on their own listener only (issue 13 finding 8).
    let metrics_addr = metrics_addr.unwrap();
    let metrics = http_get(&metrics_addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("assent_relay_http_requests_total"),
        "{metrics}"
    );
    let public = http_get(&addr, "/metrics");
    assert!(public.starts_with("HTTP/1.1 404"), "{public}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(log.contains("shutting down"), "{log}");
    assert!(!log.contains(&key), "the API key must never be logged");
}

#[test]
fn bad_configuration_exits_with_a_message() {
    let output = Command::new(BIN)
        .args(["--public-origin", "relay.example.com"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("public_origin"));

    // The same option from the environment.
    let output = Command::new(BIN)
        .env("ASSENT_RELAY_BODY_LIMIT", "10")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("body_limit"));
}

// Multi-threaded: the client's connection tasks keep running (and answer
// the relay's GOAWAY) while the test blocks on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_config_serves_https_with_a_dev_ca() {
    let dir = tempfile::tempdir().unwrap();
    let start = |dir: &std::path::Path| {
        let mut child = Command::new(BIN)
            .current_dir(dir)
            // No TLS flag: the zero-config HTTPS (a free port, so the
            // origin is given).
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--public-origin", "https://127.0.0.1:8080"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        let mut addr = None;
        let mut log = Vec::new();
        let mut push_line = false;
        while addr.is_none() || !push_line {
            let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
            push_line |= line.contains("push is");
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            if value["fields"]["message"] == "assent-relay listening" {
                assert_eq!(value["fields"]["scheme"], "https");
                addr = value["fields"]["addr"].as_str().map(str::to_owned);
            }
            log.push(line);
        }
        (child, addr.unwrap(), log.join("\n"), rx)
    };
    let (mut child, addr, log, rx) = start(dir.path());
    assert!(log.contains("DEVELOPMENT certificate"), "{log}");
    assert!(log.contains("assent-relay-ca.pem"), "{log}");
    assert!(log.contains("push is OFF"), "{log}");
    let ca = std::fs::read(dir.path().join("assent-relay-ca.pem")).unwrap();
    assert!(dir.path().join("assent-relay-tls/key.pem").exists());

    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let port = addr.rsplit(':').next().unwrap();
    let response = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let plain = std::panic::catch_unwind(|| http_get(&addr, "/healthz"));
    assert!(
        !matches!(plain, Ok(r) if r.starts_with("HTTP/1.1 200")),
        "plain HTTP must not be served"
    );
    drop(client);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(exit.success(), "{exit:?}: {}", rest.join("\n"));

    // Second start: the same CA is reused.
    let (mut child, _, log, _rx) = start(dir.path());
    assert!(log.contains("\"created\":false"), "{log}");
    assert_eq!(
        std::fs::read(dir.path().join("assent-relay-ca.pem")).unwrap(),
        ca
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
