//! [`Rp`], the handle a login server keeps: store, clock, hasher and limiter
//! policy in one cheap-to-clone value. Each credential adds its methods in
//! its own file (`totp_verify.rs`, `backup_codes.rs`, `app_passwords.rs`, `proof.rs`,
//! `enrollment/`, `challenges/`).

use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::events::{EventSink, LogEvents};
use crate::limiter::{self, Admission, BudgetPolicy, LimiterPolicy};
use crate::push_policy::{PushPolicy, PushSetup};
use crate::relay::RelayApi;
use crate::secret_hash::{Argon2idHasher, SecretHasher};
use crate::store::RpStore;
use crate::store::{Guess, LimiterKey, LimiterState, Source};
use crate::trusted_browsers::TrustedBrowserPolicy;

/// The relying party's entry point. Clone it freely (it is a few `Arc`s).
#[derive(Clone)]
pub struct Rp {
    pub(crate) store: Arc<dyn RpStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: Arc<dyn SecretHasher>,
    pub(crate) limiter: LimiterPolicy,
    pub(crate) budget: BudgetPolicy,
    pub(crate) push: Option<PushSetup>,
    pub(crate) push_policy: PushPolicy,
    pub(crate) events: Arc<dyn EventSink>,
    pub(crate) trusted_browsers: TrustedBrowserPolicy,
}

impl fmt::Debug for Rp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rp")
            .field("limiter", &self.limiter)
            .field("budget", &self.budget)
            .field("push", &self.push)
            .field("push_policy", &self.push_policy)
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
            budget: BudgetPolicy::default(),
            push: None,
            push_policy: PushPolicy::default(),
            events: Arc::new(LogEvents),
            trusted_browsers: TrustedBrowserPolicy::default(),
        }
    }

    /// Enables phone enrollment and push challenges: `rp_id` is the RP id every offer,
    /// signature and seal is bound to; `relay` the client of the relay that carries them.
    pub fn with_push(mut self, rp_id: assent_protocol::RpId, relay: Arc<dyn RelayApi>) -> Self {
        self.push = Some(PushSetup { rp_id, relay });
        self
    }

    /// Replaces the push policy (expiry, anti-push-bombing limits, `simple` allowed).
    pub fn with_push_policy(mut self, policy: PushPolicy) -> Self {
        self.push_policy = policy;
        self
    }

    /// Sets the application's hook for new phones, fraud reports and removals (default:
    /// logged only).
    pub fn with_events(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = sink;
        self
    }

    /// The push policy in force.
    pub fn push_policy(&self) -> &PushPolicy {
        &self.push_policy
    }

    /// The push setup, or [`Error::PushNotConfigured`].
    pub(crate) fn push_setup(&self) -> Result<&PushSetup> {
        self.push.as_ref().ok_or(Error::PushNotConfigured)
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

    /// Replaces how long a browser stays trusted ([`Rp::trust_browser`]).
    pub fn with_trusted_browser_policy(mut self, policy: TrustedBrowserPolicy) -> Self {
        self.trusted_browsers = policy;
        self
    }

    /// Replaces the throttling policy of each source's count.
    pub fn with_limiter_policy(mut self, policy: LimiterPolicy) -> Self {
        self.limiter = policy;
        self
    }

    /// Replaces each account's hourly budget of failures from every source together.
    pub fn with_budget_policy(mut self, policy: BudgetPolicy) -> Self {
        self.budget = policy;
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

    /// The account's throttling state for `guess` attempts made without a source (for
    /// an admin page or metrics).
    pub async fn limiter_state(&self, account: &str, guess: Guess) -> Result<LimiterState> {
        self.store.limiter(account, &guess.into()).await
    }

    /// The account's throttling state under `key`: one source's count of a kind of
    /// guess, or the account's budget of it.
    pub async fn limiter_state_of(&self, account: &str, key: &LimiterKey) -> Result<LimiterState> {
        self.store.limiter(account, key).await
    }

    /// Removes everything stored for the account.
    pub async fn delete_account(&self, account: &str) -> Result<()> {
        self.store.delete_account(account).await
    }

    /// Charges one attempt at `guess` from `source` to the account's limiter at `now`.
    pub(crate) async fn admit(
        &self,
        account: &str,
        guess: Guess,
        source: Source,
        now: u64,
    ) -> Result<Admission> {
        let throttles = limiter::Throttles {
            per_source: &self.limiter,
            budget: &self.budget,
        };
        limiter::admit(&*self.store, throttles, account, guess, source, now).await
    }

    /// After an accepted credential of kind `guess` from `source`: forget that source's
    /// failures of that kind only, and give the budget its charge back.
    pub(crate) async fn succeed(&self, account: &str, guess: Guess, source: Source) -> Result<()> {
        let now = self.clock.now();
        limiter::succeed(&*self.store, &self.budget, account, guess, source, now).await
    }
}
