//! Managed mode: for a tenant with the managed flag, the relay itself is the
//! relying party, so a login server in any language uses Assent over HTTP
//! alone (`/v1/managed/...`).
//!
//! **The relay is then trusted by that RP.** It holds the tenant's RP state
//! (offer keys, channel keys, pinned device keys, TOTP secrets, backup-code
//! hashes) and gives verdicts. Offers say `custody=relay` and the phone
//! shows it. End-to-end tenants are untouched: they never get a verdict,
//! and `/v1/managed/...` refuses them with 403 `not_managed`.
//!
//! The RP is the `assent-rp` library: one [`Rp`] per request over one
//! store per relay ([`ManagedDb`]: an SQLite file beside the relay's, or the relay's own
//! PostgreSQL database), accounts
//! namespaced as `<tenant id>/<account>`. It reaches the relay's own
//! exchange through [`in_process_relay::InProcessRelay`], a [`assent_rp::RelayApi`]
//! that calls the [`Exchange`] directly (no HTTP to itself), so every tenant
//! check and limit of the RP API applies.

pub mod in_process_relay;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use assent_rp::{PushPolicy, RelayUrl, Rp, RpId, RpStore, SecretHasher};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::auth::RpAuth;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::exchange::Exchange;
use crate::settings::SettingsStore;
use crate::state::AppState;

/// Where the managed RP state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedDb {
    /// A SQLite file (created on first use).
    File(PathBuf),
    /// In memory (a relay on `sqlite::memory:`; tests).
    Memory,
    /// The relay's own PostgreSQL database (the RP's tables are `rp_*`), so
    /// every instance shares the managed tenants' state.
    Postgres(String),
}

impl ManagedDb {
    /// Beside the relay's database: `sqlite://dir/relay.db` gives
    /// `dir/relay.managed.db`; an in-memory relay keeps it in memory; a
    /// PostgreSQL relay keeps it in the same database.
    pub fn beside(database_url: &str) -> Self {
        if crate::store::is_postgres(database_url) {
            return Self::Postgres(database_url.to_owned());
        }
        let path = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .unwrap_or(database_url);
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() || path.contains(":memory:") || path.starts_with("file::memory") {
            return Self::Memory;
        }
        let path = PathBuf::from(path);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "assent-relay".to_owned());
        Self::File(path.with_file_name(format!("{stem}.managed.db")))
    }
}

/// Connections of the managed RP store's own pool on PostgreSQL.
const MANAGED_CONNECTIONS: u32 = 8;

/// The managed-mode RP state of this relay (shared by every managed tenant).
pub struct Managed {
    db: ManagedDb,
    store: tokio::sync::OnceCell<Arc<dyn RpStore>>,
    hasher: Option<Arc<dyn SecretHasher>>,
    push_policy: PushPolicy,
    hashing: Arc<tokio::sync::Semaphore>,
    hashing_wait: std::time::Duration,
}

/// How long a managed request waits for a hashing slot before it is answered 503.
pub const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl std::fmt::Debug for Managed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Managed")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Managed {
    /// Managed state in `db` (opened on first use), argon2id at OWASP's
    /// parameters, the default push policy.
    pub fn new(db: ManagedDb) -> Self {
        Self {
            db,
            store: tokio::sync::OnceCell::new(),
            hasher: None,
            push_policy: PushPolicy::default(),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            hashing_wait: HASHING_WAIT,
        }
    }

    /// Takes every hashing slot until the permit is dropped (tests).
    #[cfg(test)]
    pub async fn take_all_hashing_slots(&self) -> tokio::sync::OwnedSemaphorePermit {
        let slots = u32::try_from(self.hashing.available_permits()).unwrap_or(u32::MAX);
        self.hashing
            .clone()
            .acquire_many_owned(slots)
            .await
            .expect("the slots are open")
    }

    /// Runs RP work that hashes with argon2id (19 MiB each) off the async workers,
    /// at most one per core at a time (issue 13, as the demo's password step): a
    /// request that gets no slot within [`HASHING_WAIT`] is answered 503
    /// `unavailable`, so a burst of backup-code requests can exhaust neither the
    /// memory nor the blocking pool.
    pub async fn hashing<T, F>(&self, f: impl FnOnce() -> F + Send + 'static) -> AppResult<T>
    where
        T: Send + 'static,
        F: Future<Output = AppResult<T>> + Send,
    {
        let permit =
            match tokio::time::timeout(self.hashing_wait, self.hashing.clone().acquire_owned())
                .await
            {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => return Err(AppError::internal("hashing slots closed")),
                Err(_) => {
                    return Err(AppError::new(
                        ErrorCode::Unavailable,
                        "busy: too many codes being hashed; try again",
                    ))
                }
            };
        // The slot goes with the work: a request dropped meanwhile does not free it
        // before the hashing thread is done.
        blocking(move || async move {
            let _slot = permit;
            f().await
        })
        .await
    }

    /// Replaces the backup-code hasher (tests use a fast one).
    #[cfg(test)]
    pub fn with_hasher(mut self, hasher: Arc<dyn SecretHasher>) -> Self {
        self.hasher = Some(hasher);
        self
    }

    async fn store(&self) -> AppResult<Arc<dyn RpStore>> {
        let store =
            self.store
                .get_or_try_init(|| async {
                    let store: Arc<dyn RpStore> = match &self.db {
                        ManagedDb::File(path) => {
                            Arc::new(assent_rp::SqliteStore::open(path).await.map_err(|e| {
                                AppError::internal(format!("cannot open managed store: {e}"))
                            })?)
                        }
                        ManagedDb::Postgres(url) => Arc::new(
                            assent_rp::PgStore::connect(url, MANAGED_CONNECTIONS)
                                .await
                                .map_err(|e| {
                                    AppError::internal(format!("cannot open managed store: {e}"))
                                })?,
                        ),
                        ManagedDb::Memory => {
                            Arc::new(assent_rp::SqliteStore::open_in_memory().await.map_err(
                                |e| AppError::internal(format!("cannot open managed store: {e}")),
                            )?)
                        }
                    };
                    Ok::<_, AppError>(store)
                })
                .await?;
        Ok(store.clone())
    }

    /// The RP for `tenant`, talking to this relay's exchange in process.
    pub async fn rp(&self, exchange: &Exchange, tenant: &ManagedTenant) -> AppResult<Rp> {
        let relay =
            in_process_relay::InProcessRelay::new(exchange.clone(), tenant.tenant_id.clone());
        let mut rp = Rp::from_arc(self.store().await?)
            .with_clock(exchange.clock.clone())
            .with_push_policy(self.push_policy)
            .with_push(tenant.rp_id.clone(), Arc::new(relay));
        if let Some(hasher) = &self.hasher {
            rp = rp.with_hasher(hasher.clone());
        }
        Ok(rp)
    }
}

/// A request authenticated by the API key of a tenant in managed mode.
#[derive(Debug, Clone)]
pub struct ManagedTenant {
    /// The tenant.
    pub tenant_id: String,
    /// Its RP id.
    pub rp_id: RpId,
}

/// Longest account name.
pub const MAX_ACCOUNT_LEN: usize = 128;

impl ManagedTenant {
    /// The RP library's account key for the tenant's `account`: the tenant id
    /// (base64url, no `/`) and the account, so tenants never share one.
    pub fn account_key(&self, account: &str) -> AppResult<String> {
        if account.is_empty()
            || account.len() > MAX_ACCOUNT_LEN
            || account.chars().any(char::is_control)
        {
            return Err(AppError::new(
                ErrorCode::InvalidBody,
                format!("account must be 1 to {MAX_ACCOUNT_LEN} bytes without control characters"),
            ));
        }
        Ok(format!("{}/{account}", self.tenant_id))
    }

    /// Whether an RP-library account key is this tenant's.
    pub fn owns(&self, account_key: &str) -> bool {
        account_key
            .strip_prefix(self.tenant_id.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// The tenant's own name for an account key.
    pub fn account_name<'a>(&self, account_key: &'a str) -> &'a str {
        account_key
            .strip_prefix(self.tenant_id.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(account_key)
    }
}

fn not_managed() -> AppError {
    AppError::new(
        ErrorCode::NotManaged,
        "this tenant is not in managed mode: use the end-to-end RP API (/v1/rp/...) with the \
         Rust RP library, or ask the operator for `assent-relay admin tenant set-managed`",
    )
}

impl FromRequestParts<AppState> for ManagedTenant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let auth = RpAuth::from_request_parts(parts, state).await?;
        let features = state.features.as_ref().ok_or_else(not_managed)?;
        let settings = features.settings.settings(&auth.tenant_id).await?;
        if !settings.managed {
            return Err(not_managed());
        }
        let rp_id = settings
            .rp_id
            .as_deref()
            .and_then(|id| RpId::parse(id).ok())
            .ok_or_else(|| AppError::internal("managed tenant without a valid RP id"))?;
        Ok(Self {
            tenant_id: auth.tenant_id,
            rp_id,
        })
    }
}

/// A CSPRNG for one request: ChaCha20 seeded from the OS.
pub fn rng() -> AppResult<ChaCha20Rng> {
    Ok(ChaCha20Rng::from_seed(crate::random::random_bytes::<32>()?))
}

/// The relay's public origin as the offers name it.
pub fn relay_url(exchange: &Exchange) -> RelayUrl {
    exchange.config.public_origin.clone()
}

/// Maps an RP-library error to the API's error body. The library's messages
/// name the kind of failure and public ids only, never a secret.
pub fn rp_error(err: assent_rp::Error) -> AppError {
    use assent_rp::Error as E;
    match err {
        E::SecondFactorRequired | E::ProofRefused(_) => {
            AppError::new(ErrorCode::SecondFactorRequired, err.to_string())
        }
        E::UnknownEnrollment => AppError::new(ErrorCode::UnknownEnrollment, err.to_string()),
        // The request is well formed; the account is not in the state it needs.
        E::EnrollmentUsed | E::NotAwaitingActivation | E::NotEnrolled(_) => {
            AppError::new(ErrorCode::NotPending, err.to_string())
        }
        E::EnrollmentExpired => AppError::new(ErrorCode::Expired, err.to_string()),
        E::UnknownDevice => AppError::new(ErrorCode::UnknownDevice, err.to_string()),
        E::NoActiveDevice => AppError::new(ErrorCode::NoActiveDevice, err.to_string()),
        E::Muted { .. }
        | E::ChallengePending
        | E::TooManyChallenges { .. }
        | E::Throttled { .. } => AppError::new(ErrorCode::LimitExceeded, err.to_string()),
        E::KindNotAllowed(_) | E::InvalidName => {
            AppError::new(ErrorCode::InvalidBody, err.to_string())
        }
        E::UnknownSession => AppError::new(
            ErrorCode::UnknownChallenge,
            "no challenge for this session handle",
        ),
        E::NotRedeemable => AppError::new(ErrorCode::NotRedeemable, err.to_string()),
        other => AppError::internal(other),
    }
}

/// Runs RP work that hashes with argon2id off the async workers: `f`'s future runs
/// on a blocking thread, its store calls driven by the current runtime.
pub async fn blocking<T, F>(f: impl FnOnce() -> F + Send + 'static) -> AppResult<T>
where
    T: Send + 'static,
    F: Future<Output = AppResult<T>>,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(f()))
        .await
        .map_err(|_| AppError::internal("blocking task failed"))?
}

/// After a phone of a managed tenant asked to be unenrolled: verify, remove
/// and confirm at once (in a task of its own; the phone's request does not wait).
pub(crate) fn on_unenroll(
    exchange: &Exchange,
    managed: Arc<Managed>,
    settings: Arc<dyn SettingsStore>,
    tenant_id: &str,
) {
    let (exchange, tenant_id) = (exchange.clone(), tenant_id.to_owned());
    tokio::spawn(async move {
        let Some(tenant) = managed_tenant(settings.as_ref(), &tenant_id).await else {
            return;
        };
        let result = async {
            let rp = managed.rp(&exchange, &tenant).await?;
            rp.process_unenroll_requests(&mut rng()?)
                .await
                .map_err(rp_error)
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "managed: could not process unenroll requests");
        }
    });
}

async fn managed_tenant(settings: &dyn SettingsStore, tenant_id: &str) -> Option<ManagedTenant> {
    let settings = settings.settings(tenant_id).await.ok()?;
    if !settings.managed {
        return None;
    }
    Some(ManagedTenant {
        tenant_id: tenant_id.to_owned(),
        rp_id: RpId::parse(settings.rp_id.as_deref()?).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_db_sits_beside_the_relay_db() {
        assert_eq!(
            ManagedDb::beside("sqlite://assent-relay.db"),
            ManagedDb::File("assent-relay.managed.db".into())
        );
        assert_eq!(
            ManagedDb::beside("sqlite:///var/lib/assent/relay.db?mode=rwc"),
            ManagedDb::File("/var/lib/assent/relay.managed.db".into())
        );
        assert_eq!(ManagedDb::beside("sqlite::memory:"), ManagedDb::Memory);
        assert_eq!(
            ManagedDb::beside("postgres://relay@db.internal/assent"),
            ManagedDb::Postgres("postgres://relay@db.internal/assent".into())
        );
    }

    #[test]
    fn accounts_are_namespaced_by_tenant() {
        let t = ManagedTenant {
            tenant_id: "abc".into(),
            rp_id: RpId::parse("example.com").unwrap(),
        };
        assert_eq!(t.account_key("alice").unwrap(), "abc/alice");
        assert!(t.owns("abc/alice"));
        assert!(!t.owns("abcd/alice"));
        assert!(!t.owns("ab/c/alice"));
        assert_eq!(t.account_name("abc/a/b"), "a/b");
        assert!(t.account_key("").is_err());
        assert!(t.account_key("a\nb").is_err());
        assert!(t.account_key(&"a".repeat(129)).is_err());
    }
}
