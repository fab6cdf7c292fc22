//! [`Rp`], the handle a login server keeps: store, clock, hasher and limiter
//! policy in one cheap-to-clone value. Each credential adds its methods in
//! its own file (`totp_verify.rs`, `backup_codes.rs`, `app_passwords.rs`).

use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::limiter::{self, Admission, LimiterPolicy, LimiterState};
use crate::secret_hash::{Argon2idHasher, SecretHasher};
use crate::store::RpStore;

/// The relying party's entry point. Clone it freely (it is a few `Arc`s).
#[derive(Clone)]
pub struct Rp {
    pub(crate) store: Arc<dyn RpStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: Arc<dyn SecretHasher>,
    pub(crate) limiter: LimiterPolicy,
}

impl fmt::Debug for Rp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rp")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl Rp {
    /// An RP over `store`, with the system clock, argon2id at OWASP's
    /// minimum parameters and the default limiter policy.
    pub fn new(store: impl RpStore + 'static) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// Like [`Rp::new`], for a store already shared elsewhere.
    pub fn from_arc(store: Arc<dyn RpStore>) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
            hasher: Arc::new(Argon2idHasher::owasp()),
            limiter: LimiterPolicy::default(),
        }
    }

    /// Replaces the clock (tests, simulations).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the password hasher (e.g. stronger argon2id parameters).
    pub fn with_hasher(mut self, hasher: impl SecretHasher + 'static) -> Self {
        self.hasher = Arc::new(hasher);
        self
    }

    /// Replaces the throttling policy.
    pub fn with_limiter_policy(mut self, policy: LimiterPolicy) -> Self {
        self.limiter = policy;
        self
    }

    /// The store, for modules built on top of this crate.
    pub fn store(&self) -> &dyn RpStore {
        &*self.store
    }

    /// The current time by the RP's clock, Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The account's throttling state (for an admin page or metrics).
    pub fn limiter_state(&self, account: &str) -> Result<LimiterState> {
        self.store.limiter(account)
    }

    /// Removes everything stored for the account.
    pub fn delete_account(&self, account: &str) -> Result<()> {
        self.store.delete_account(account)
    }

    /// Charges one attempt to the account's limiter at `now`.
    pub(crate) fn admit(&self, account: &str, now: u64) -> Result<Admission> {
        limiter::admit(&*self.store, &self.limiter, account, now)
    }

    /// After an accepted credential: forget the account's failures.
    pub(crate) fn succeed(&self, account: &str) -> Result<()> {
        self.store.reset_limiter(account)
    }
}
