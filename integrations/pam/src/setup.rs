//! From the configuration to a working [`Rp`]: the SQLite store (created root-only), the
//! relay client with the tenant's key, the push policy whose challenge lifetime is the
//! configured timeout. Shared by the module and the admin command.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::Arc;

use assent_rp::relay_http::HttpRelay;
use assent_rp::{PushPolicy, Rp, SqliteStore};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng as _, TryRngCore as _};

use crate::config::Config;
use crate::error::{Error, Result};

/// The RP library for `config`.
pub async fn open_rp(config: &Config) -> Result<Rp> {
    let key = config.api_key()?;
    let relay = match &config.relay_ca {
        Some(ca) => {
            let pem = std::fs::read(ca).map_err(|source| Error::Io {
                path: ca.clone(),
                source,
            })?;
            HttpRelay::with_extra_ca(config.relay_url.clone(), &key, &pem)?
        }
        None => HttpRelay::new(config.relay_url.clone(), &key)?,
    };
    // The store holds TOTP secrets: root only. SQLite gives its -wal and -shm files the
    // database file's mode.
    if !config.store.exists() {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&config.store)
            .map_err(|source| Error::Io {
                path: config.store.clone(),
                source,
            })?;
    }
    let store = SqliteStore::open(&config.store).await?;
    let policy = PushPolicy {
        challenge_ttl: config.timeout,
        ..PushPolicy::default()
    };
    Ok(Rp::new(store)
        .with_push_policy(policy)
        .with_push(config.rp_id.clone(), Arc::new(relay)))
}

/// A CSPRNG seeded from the operating system.
pub fn rng() -> Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    OsRng.try_fill_bytes(&mut seed).map_err(|_| Error::Rng)?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// A current-thread tokio runtime for one call (the module runs inside sshd or sudo, which
/// have none).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
