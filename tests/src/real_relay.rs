//! The real relay, end to end: [`RealRelay`] serves the real relay (`assent_relay::Relay`) over TLS (a
//! throwaway rcgen CA, rustls with the ring provider) on a loopback port, with its public
//! origin set to `https://127.0.0.1:<port>`, a SQLite file in a temporary directory and
//! tenants + API keys made by the relay's own admin code. [`Site`] is a login server on
//! the RP library talking to it through [`HttpRelay`]; [`RealPhone`] is the core's
//! [`PushClient`] over [`HttpsTransport`] trusting the test CA.
//!
//! One [`TestClock`] serves as the relay's, the RP's and the phone's clock, so tests can
//! move past deadlines; it starts at the wall-clock time (so a real CLI phone on the
//! system clock agrees with it to within seconds).
//!
//! The binaries (`assent-relay`, `assent`) are found by [`binary`], which builds them
//! once per test process with the same cargo that runs the tests; see its docs.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assent_core::https::HttpsTransport;
use assent_core::{
    AccountId, ChallengeView, DeviceInfo, MemoryStorage, PendingEnrollment, PushClient,
    RelayTransport, SoftwareKeyStore, StaticKey, Vault, VaultEnv, VaultKey,
};
use assent_protocol::{ApprovalKind, DeviceId, EnrollmentId, Platform, RelayUrl};
use assent_relay::{Relay, RunningRelay};
use assent_rp::relay_http::HttpRelay;
use assent_rp::{
    AccountPolicy, ActivationResult, EnrollmentAuthorization, NewOffer, OfferRequest, PushPolicy,
    RegistrationStatus, Rp, StartedChallenge,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::backend::{Backend, RelayDb};
use crate::support::{context, FastHasher};
use crate::world::rp_id;

/// Wall-clock seconds.
pub fn wall_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Clock

/// One settable clock for the relay, the RP and the phone.
#[derive(Debug, Clone, Default)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    /// A clock standing at `now`.
    pub fn at(now: u64) -> Self {
        Self(Arc::new(AtomicU64::new(now)))
    }

    /// The time.
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the time forward.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

/// The one clock trait of phone, RP and relay (`assent_protocol::Clock`).
impl assent_protocol::clock::Clock for TestClock {
    fn now(&self) -> u64 {
        TestClock::now(self)
    }
}

// ---------------------------------------------------------------------------------------
// TLS

/// The workspace's one test CA (from the mock providers): a throwaway CA and its server
/// certificate for `127.0.0.1` and `localhost`.
pub use assent_push_providers::mock::TestCa;

/// The ALPN protocols the test servers offer.
pub const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

// ---------------------------------------------------------------------------------------
// The relay, in process

/// How to start a [`RealRelay`].
#[derive(Debug, Clone, Default)]
pub struct RelayOptions {
    /// Most pending challenges per device (the relay's default when `None`).
    pub max_pending_per_device: Option<u32>,
    /// Longest long-poll wait, seconds.
    pub max_wait_secs: Option<u64>,
    /// No lookup cache: for tests that edit the database behind the relay's
    /// back (as a hostile operator would), whose edits a cache would hide
    /// for up to its lifetime. Otherwise the relay caches as in production.
    pub uncached: bool,
    /// The database: a SQLite file (default) or a PostgreSQL database.
    pub backend: Backend,
    /// A database URL to use instead of a new database of `backend` (e.g. one on a
    /// PostgreSQL server the test stops and starts).
    pub database_url: Option<String>,
    /// Web Push to this mock push service (on loopback, which the relay's outbound
    /// rules then allow, as an operator's `--webhook-allow-network 127.0.0.0/8`).
    pub webpush: Option<Arc<assent_push_providers::mock::MockWebPush>>,
}

/// The real relay served over TLS on `127.0.0.1:<port>` through its embedding API
/// (`assent_relay::Relay::builder()…start()`), on a SQLite file or a PostgreSQL
/// database ([`Backend`]), with the test CA's certificate.
pub struct RealRelay {
    /// `https://127.0.0.1:<port>`: the public origin the relay signs requests over.
    pub origin: RelayUrl,
    /// The listening address.
    pub addr: SocketAddr,
    /// The test CA.
    pub ca: TestCa,
    /// The relay's (and the tests') clock.
    pub clock: TestClock,
    /// The relay's database.
    pub database_url: String,
    /// The temporary directory holding the CA files (and a SQLite database).
    pub dir: TempDir,
    running: Option<RunningRelay>,
    /// Scans the logs for the secrets registered so far when the relay goes.
    _log_check: Arc<crate::log_scan::CheckOnDrop>,
}

impl std::fmt::Debug for RealRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealRelay")
            .field("origin", &self.origin.as_str())
            .finish_non_exhaustive()
    }
}

impl RelayOptions {
    /// The default options on `backend`.
    pub fn on(backend: Backend) -> Self {
        Self {
            backend,
            ..Self::default()
        }
    }
}

impl RealRelay {
    /// A relay with default options.
    pub async fn start() -> Self {
        Self::start_with(RelayOptions::default()).await
    }

    /// A relay with default options on `backend`.
    pub async fn start_on(backend: Backend) -> Self {
        Self::start_with(RelayOptions {
            backend,
            ..RelayOptions::default()
        })
        .await
    }

    /// A relay with `options`.
    pub async fn start_with(options: RelayOptions) -> Self {
        crate::log_scan::install();
        let dir = tempfile::tempdir().unwrap();
        let database_url = match options.database_url {
            Some(url) => url,
            None => options.backend.new_database(dir.path()).await,
        };
        let ca = TestCa::named("Assent e2e test CA").unwrap();
        ca.write_to(dir.path()).unwrap();
        let clock = TestClock::at(wall_now());
        let mut builder = Relay::builder()
            .database_url(database_url.clone())
            .tls_files(dir.path().join("cert.pem"), dir.path().join("key.pem"))
            .clock(Arc::new(clock.clone()));
        if let Some(limit) = options.max_pending_per_device {
            builder = builder.max_pending_per_device(limit);
        }
        if let Some(secs) = options.max_wait_secs {
            builder = builder.max_wait_secs(secs);
        }
        if options.uncached {
            builder = builder.cache_ttl(Duration::ZERO);
        }
        if let Some(mock) = &options.webpush {
            builder = builder
                .allow_network("127.0.0.0/8".parse().unwrap())
                .webpush(mock.config().unwrap());
        }
        let running = builder.start().await.unwrap();
        Self {
            _log_check: crate::log_scan::guard(),
            origin: running.url().clone(),
            addr: running.addr(),
            ca,
            clock,
            database_url,
            dir,
            running: Some(running),
        }
    }

    /// The CA certificate's path (`ca.pem` in the relay's directory).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Creates tenant `name` and one API key for it; returns the key (`ask_…`).
    pub async fn tenant(&self, name: &str) -> String {
        let running = self.running.as_ref().expect("the relay is running");
        let key = running.create_tenant(name).await.unwrap();
        crate::log_scan::register("API key", key.as_str());
        key.as_str().to_owned()
    }

    /// Runs `assent-relay admin <args>` (the operator's command, the real binary) on the
    /// relay's database; returns its output.
    pub async fn admin(&self, args: &[&str]) -> String {
        let mut command = std::process::Command::new(binary("assent-relay"));
        command
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("admin")
            .args(args)
            .stdin(std::process::Stdio::null());
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.status.success(),
            "assent-relay admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A direct connection to the relay's database: the relay's own disk, as an
    /// attacker who owns the relay sees it.
    pub async fn db(&self) -> RelayDb {
        RelayDb::connect(&self.database_url).await
    }

    /// An HTTPS client trusting the test CA (for raw requests).
    pub fn http(&self) -> reqwest::Client {
        https_client(self.ca.ca_pem())
    }

    /// Stops serving (open long-polls are answered at once).
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}

/// Aborts its task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An HTTPS-only reqwest client trusting `ca_pem`.
pub fn https_client(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(true)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// The login server

/// A login server: the RP library on its own SQLite store, reaching the relay through
/// [`HttpRelay`] with a tenant's API key.
pub struct Site {
    /// The RP library.
    pub rp: Rp,
    /// The RP's RNG.
    pub rng: ChaCha20Rng,
    /// The relay URL the offers name.
    pub relay_url: RelayUrl,
    /// The RP's relay client (also usable directly, as the RP's raw relay API).
    pub relay: Arc<HttpRelay>,
    /// The clock.
    pub clock: TestClock,
    _dir: TempDir,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").finish_non_exhaustive()
    }
}

impl Site {
    /// A login server for tenant key `api_key` on `relay`, with `policy`.
    pub async fn new(relay: &RealRelay, api_key: &str, policy: PushPolicy, seed: u64) -> Self {
        Self::on(
            relay.origin.clone(),
            relay.ca.ca_pem(),
            relay.clock.clone(),
            api_key,
            policy,
            seed,
        )
        .await
    }

    /// A login server reaching the relay at `origin` (TLS under `ca_pem`).
    pub async fn on(
        origin: RelayUrl,
        ca_pem: &str,
        clock: TestClock,
        api_key: &str,
        policy: PushPolicy,
        seed: u64,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = assent_rp::SqliteStore::open(dir.path().join("rp.sqlite"))
            .await
            .unwrap();
        let http =
            Arc::new(HttpRelay::with_extra_ca(origin.clone(), api_key, ca_pem.as_bytes()).unwrap());
        let rp = Rp::new(store)
            .with_clock(clock.clone())
            .with_hasher(FastHasher)
            .with_push_policy(policy)
            .with_push(rp_id(), http.clone());
        Self {
            rp,
            rng: ChaCha20Rng::seed_from_u64(seed),
            relay_url: origin,
            relay: http,
            clock,
            _dir: dir,
        }
    }

    /// An offer for `account` (its first second factor) with minimum `min`.
    pub async fn offer(&mut self, account: &str, min: ApprovalKind) -> NewOffer {
        let mut request = OfferRequest::new("Example", &format!("{account}@example.com"));
        request.min = min;
        self.rp
            .make_offer(
                account,
                &request,
                &self.relay_url,
                EnrollmentAuthorization::NoSecondFactorYet,
                &mut self.rng,
            )
            .await
            .unwrap()
    }

    /// The RP takes the registration of `eid` from the relay.
    pub async fn complete(&mut self, eid: &EnrollmentId) -> assent_rp::Result<RegistrationStatus> {
        self.rp.complete_registration(eid, &mut self.rng).await
    }

    /// The login page submits the activation code.
    pub async fn activate(
        &mut self,
        account: &str,
        eid: &EnrollmentId,
        code: &str,
    ) -> assent_rp::Result<ActivationResult> {
        self.rp.activate(account, eid, code, &mut self.rng).await
    }

    /// The login page of `account` starts a push challenge.
    pub async fn start(&mut self, account: &str) -> assent_rp::Result<StartedChallenge> {
        let ctx = context(self.clock.now());
        let started = self
            .rp
            .start_challenge(account, &ctx, &mut self.rng)
            .await?;
        crate::log_scan::register("session handle", &started.handle.to_base64url());
        Ok(started)
    }

    /// Enrolls and activates `phone` for `account` with minimum and policy `kind`.
    pub async fn enroll(
        &mut self,
        phone: &mut RealPhone,
        account: &str,
        kind: ApprovalKind,
    ) -> RealEnrolled {
        let offer = self.offer(account, kind).await;
        let pending = phone.client.enroll_uri(&offer.uri).await.unwrap();
        self.finish(phone, account, kind, &offer, pending).await
    }

    /// The rest of an enrollment once the phone registered.
    pub async fn finish(
        &mut self,
        phone: &mut RealPhone,
        account: &str,
        kind: ApprovalKind,
        offer: &NewOffer,
        pending: PendingEnrollment,
    ) -> RealEnrolled {
        let eid = offer.offer.eid;
        let status = self.complete(&eid).await.unwrap();
        let RegistrationStatus::AwaitingActivation(info) = status else {
            panic!("no registration arrived: {status:?}");
        };
        let account_id = phone
            .client
            .finish_enrollment(&pending)
            .await
            .unwrap()
            .expect("the answer was delivered");
        let code = phone
            .client
            .activation_code(&account_id)
            .unwrap()
            .code
            .to_string();
        crate::log_scan::register("activation code", &code);
        match self.activate(account, &eid, &code).await.unwrap() {
            ActivationResult::Activated(a) => {
                assert_eq!(a.device.device_id, info.device_id);
                crate::world::register_enrollment_secrets(&self.rp, account, &a.backup_codes).await;
            }
            ActivationResult::Rejected => panic!("the phone's own code was rejected"),
        }
        self.rp
            .set_account_policy(account, AccountPolicy { kind, uv: false })
            .await
            .unwrap();
        RealEnrolled {
            eid,
            account_id,
            device_id: info.device_id,
        }
    }
}

/// A phone enrolled through the real relay.
#[derive(Debug, Clone)]
pub struct RealEnrolled {
    /// The offer's enrollment id.
    pub eid: EnrollmentId,
    /// The account in the phone's vault.
    pub account_id: AccountId,
    /// The device id the RP assigned.
    pub device_id: DeviceId,
}

// ---------------------------------------------------------------------------------------
// The phone

/// The core's [`PushClient`] over HTTPS (trusting the test CA), poll-only.
pub struct RealPhone {
    /// The app's push client.
    pub client: PushClient,
    /// The device key store.
    pub keys: Arc<SoftwareKeyStore>,
}

impl std::fmt::Debug for RealPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealPhone").finish_non_exhaustive()
    }
}

impl RealPhone {
    /// A phone on `clock` reaching relays over HTTPS with `ca_pem` trusted.
    pub fn new(ca_pem: &str, clock: TestClock, seed: u64, name: &str) -> Self {
        let transport: Arc<dyn RelayTransport> =
            Arc::new(HttpsTransport::with_extra_ca(ca_pem.as_bytes()).unwrap());
        Self::with_transport(transport, clock, seed, name)
    }

    /// A phone over any transport.
    pub fn with_transport(
        transport: Arc<dyn RelayTransport>,
        clock: TestClock,
        seed: u64,
        name: &str,
    ) -> Self {
        let device = DeviceInfo {
            platform: Platform::Poll,
            name: name.to_owned(),
            push_token: String::new(),
        };
        Self::with_device(transport, clock, seed, device)
    }

    /// A phone that registers as `device` (platform, name, push token).
    pub fn with_device(
        transport: Arc<dyn RelayTransport>,
        clock: TestClock,
        seed: u64,
        device: DeviceInfo,
    ) -> Self {
        let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
        let env = VaultEnv::new(
            Arc::new(MemoryStorage::new()),
            Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
        )
        .with_clock(Arc::new(clock))
        .with_rng(ChaCha20Rng::seed_from_u64(seed));
        let vault = Vault::open_or_create(env).unwrap();
        let client = PushClient::new(vault, transport, keys.clone(), device);
        Self { client, keys }
    }

    /// Polls and returns the one challenge shown (panics on anything else).
    pub async fn the_pending(&mut self) -> ChallengeView {
        let polled = self.client.pending().await.unwrap();
        assert!(polled.refused.is_empty(), "refused: {:?}", polled.refused);
        assert_eq!(polled.shown.len(), 1, "{polled:?}");
        polled.shown.into_iter().next().unwrap()
    }

    /// Signs `body` for `method path` at `timestamp` as account `id`'s device, over
    /// `origin`: the headers of a signed device request.
    pub fn sign_request(
        &self,
        id: &AccountId,
        origin: &RelayUrl,
        method: &str,
        path: &str,
        timestamp: u64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let push = self.client.push_enrollment(id).unwrap();
        let signer = assent_core::KeyStoreSigner::new(
            self.keys.as_ref(),
            push.key_alias(),
            push.device_public_key().clone(),
        );
        assent_protocol::RequestAuth::sign(
            &signer,
            origin,
            push.device_id(),
            method,
            path,
            timestamp,
            body,
        )
        .unwrap()
        .to_headers()
        .into_iter()
        .collect()
    }

    /// Account `id`'s answer to `challenge`, signed by its device key.
    pub fn make_answer(
        &self,
        id: &AccountId,
        challenge: &assent_protocol::Challenge,
        decision: assent_protocol::Decision,
        entered: &str,
    ) -> assent_protocol::Answer {
        let push = self.client.push_enrollment(id).unwrap();
        let signer = assent_core::KeyStoreSigner::new(
            self.keys.as_ref(),
            push.key_alias(),
            push.device_public_key().clone(),
        );
        assent_protocol::Answer::make(&signer, push.rp_id(), challenge, decision, entered, false)
            .unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Binaries

/// The path of workspace binary `name` (`assent-relay` or `assent`), built once per test
/// process.
///
/// Cargo builds `CARGO_BIN_EXE_*` only for binaries of the package under test, and
/// these two live in other packages (`assent-relay`, `assent-cli`). So the first call runs
/// `$CARGO build -p assent-relay -p assent-cli --bins` with the cargo that runs the tests
/// (the `CARGO` variable it sets; `cargo` otherwise), in the same profile, and takes the
/// binaries from the directory that holds this test executable (`<target>/<profile>`,
/// which follows `CARGO_TARGET_DIR`). From a clean clone that is a one-time build; after
/// it, a no-op check of about a second. `ASSENT_TEST_BIN_DIR` names a directory with
/// prebuilt binaries instead (no build).
pub fn binary(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("ASSENT_TEST_BIN_DIR") {
            return PathBuf::from(dir);
        }
        // <target>/<profile>/deps/<test exe>
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from <target>/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().unwrap().to_path_buf();
        let profile = profile_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut build = std::process::Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "--bins",
                "-p",
                "assent-relay",
                "-p",
                "assent-cli",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir);
        match profile.as_str() {
            "debug" => {}
            "release" => {
                build.arg("--release");
            }
            other => {
                build.args(["--profile", other]);
            }
        }
        // Build as from a shell: without the variables cargo sets for this test process
        // (package name, manifest dir …), which build scripts watch and would otherwise
        // see change, rebuilding shared dependencies on every run.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let per_test = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ];
            if per_test.iter().any(|p| name.starts_with(p)) {
                build.env_remove(name.as_ref());
            }
        }
        let status = build.status().expect("cargo runs");
        assert!(
            status.success(),
            "building the relay and CLI binaries failed"
        );
        profile_dir
    });
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "no binary at {}", path.display());
    path
}

/// Polls `check` every 20 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < limit, "gave up after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Raw requests

/// A relay reply, read whole.
#[derive(Debug)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// The `Assent-Time` header, if any.
    pub assent_time: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawReply {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `(status, error code)`; the code is empty for a success.
    pub fn code(&self) -> (u16, String) {
        let code = self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (self.status, code)
    }
}

impl RealRelay {
    /// Sends `method path` (with `headers` and a JSON `body` when not empty) over TLS.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> RawReply {
        let url = format!("{}{}", self.origin.as_str(), path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http().request(method, url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if !body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let reply = request.send().await.unwrap();
        let status = reply.status().as_u16();
        let assent_time = reply
            .headers()
            .get("assent-time")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = reply.bytes().await.unwrap().to_vec();
        RawReply {
            status,
            assent_time,
            body,
        }
    }

    /// An RP API call with `Authorization: Bearer <key>`.
    pub async fn rp_call(&self, key: &str, method: &str, path: &str, body: &str) -> RawReply {
        self.raw(
            method,
            path,
            &[("authorization", format!("Bearer {key}"))],
            body,
        )
        .await
    }

    /// A device request signed by `phone`'s key for account `id`, over `origin`, at
    /// `timestamp`.
    #[allow(clippy::too_many_arguments)]
    pub async fn signed_as(
        &self,
        phone: &RealPhone,
        id: &AccountId,
        origin: &RelayUrl,
        timestamp: u64,
        method: &str,
        path: &str,
        body: &str,
    ) -> RawReply {
        let headers = phone.sign_request(id, origin, method, path, timestamp, body.as_bytes());
        let headers: Vec<(&str, String)> = headers.into_iter().collect();
        self.raw(method, path, &headers, body).await
    }

    /// A device request signed correctly, now, over the relay's origin.
    pub async fn signed(
        &self,
        phone: &RealPhone,
        id: &AccountId,
        method: &str,
        path: &str,
        body: &str,
    ) -> RawReply {
        self.signed_as(
            phone,
            id,
            &self.origin,
            self.clock.now(),
            method,
            path,
            body,
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// The relay binary, as a process

/// A running `assent-relay` process; killed (SIGKILL) when dropped.
pub struct RelayProcess {
    child: std::process::Child,
    /// The address it listens on (from its "assent-relay listening" log line).
    pub addr: SocketAddr,
    /// Its log lines so far (JSON).
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl std::fmt::Debug for RelayProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayProcess")
            .field("pid", &self.child.id())
            .field("addr", &self.addr)
            .finish()
    }
}

impl RelayProcess {
    /// Starts `assent-relay <args> --log-format json` in `dir` and waits (at most 30 s)
    /// for its listening line.
    pub fn spawn(dir: &Path, args: &[String]) -> Self {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(binary("assent-relay"))
            .current_dir(dir)
            .args(args)
            .args(["--log-format", "json", "--log", "info"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines() {
                    let line = line.unwrap_or_default();
                    let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    if value["fields"]["message"] == "assent-relay listening" {
                        if let Some(addr) = value["fields"]["addr"].as_str() {
                            let _ = tx.send(addr.to_owned());
                        }
                    }
                    log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                }
            });
        }
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the relay did not start: {:?}",
                    log.lock().unwrap_or_else(|e| e.into_inner())
                );
            }
        };
        Self { child, addr, log }
    }

    /// `kill -9`: no graceful shutdown, no flush beyond what SQLite already committed.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "killed, not exited: {status:?}");
    }

    /// The output of `assent-relay --help`.
    pub fn help() -> String {
        let out = std::process::Command::new(binary("assent-relay"))
            .arg("--help")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TLS-terminating TCP proxy on `127.0.0.1:<port>` in front of a plain-HTTP relay whose
/// address can change (a restarted process).
pub struct TlsProxy {
    /// The proxy's address (the relay's public origin names it).
    pub addr: SocketAddr,
    backend: Arc<std::sync::Mutex<SocketAddr>>,
    _task: AbortOnDrop,
}

impl std::fmt::Debug for TlsProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

impl TlsProxy {
    /// Binds a loopback port and terminates TLS with `tls` (the backend is set later).
    pub async fn start(tls: Arc<rustls::ServerConfig>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backend = Arc::new(std::sync::Mutex::new(SocketAddr::from(([127, 0, 0, 1], 9))));
        let mut tls = (*tls).clone();
        // The backend speaks HTTP/1.1 only through this byte pipe: offer just that.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let target = backend.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let to = *target.lock().unwrap_or_else(|e| e.into_inner());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(to).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Self {
            addr,
            backend,
            _task: AbortOnDrop(task),
        }
    }

    /// Sends new connections to `addr`.
    pub fn set_backend(&self, addr: SocketAddr) {
        *self.backend.lock().unwrap_or_else(|e| e.into_inner()) = addr;
    }
}

/// Sends a request signed by `phone` for account `id` (over `origin`, at `timestamp`)
/// with `client`.
#[allow(clippy::too_many_arguments)]
pub async fn signed_request(
    client: &reqwest::Client,
    phone: &RealPhone,
    id: &AccountId,
    origin: &RelayUrl,
    timestamp: u64,
    method: &str,
    path: &str,
    body: &str,
) -> RawReply {
    signed_request_to(
        client,
        origin.as_str(),
        phone,
        id,
        origin,
        timestamp,
        method,
        path,
        body,
    )
    .await
}

/// [`signed_request`] sent to `base` (e.g. one instance behind a balancer) while signed
/// for the relay's public `origin`.
#[allow(clippy::too_many_arguments)]
pub async fn signed_request_to(
    client: &reqwest::Client,
    base: &str,
    phone: &RealPhone,
    id: &AccountId,
    origin: &RelayUrl,
    timestamp: u64,
    method: &str,
    path: &str,
    body: &str,
) -> RawReply {
    let url = format!("{base}{path}");
    let mut request = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (name, value) in phone.sign_request(id, origin, method, path, timestamp, body.as_bytes()) {
        request = request.header(name, value);
    }
    if !body.is_empty() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let assent_time = reply
        .headers()
        .get("assent-time")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    RawReply {
        status,
        assent_time,
        body: reply.bytes().await.unwrap().to_vec(),
    }
}
