//! `kill -9` of one of two relay processes (the real `assent-relay` binary) on one
//! PostgreSQL database, in the middle of a load of approvals through a round-robin
//! balancer: every flow completes on the other instance when its client retries,
//! no acknowledged answer is lost, and no challenge takes a second answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use assent_core::{Decision, DeviceInfo};
use assent_protocol::{ApprovalKind, Platform, RelayUrl};
use assent_rp::{ChallengeStatus, PushPolicy};
use assent_tests::backend::{Backend, RelayDb};
use assent_tests::real_relay::{
    binary, wall_now, RealPhone, RelayProcess, Site, TestCa, TestClock,
};
use assent_tests::relay_pair::RoundRobin;

const WORKERS: usize = 4;
const FLOWS_PER_WORKER: usize = 6;

fn admin(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(binary("assent-relay"))
        .current_dir(dir)
        .args(["--database-url", database_url, "admin"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn instance(dir: &Path, database_url: &str, origin: &RelayUrl) -> RelayProcess {
    let args: Vec<String> = [
        "--database-url",
        database_url,
        "--public-origin",
        origin.as_str(),
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "off",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([
        "--tls-cert".to_owned(),
        dir.join("cert.pem").display().to_string(),
        "--tls-key".to_owned(),
        dir.join("key.pem").display().to_string(),
    ])
    .collect();
    RelayProcess::spawn(dir, &args)
}

/// Evaluates `$step` (an expression giving a `Result`) until it succeeds (a
/// broken connection to the killed instance), at most 60 times; gives its value
/// and how many attempts failed.
macro_rules! retried {
    ($what:expr, $step:expr) => {{
        let mut failures = 0usize;
        loop {
            match $step {
                Ok(value) => break (value, failures),
                Err(e) => {
                    failures += 1;
                    assert!(failures < 60, "{} kept failing: {e:?}", $what);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }};
}

/// One worker: an account and its phone, `FLOWS_PER_WORKER` approvals in a row;
/// returns the challenge ids whose answers were acknowledged.
async fn worker(
    n: usize,
    origin: RelayUrl,
    ca: String,
    clock: TestClock,
    key: String,
    done: Arc<AtomicUsize>,
    retries: Arc<AtomicUsize>,
) -> Vec<String> {
    let policy = PushPolicy {
        max_pending: 100,
        max_per_window: 1000,
        ..PushPolicy::default()
    };
    let mut site = Site::on(origin, &ca, clock.clone(), &key, policy, 10 + n as u64).await;
    let transport =
        Arc::new(assent_core::https::HttpsTransport::with_extra_ca(ca.as_bytes()).unwrap());
    let mut phone = RealPhone::with_device(
        transport,
        clock,
        100 + n as u64,
        DeviceInfo {
            platform: Platform::Poll,
            name: format!("phone {n}"),
            push_token: String::new(),
        },
    );
    let account = format!("user{n}");
    site.enroll(&mut phone, &account, ApprovalKind::Number)
        .await;
    let mut acknowledged = Vec::new();
    for _ in 0..FLOWS_PER_WORKER {
        let (started, a) = retried!("start", site.start(&account).await);
        let (view, b) = retried!(
            "poll",
            match phone.client.pending().await {
                Ok(polled) => polled
                    .shown
                    .into_iter()
                    .find(|v| v.challenge_id == started.challenge_id)
                    .ok_or_else(|| "not listed yet".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        );
        // The same answer again returns the first result, so a retry is safe.
        let ((), c) = retried!(
            "answer",
            phone
                .client
                .answer(&view, Decision::Approve, &started.display, false)
                .await
        );
        acknowledged.push(started.challenge_id.to_string());
        let (status, d) = retried!(
            "read",
            site.rp
                .poll_challenge(&started.handle, Duration::from_secs(2))
                .await
        );
        assert_eq!(status, ChallengeStatus::Approved, "{account}");
        retries.fetch_add(a + b + c + d, Ordering::Relaxed);
        done.fetch_add(1, Ordering::Relaxed);
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_instance_under_load_loses_nothing_and_answers_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::named("Assent HA kill test CA").unwrap();
    ca.write_to(dir.path()).unwrap();
    let database_url = Backend::Postgres.new_database(dir.path()).await;
    let balancer = RoundRobin::bind().await;
    let origin = RelayUrl::parse(&format!("https://127.0.0.1:{}", balancer.addr.port())).unwrap();
    admin(
        dir.path(),
        &database_url,
        &["tenant", "create", "example.com"],
    );
    let key = admin(dir.path(), &database_url, &["key", "create", "example.com"])
        .lines()
        .find(|l| l.starts_with("ask_"))
        .unwrap()
        .to_owned();
    let mut a = instance(dir.path(), &database_url, &origin);
    let b = instance(dir.path(), &database_url, &origin);
    let addrs: Vec<SocketAddr> = vec![a.addr, b.addr];
    balancer.set_backends(addrs);

    let clock = TestClock::at(wall_now());
    let (done, retries) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| {
            tokio::spawn(worker(
                n,
                origin.clone(),
                ca.ca_pem().to_owned(),
                clock.clone(),
                key.clone(),
                done.clone(),
                retries.clone(),
            ))
        })
        .collect();
    // In the middle of the load: instance A dies.
    while done.load(Ordering::Relaxed) < WORKERS * FLOWS_PER_WORKER / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.kill9();
    let at_kill = done.load(Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for worker in workers {
        acknowledged.extend(worker.await.unwrap());
    }
    eprintln!(
        "killed A after {at_kill} flows; all {} flows completed, {} steps retried",
        acknowledged.len(),
        retries.load(Ordering::Relaxed)
    );
    assert_eq!(acknowledged.len(), WORKERS * FLOWS_PER_WORKER);
    assert!(
        balancer.served[0].load(Ordering::Relaxed) > 0
            && balancer.served[1].load(Ordering::Relaxed) > 0,
        "both instances served"
    );

    // Every acknowledged answer is stored once, as the approval the RP read.
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
    let answered = db
        .count(
            "SELECT COUNT(*) FROM challenges WHERE state = 'answered'",
            &[],
        )
        .await;
    assert_eq!(answered, i64::try_from(acknowledged.len()).unwrap());
    drop(b);
}
