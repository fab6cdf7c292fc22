//! [`Assent`]: the one object an app holds. It owns the core's push client
//! (and through it the vault) behind an async mutex, and keeps a snapshot of
//! the account list so that the code screen never waits for the network.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard as StdGuard};

use assent_core::https::HttpsTransport;
use assent_core::{PushClient, RelayTransport, Vault, VaultEnv};
use tokio::sync::{Mutex, MutexGuard};

use crate::clock::{Clock, HostClock};
use crate::device::DeviceInfo;
use crate::error::AssentError;
use crate::key_store::{DeviceKeyStore, HostKeyStore};
use crate::storage::{HostStorage, SecureStorage, StoredVaultKey};

/// The Assent authenticator: the accounts vault, their codes, and push
/// approval through the relay. Create one per app process and keep it.
///
/// Calls that reach the relay are `suspend` / `async` and never block the
/// caller's thread. Code reads (`codes`, `code`, `accounts`,
/// `clockStatus`) are synchronous, cheap and never wait for the network.
/// Other synchronous calls (add, rename, reorder, remove...) write the
/// vault; they wait while a network call of the same `Assent` is in flight,
/// so call them off the main thread if the app may be polling.
#[derive(uniffi::Object)]
pub struct Assent {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Assent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assent").finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    client: Mutex<PushClient>,
    snapshot: StdMutex<Snapshot>,
    clock: Arc<dyn assent_core::Clock>,
    pub(crate) keys: Arc<HostKeyStore>,
    /// The host's secure storage (the Web Push keys live there).
    pub(crate) storage: Arc<dyn assent_core::SecureStorage>,
}

/// What the synchronous reads see: the state after the last call that
/// changed it.
pub(crate) struct Snapshot {
    pub(crate) accounts: Vec<assent_core::Account>,
    pub(crate) totp_offset: i64,
    pub(crate) clock_status: assent_core::ClockStatus,
}

impl Snapshot {
    fn of(client: &PushClient) -> Self {
        Self {
            accounts: client.vault().accounts().to_vec(),
            totp_offset: client.vault().totp_offset(),
            clock_status: client.clock_status(),
        }
    }
}

#[uniffi::export]
impl Assent {
    /// Opens the vault in `storage` (creating it, and its key, on first
    /// run). `key_store` keeps the device keys of push accounts; `device`
    /// is what the phone says about itself at enrollment. `clock` replaces
    /// the system clock (tests). `relay_ca_pem` adds a trusted CA certificate
    /// for relays on a private CA or in tests; relays must use HTTPS.
    #[uniffi::constructor(default(clock = None, relay_ca_pem = None))]
    pub fn new(
        storage: Arc<dyn SecureStorage>,
        key_store: Arc<dyn DeviceKeyStore>,
        device: DeviceInfo,
        clock: Option<Arc<dyn Clock>>,
        relay_ca_pem: Option<String>,
    ) -> Result<Arc<Self>, AssentError> {
        let transport = match relay_ca_pem {
            Some(pem) => HttpsTransport::with_extra_ca(pem.as_bytes()),
            None => HttpsTransport::new(),
        }
        .map_err(assent_core::Error::from)?;
        let transport: Arc<dyn RelayTransport> = Arc::new(transport);
        let storage: Arc<dyn assent_core::SecureStorage> = Arc::new(HostStorage(storage));
        let vault_key = StoredVaultKey(storage.clone());
        vault_key.ensure(assent_core::vault::DEFAULT_VAULT_NAME)?;
        let clock: Arc<dyn assent_core::Clock> = match clock {
            Some(clock) => Arc::new(HostClock(clock)),
            None => Arc::new(assent_core::SystemClock),
        };
        let env = VaultEnv::new(storage.clone(), Arc::new(vault_key)).with_clock(clock.clone());
        let vault = Vault::open_or_create(env)?;
        let keys = Arc::new(HostKeyStore(key_store));
        let client = PushClient::new(vault, transport, keys.clone(), device.into());
        let snapshot = Snapshot::of(&client);
        Ok(Arc::new(Self {
            inner: Arc::new(Inner {
                client: Mutex::new(client),
                snapshot: StdMutex::new(snapshot),
                clock,
                keys,
                storage,
            }),
        }))
    }
}

/// The locked client; refreshes the snapshot when released, whatever the
/// call did (a failed call may still have moved the relay clock).
pub(crate) struct Locked<'a> {
    client: MutexGuard<'a, PushClient>,
    inner: &'a Inner,
}

impl Deref for Locked<'_> {
    type Target = PushClient;
    fn deref(&self) -> &PushClient {
        &self.client
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut PushClient {
        &mut self.client
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let fresh = Snapshot::of(&self.client);
        match self.inner.snapshot.lock() {
            Ok(mut snapshot) => *snapshot = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}

impl Assent {
    /// Locks the client from synchronous code (a foreign thread).
    pub(crate) fn lock_blocking(&self) -> Result<Locked<'_>, AssentError> {
        // Inside the async runtime means a host callback called back into
        // Assent while a call of this object holds the lock: waiting would
        // deadlock (and tokio would panic).
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(AssentError::internal(
                "Assent was called from inside one of its own callbacks",
            ));
        }
        Ok(Locked {
            client: self.inner.client.blocking_lock(),
            inner: &self.inner,
        })
    }

    /// Locks the client from an async call.
    pub(crate) async fn lock(&self) -> Locked<'_> {
        Locked {
            client: self.inner.client.lock().await,
            inner: &self.inner,
        }
    }

    /// The snapshot the synchronous reads use.
    pub(crate) fn snapshot(&self) -> Result<StdGuard<'_, Snapshot>, AssentError> {
        self.inner
            .snapshot
            .lock()
            .map_err(|_| AssentError::internal("account snapshot lock poisoned"))
    }

    /// The time as codes see it: the clock plus the authenticated offset.
    pub(crate) fn code_time(&self, snapshot: &Snapshot) -> u64 {
        assent_core::clock::corrected(self.inner.clock.now(), snapshot.totp_offset)
    }

    pub(crate) fn key_store(&self) -> &HostKeyStore {
        &self.inner.keys
    }

    pub(crate) fn storage(&self) -> &dyn assent_core::SecureStorage {
        self.inner.storage.as_ref()
    }
}
