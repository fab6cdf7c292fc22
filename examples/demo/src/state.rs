//! [`AppState`]: everything a handler needs, built once at start. The relay
//! the RP talks to is injected ([`Arc<dyn RelayApi>`]): the HTTP client of the
//! embedded or a running relay, or the real relay in process in tests.

use std::sync::Arc;

use assent_protocol::{ApprovalKind, RelayUrl, RpId};
use assent_rp::{RelayApi, Rp, RpStore, SecretHasher};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng, TryRngCore};

use crate::db::Db;
use crate::error::{AppError, Result};
use crate::events::NoticeSink;
use crate::gate::PasswordGate;
use crate::sim::SimPhone;

/// Fixed settings of the site.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The site's name in the authenticator app.
    pub issuer: String,
    /// The relay URL that offers name.
    pub relay_url: RelayUrl,
    /// `Secure` cookies (site served over https).
    pub secure_cookies: bool,
    /// Approval kind for new phones: `number` or `code`.
    pub approval: ApprovalKind,
}

/// Shared state of the site.
#[derive(Clone)]
pub struct AppState {
    /// Users, sessions, notices.
    pub db: Arc<Db>,
    /// The RP library (its clock is the site's clock).
    pub rp: Rp,
    /// Fixed settings.
    pub settings: Arc<Settings>,
    /// Hashes user passwords (argon2id in production).
    pub hasher: Arc<dyn SecretHasher>,
    /// The simulated phone (with the embedded relay).
    pub sim: Option<Arc<SimPhone>>,
    /// Password-step throttles and the bound on concurrent hashing.
    pub gate: Arc<PasswordGate>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("sim", &self.sim.is_some())
            .finish_non_exhaustive()
    }
}

/// The RP: `store`, push through `relay` as `rp_id`, events to the
/// security page's notices, secrets hashed by `hasher`.
pub fn make_rp(
    store: Arc<dyn RpStore>,
    rp_id: RpId,
    relay: Arc<dyn RelayApi>,
    db: Arc<Db>,
    hasher: Arc<dyn SecretHasher>,
) -> Rp {
    Rp::from_arc(store)
        .with_hasher(hasher)
        .with_events(Arc::new(NoticeSink::new(db)))
        .with_push(rp_id, relay)
}

impl AppState {
    /// The state over `db` and `rp`.
    pub fn new(db: Arc<Db>, rp: Rp, settings: Settings, hasher: Arc<dyn SecretHasher>) -> Self {
        Self {
            db,
            rp,
            settings: Arc::new(settings),
            hasher,
            sim: None,
            gate: Arc::new(PasswordGate::per_core()),
        }
    }

    /// Adds the simulated phone.
    pub fn with_sim(mut self, phone: Arc<SimPhone>) -> Self {
        self.sim = Some(phone);
        self
    }

    /// The time, by the RP's clock.
    pub fn now(&self) -> i64 {
        i64::try_from(self.rp.now()).unwrap_or(i64::MAX)
    }

    /// Runs slow, blocking work (argon2id, SQLite) off the async workers, at most one
    /// per core at a time ([`PasswordGate::hashing_slot`]: 503 when none frees up soon).
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _slot = self.gate.hashing_slot().await?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| AppError::Internal("blocking task failed"))?
    }

    /// Runs RP calls that hash with argon2id the same way: `f`'s future runs on a
    /// blocking thread, its store calls driven by the current runtime.
    pub async fn blocking_rp<T, F>(&self, f: impl FnOnce() -> F + Send + 'static) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>>,
    {
        let runtime = tokio::runtime::Handle::current();
        self.blocking(move || runtime.block_on(f())).await
    }
}

/// A fresh CSPRNG seeded from the OS, for the RP calls that take one.
pub fn rng() -> Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|_| AppError::Internal("random generator failed"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}
