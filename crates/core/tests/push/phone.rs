//! A phone: a vault on memory storage, a software key store, its own clock.

use std::sync::Arc;

use assent_core::protocol::{ApprovalKind, DeviceId, Platform};
use assent_core::{
    AccountId, DeviceInfo, ManualClock, MemoryStorage, PushClient, SoftwareKeyStore, StaticKey,
    Vault, VaultEnv, VaultKey,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::fake_relay::{FakeRelay, T0};

pub struct Phone {
    pub client: PushClient,
    pub clock: Arc<ManualClock>,
    pub keys: Arc<SoftwareKeyStore>,
    pub storage: Arc<MemoryStorage>,
}

pub fn env(storage: Arc<MemoryStorage>, clock: Arc<ManualClock>, seed: u64) -> VaultEnv {
    VaultEnv::new(storage, Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))))
        .with_clock(clock)
        .with_rng(ChaCha20Rng::seed_from_u64(seed))
}

impl Phone {
    /// A phone whose clock reads the true time plus `skew` seconds.
    pub fn new(relay: &Arc<FakeRelay>, skew: i64) -> Self {
        let clock = Arc::new(ManualClock::new(assent_core::clock::corrected(T0, skew)));
        let storage = Arc::new(MemoryStorage::new());
        let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
        let vault = Vault::open_or_create(env(storage.clone(), clock.clone(), 1)).unwrap();
        let client = PushClient::new(
            vault,
            relay.clone(),
            keys.clone(),
            DeviceInfo {
                platform: Platform::Ios,
                name: "Alice's iPhone".into(),
                push_token: "a".repeat(64),
            },
        );
        Self {
            client,
            clock,
            keys,
            storage,
        }
    }

    /// Moves the phone's clock and the relay's together.
    pub fn advance(&self, relay: &FakeRelay, seconds: u64) {
        self.clock.advance(seconds);
        relay.clock.advance(seconds);
    }

    /// Enrolls one account: offer, registration, RP answer, stored account.
    pub async fn enroll(
        &mut self,
        relay: &FakeRelay,
        min: ApprovalKind,
        uv: bool,
    ) -> (AccountId, DeviceId) {
        let offer = relay.make_offer(min, uv);
        let pending = self.client.enroll_uri(&offer.to_uri()).await.unwrap();
        let device_id = relay.deliver(&offer.eid, min);
        let id = self
            .client
            .finish_enrollment(&pending)
            .await
            .unwrap()
            .unwrap();
        (id, device_id)
    }

    /// Restarts the app: a new client on the stored vault.
    pub fn restart(&mut self, relay: &Arc<FakeRelay>) {
        let device = self.client.device_info().clone();
        let vault = Vault::open(env(self.storage.clone(), self.clock.clone(), 3)).unwrap();
        self.client = PushClient::new(vault, relay.clone(), self.keys.clone(), device);
    }

    /// The vault as stored, reopened.
    pub fn reopen(&self) -> Vault {
        Vault::open(env(self.storage.clone(), self.clock.clone(), 2)).unwrap()
    }
}
