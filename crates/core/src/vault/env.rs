//! What a vault runs on ([`VaultEnv`]): the host's storage and key source,
//! a clock, a random source and the blob name.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::random::RandomSource;
use crate::storage::{SecureStorage, VaultKeySource};

/// The blob name the vault uses unless told otherwise.
pub const DEFAULT_VAULT_NAME: &str = "vault";

/// What a vault runs on: the host's storage and key source, a clock and a
/// random source.
pub struct VaultEnv {
    pub(super) storage: Arc<dyn SecureStorage>,
    pub(super) keys: Arc<dyn VaultKeySource>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) rng: Box<dyn RandomSource>,
    pub(super) name: String,
}

impl VaultEnv {
    /// The host's storage and key source, with the system clock,
    /// `rand_core::OsRng` and the blob name [`DEFAULT_VAULT_NAME`].
    pub fn new(storage: Arc<dyn SecureStorage>, keys: Arc<dyn VaultKeySource>) -> Self {
        Self {
            storage,
            keys,
            clock: Arc::new(SystemClock),
            rng: Box::new(rand_core::OsRng),
            name: DEFAULT_VAULT_NAME.to_owned(),
        }
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `rng` (any `rand_core::TryCryptoRng`) instead of the OS RNG.
    pub fn with_rng(mut self, rng: impl RandomSource + 'static) -> Self {
        self.rng = Box::new(rng);
        self
    }

    /// Stores the vault under blob `name` instead of [`DEFAULT_VAULT_NAME`].
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}
