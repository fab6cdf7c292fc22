//! [`World`]: one RP (real [`SqliteStore`] in a temporary directory, or [`MemoryStore`])
//! on a [`ManualClock`], the real relay in process ([`HookedRelay`]) sharing that clock, and a phone — a real
//! [`PushClient`] over a memory-backed vault and a software key store, with its own
//! (possibly skewed) [`ManualClock`]. Every RNG is seeded.

use std::sync::Arc;
use std::time::Duration;

use assent_core::{
    AccountId, ChallengeView, DeviceCall, DeviceInfo, ManualClock, MemoryStorage,
    PendingEnrollment, PushClient, RelayReply, RelayTransport, SoftwareKeyStore, StaticKey,
    TransportError, Vault, VaultEnv, VaultKey,
};
use assent_protocol::{ApprovalKind, DeviceId, EnrollmentId, Platform, RelayUrl, RpId};
use assent_rp::{
    AccountPolicy, ActivationResult, Argon2idHasher, BackupCodes, ChallengeStatus,
    EnrollmentAuthorization, LimiterPolicy, MemoryStore, NewOffer, OfferRequest, PushPolicy,
    RegistrationStatus, Rp, SessionHandle, SqliteStore, StartedChallenge,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tempfile::TempDir;

use crate::log_scan;
use crate::relay::HookedRelay;
use crate::support::{context, CountingHasher, FastHasher, RecordingEvents};

/// The RP id of every test.
pub const RP_ID: &str = "example.com";
/// The relay's URL.
pub const RELAY_URL: &str = "https://relay.example.com";
/// The RP's time when a world starts (a TOTP step boundary: 30 × 56 666 667).
pub const T0: u64 = 1_700_000_010;
/// The default account.
pub const ALICE: &str = "alice";

/// Which RP store backs the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// The in-memory store.
    Memory,
}

/// How to build a [`World`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The RP's store.
    pub store: StoreKind,
    /// The RP's push policy.
    pub push_policy: PushPolicy,
    /// The RP's limiter policy.
    pub limiter: LimiterPolicy,
    /// The phone's clock minus the true time, seconds.
    pub phone_skew: i64,
    /// Hash backup codes and app passwords with argon2id at OWASP's parameters (slow)
    /// instead of the salted SHA-256 stand-in.
    pub real_argon2: bool,
    /// The relay's URL (worlds on different relays share one phone in tests of routing).
    pub relay_url: RelayUrl,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            store: StoreKind::Sqlite,
            push_policy: PushPolicy::default(),
            limiter: LimiterPolicy::default(),
            phone_skew: 0,
            real_argon2: false,
            relay_url: relay_url(),
        }
    }
}

/// A phone: the app's [`PushClient`] and what backs it.
pub struct Phone {
    /// The app's push client (owns the vault).
    pub client: PushClient,
    /// The phone's clock.
    pub clock: Arc<ManualClock>,
    /// The device key store.
    pub keys: Arc<SoftwareKeyStore>,
    /// The vault's storage.
    pub storage: Arc<MemoryStorage>,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("client", &self.client)
            .finish()
    }
}

impl Phone {
    /// A phone named `name` reaching `relay`, its clock at `now`, its RNG from `seed`.
    pub fn new(relay: Arc<HookedRelay>, now: u64, seed: u64, name: &str) -> Self {
        Self::on(relay, now, seed, name)
    }

    /// A phone named `name` reaching relays through `transport` (e.g. [`Relays`]).
    pub fn on(transport: Arc<dyn RelayTransport>, now: u64, seed: u64, name: &str) -> Self {
        let clock = Arc::new(ManualClock::new(now));
        let storage = Arc::new(MemoryStorage::new());
        let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
        let env = VaultEnv::new(
            storage.clone(),
            Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
        )
        .with_clock(clock.clone())
        .with_rng(ChaCha20Rng::seed_from_u64(seed));
        let vault = Vault::open_or_create(env).expect("a new vault");
        let push_token = "a".repeat(64);
        log_scan::register("push token", &push_token);
        let client = PushClient::new(
            vault,
            transport,
            keys.clone(),
            DeviceInfo {
                platform: Platform::Ios,
                name: name.to_owned(),
                push_token,
            },
        );
        Self {
            client,
            clock,
            keys,
            storage,
        }
    }

    /// The TOTP code the phone shows now for account `id`.
    pub fn code(&self, id: &AccountId) -> String {
        let code = self
            .client
            .vault()
            .code(id)
            .expect("an account")
            .code
            .to_string();
        log_scan::register("TOTP code", &code);
        code
    }

    /// Handles the push notification `payload`.
    pub async fn push(&mut self, payload: &[u8]) -> assent_core::Result<ChallengeView> {
        self.client.handle_push(payload).await
    }
}

/// One phone's way to several relays: each call goes to the relay at its URL.
#[derive(Debug, Default)]
pub struct Relays(pub Vec<Arc<HookedRelay>>);

#[async_trait::async_trait]
impl RelayTransport for Relays {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        match self.0.iter().find(|r| r.origin() == relay) {
            Some(r) => r.call(relay, call).await,
            None => Err(TransportError::new("no route to that relay")),
        }
    }
}

/// A phone enrolled and activated for an account.
#[derive(Debug)]
pub struct Enrolled {
    /// The RP's account key.
    pub account: String,
    /// The offer's enrollment id.
    pub eid: EnrollmentId,
    /// The account's id in the phone's vault.
    pub account_id: AccountId,
    /// The device id the RP assigned.
    pub device_id: DeviceId,
    /// The backup codes issued at activation.
    pub backup_codes: Option<BackupCodes>,
    /// The activation code that was typed.
    pub activation_code: String,
}

/// RP + relay + phone, wired together.
pub struct World {
    /// The login server's library.
    pub rp: Rp,
    /// The RP's clock, which the relay shares.
    pub clock: Arc<ManualClock>,
    /// The relay.
    pub relay: Arc<HookedRelay>,
    /// Events the RP delivered.
    pub events: Arc<RecordingEvents>,
    /// Counts password hashes.
    pub hasher: Arc<CountingHasher>,
    /// The RP's RNG.
    pub rng: ChaCha20Rng,
    /// The user's phone.
    pub phone: Phone,
    /// The store in use.
    pub store: StoreKind,
    /// The relay's URL, which offers name.
    pub relay_url: RelayUrl,
    _dir: Option<TempDir>,
    /// Scans the logs for the secrets registered so far when the world goes.
    _log_check: Arc<log_scan::CheckOnDrop>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("store", &self.store)
            .field("now", &self.now())
            .finish_non_exhaustive()
    }
}

/// The RP id.
pub fn rp_id() -> RpId {
    RpId::parse(RP_ID).expect("a valid RP id")
}

/// The relay URL.
pub fn relay_url() -> RelayUrl {
    RelayUrl::parse(RELAY_URL).expect("a valid relay URL")
}

impl World {
    /// A world on a SQLite store with default policies.
    pub async fn sqlite() -> Self {
        Self::new(Config::default()).await
    }

    /// A world on the given store with default policies.
    pub async fn on(store: StoreKind) -> Self {
        Self::new(Config {
            store,
            ..Config::default()
        })
        .await
    }

    /// A world built from `config`.
    pub async fn new(config: Config) -> Self {
        log_scan::install();
        let (store, dir): (Arc<dyn assent_rp::RpStore>, _) = match config.store {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let store = SqliteStore::open(dir.path().join("rp.sqlite"))
                    .await
                    .expect("sqlite store");
                (Arc::new(store), Some(dir))
            }
            StoreKind::Memory => (Arc::new(MemoryStore::new()), None),
        };
        let clock = Arc::new(ManualClock::new(T0));
        let relay = HookedRelay::start(&config.relay_url, clock.clone()).await;
        let events = Arc::new(RecordingEvents::default());
        let hasher = Arc::new(if config.real_argon2 {
            CountingHasher::new(Argon2idHasher::owasp())
        } else {
            CountingHasher::new(FastHasher)
        });
        let rp = Rp::from_arc(store)
            .with_clock(clock.clone())
            .with_hasher(hasher.clone())
            .with_limiter_policy(config.limiter)
            .with_push_policy(config.push_policy)
            .with_events(events.clone())
            .with_push(rp_id(), Arc::new(relay.rp_api()));
        let phone_now = assent_core::clock::corrected(T0, config.phone_skew);
        let phone = Phone::new(relay.clone(), phone_now, 1, "Alice's iPhone");
        Self {
            rp,
            clock,
            relay,
            events,
            hasher,
            rng: ChaCha20Rng::seed_from_u64(7),
            phone,
            store: config.store,
            relay_url: config.relay_url,
            _dir: dir,
            _log_check: log_scan::guard(),
        }
    }

    /// The RP's (and the relay's) time.
    pub fn now(&self) -> u64 {
        assent_rp::Clock::now(&*self.clock)
    }

    /// Moves the RP's, the relay's and the phone's clocks forward together.
    pub fn advance(&self, seconds: u64) {
        self.clock.advance(seconds);
        self.phone.clock.advance(seconds);
    }

    /// Another phone on the same relay, its clock at the true time.
    pub fn new_phone(&self, seed: u64, name: &str) -> Phone {
        Phone::new(self.relay.clone(), self.now(), seed, name)
    }

    /// An offer for `account` as its first second factor.
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
            .expect("an offer")
    }

    /// The RP takes the registration of `eid` from the relay.
    pub async fn complete(&mut self, eid: &EnrollmentId) -> assent_rp::Result<RegistrationStatus> {
        self.rp.complete_registration(eid, &mut self.rng).await
    }

    /// The login page submits the activation `code` for `account`.
    pub async fn activate(
        &mut self,
        account: &str,
        eid: &EnrollmentId,
        code: &str,
    ) -> assent_rp::Result<ActivationResult> {
        self.rp.activate(account, eid, code, &mut self.rng).await
    }

    /// Enrolls and activates the world's phone for [`ALICE`] with minimum and policy kind
    /// `kind`.
    pub async fn enroll_phone(&mut self, kind: ApprovalKind) -> Enrolled {
        self.enroll_account(ALICE, kind).await
    }

    /// Enrolls and activates the world's phone for `account`.
    pub async fn enroll_account(&mut self, account: &str, kind: ApprovalKind) -> Enrolled {
        let offer = self.offer(account, kind).await;
        let pending = self
            .phone
            .client
            .enroll_uri(&offer.uri)
            .await
            .expect("the phone registers");
        self.finish(account, kind, &offer, pending).await
    }

    /// Enrolls and activates `phone` (not the world's own) for `account`.
    pub async fn enroll_other(
        &mut self,
        phone: &mut Phone,
        account: &str,
        kind: ApprovalKind,
    ) -> Enrolled {
        std::mem::swap(&mut self.phone, phone);
        let enrolled = self.enroll_account(account, kind).await;
        std::mem::swap(&mut self.phone, phone);
        enrolled
    }

    async fn finish(
        &mut self,
        account: &str,
        kind: ApprovalKind,
        offer: &NewOffer,
        pending: PendingEnrollment,
    ) -> Enrolled {
        let eid = offer.offer.eid;
        let status = self
            .complete(&eid)
            .await
            .expect("the RP takes the registration");
        let RegistrationStatus::AwaitingActivation(info) = status else {
            panic!("no registration arrived: {status:?}");
        };
        let account_id = self
            .phone
            .client
            .finish_enrollment(&pending)
            .await
            .expect("the phone opens the answer")
            .expect("the answer was delivered");
        let code = self
            .phone
            .client
            .activation_code(&account_id)
            .expect("a code")
            .code
            .to_string();
        log_scan::register("activation code", &code);
        let activated = match self
            .activate(account, &eid, &code)
            .await
            .expect("activation")
        {
            ActivationResult::Activated(a) => a,
            ActivationResult::Rejected => panic!("the phone's own code was rejected"),
        };
        assert_eq!(activated.device.device_id, info.device_id);
        register_enrollment_secrets(&self.rp, account, &activated.backup_codes).await;
        self.rp
            .set_account_policy(account, AccountPolicy { kind, uv: false })
            .await
            .expect("policy");
        Enrolled {
            account: account.to_owned(),
            eid,
            account_id,
            device_id: info.device_id,
            backup_codes: activated.backup_codes,
            activation_code: code,
        }
    }

    /// The login page of `account` starts a push challenge.
    pub async fn start(&mut self, account: &str) -> assent_rp::Result<StartedChallenge> {
        let ctx = context(self.now());
        let started = self
            .rp
            .start_challenge(account, &ctx, &mut self.rng)
            .await?;
        log_scan::register("session handle", &started.handle.to_base64url());
        Ok(started)
    }

    /// Delivers the last push to the world's phone.
    pub async fn deliver_push(&mut self) -> assent_core::Result<ChallengeView> {
        let payload = self.relay.last_payload();
        self.phone.push(&payload).await
    }

    /// The login page asks for the outcome (no waiting).
    pub async fn poll(&self, handle: &SessionHandle) -> assent_rp::Result<ChallengeStatus> {
        self.rp.poll_challenge(handle, Duration::ZERO).await
    }
}

/// Registers with the log scan what an enrollment of `account` made: its backup codes,
/// and each device's channel key and TOTP secret as the RP stores them.
pub async fn register_enrollment_secrets(rp: &Rp, account: &str, codes: &Option<BackupCodes>) {
    for code in codes.iter().flat_map(BackupCodes::iter) {
        log_scan::register("backup code", code);
    }
    for device in rp.store().devices(account).await.expect("devices") {
        log_scan::register_bytes("channel key", device.channel_key.expose_secret());
        log_scan::register_bytes("TOTP secret", device.totp_secret.as_bytes());
    }
    if let Some(totp) = rp.store().totp(account).await.expect("totp") {
        log_scan::register_bytes("TOTP secret", totp.secret.as_bytes());
    }
}
