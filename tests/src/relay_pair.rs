//! Two relay instances on one PostgreSQL database behind a round-robin load
//! balancer, as an operator runs them for high availability.
//!
//! [`RelayPair`] starts two real relays (the embedding API, TLS with the test CA)
//! on one new database, both with the balancer's address as their public origin,
//! and [`RoundRobin`], a TCP balancer that hands each new connection to the next
//! live instance (TLS passes through it, as with an L4 balancer). Every client
//! (the RP, the phone, a raw HTTPS client) opens its own connections, so they land
//! on alternate instances; tests that need a given instance use
//! [`RelayPair::direct`] with the instance's address.
//!
//! A [`RecordingPush`] shared by both instances counts the pushes per push id.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assent_protocol::{PushPayload, RelayUrl};
use assent_relay::{PushOutcome, PushProvider, PushTarget};
use assent_relay::{Relay, RunningRelay};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};

use crate::backend::Backend;
use crate::real_relay::{wall_now, TestCa, TestClock};

/// A TCP balancer: each accepted connection goes to the next backend that
/// accepts a connection.
pub struct RoundRobin {
    /// Where clients connect.
    pub addr: SocketAddr,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    /// Connections handed to each backend, by index.
    pub served: Arc<[AtomicUsize; 2]>,
    task: tokio::task::JoinHandle<()>,
}

impl RoundRobin {
    /// Listens on a free loopback port (backends are set later).
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backends: Arc<Mutex<Vec<SocketAddr>>> = Arc::default();
        let served: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let (list, counts) = (backends.clone(), served.clone());
        let task = tokio::spawn(async move {
            let next = AtomicUsize::new(0);
            while let Ok((client, _)) = listener.accept().await {
                let targets = list.lock().unwrap().clone();
                let start = next.fetch_add(1, Ordering::Relaxed);
                let counts = counts.clone();
                tokio::spawn(async move {
                    for i in 0..targets.len() {
                        let index = (start + i) % targets.len();
                        if let Ok(mut upstream) = TcpStream::connect(targets[index]).await {
                            counts[index].fetch_add(1, Ordering::Relaxed);
                            let mut client = client;
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                            return;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            backends,
            served,
            task,
        }
    }

    /// The backends, in order.
    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().unwrap() = backends;
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A push provider that wakes nobody and counts the pushes per push id.
#[derive(Default)]
pub struct RecordingPush(Mutex<HashMap<String, usize>>);

impl RecordingPush {
    /// How many pushes each push id got.
    pub fn counts(&self) -> HashMap<String, usize> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl PushProvider for RecordingPush {
    fn name(&self) -> &'static str {
        "recording"
    }

    fn enabled(&self) -> bool {
        true
    }

    async fn notify(&self, _: &PushTarget, payload: &PushPayload, _: u64) -> PushOutcome {
        *self
            .0
            .lock()
            .unwrap()
            .entry(payload.p.to_string())
            .or_default() += 1;
        PushOutcome::Sent
    }
}

/// Two relay instances on one PostgreSQL database behind a [`RoundRobin`].
pub struct RelayPair {
    /// `https://127.0.0.1:<balancer port>`: both instances' public origin.
    pub origin: RelayUrl,
    /// The balancer.
    pub balancer: RoundRobin,
    /// The instances (`None` once stopped).
    pub instances: [Option<RunningRelay>; 2],
    /// Their addresses.
    pub addrs: [SocketAddr; 2],
    /// The test CA (both serve its certificate).
    pub ca: TestCa,
    /// Both instances' clock.
    pub clock: TestClock,
    /// The shared database.
    pub database_url: String,
    /// The pushes both instances sent.
    pub pushes: Arc<RecordingPush>,
    _dir: TempDir,
}

impl RelayPair {
    /// Two instances on a new PostgreSQL database, at most `max_pending` pending
    /// challenges per device.
    pub async fn start(max_pending: u32) -> Self {
        crate::log_scan::install();
        let dir = tempfile::tempdir().unwrap();
        let database_url = Backend::Postgres.new_database(dir.path()).await;
        let ca = TestCa::named("Assent HA test CA").unwrap();
        ca.write_to(dir.path()).unwrap();
        let clock = TestClock::at(wall_now());
        let balancer = RoundRobin::bind().await;
        let origin =
            RelayUrl::parse(&format!("https://127.0.0.1:{}", balancer.addr.port())).unwrap();
        let pushes = Arc::new(RecordingPush::default());
        let mut instances = Vec::new();
        for _ in 0..2 {
            let running = Relay::builder()
                .database_url(database_url.clone())
                .public_origin(origin.as_str())
                .tls_files(dir.path().join("cert.pem"), dir.path().join("key.pem"))
                .clock(Arc::new(clock.clone()))
                .push(pushes.clone())
                .max_pending_per_device(max_pending)
                .start()
                .await
                .unwrap();
            instances.push(running);
        }
        let addrs = [instances[0].addr(), instances[1].addr()];
        balancer.set_backends(addrs.to_vec());
        let mut instances = instances.into_iter().map(Some);
        Self {
            origin,
            balancer,
            instances: [instances.next().unwrap(), instances.next().unwrap()],
            addrs,
            ca,
            clock,
            database_url,
            pushes,
            _dir: dir,
        }
    }

    /// Creates tenant `name` with one API key (through instance 0); returns the key.
    pub async fn tenant(&self, name: &str) -> String {
        let running = self.instances[0].as_ref().unwrap();
        let key = running.create_tenant(name).await.unwrap();
        crate::log_scan::register("API key", key.as_str());
        key.as_str().to_owned()
    }

    /// The URL that reaches instance `i` directly (bypassing the balancer); its
    /// signed requests still name [`RelayPair::origin`].
    pub fn direct(&self, i: usize) -> String {
        format!("https://127.0.0.1:{}", self.addrs[i].port())
    }

    /// Stops instance `i` (open long-polls are answered); the balancer skips it.
    pub async fn stop(&mut self, i: usize) {
        if let Some(running) = self.instances[i].take() {
            running.shutdown().await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
