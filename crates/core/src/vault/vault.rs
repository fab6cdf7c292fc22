//! The vault: the account list, persisted encrypted after every change.

use std::sync::Arc;

use assent_otp::{OtpAuth, OtpKind};

use super::account::{check_name, Account, AccountFields, AccountId};
use super::codes::CodeView;
use crate::clock::{corrected, Clock, SystemClock};
use crate::error::{Error, Result};
use crate::random::RandomSource;
use crate::storage::record::VaultData;
use crate::storage::{SecureStorage, VaultKeySource, VaultStore};

/// The blob name the vault uses unless told otherwise.
pub const DEFAULT_VAULT_NAME: &str = "vault";

/// What a vault runs on: the host's storage and key source, a clock and a
/// random source.
pub struct VaultEnv {
    storage: Arc<dyn SecureStorage>,
    keys: Arc<dyn VaultKeySource>,
    clock: Arc<dyn Clock>,
    rng: Box<dyn RandomSource>,
    name: String,
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

/// The accounts vault.
///
/// Every change is written to storage before it shows in memory: when the
/// write fails, the vault is left as it was. Debug output shows ids and
/// names only.
pub struct Vault {
    store: VaultStore,
    clock: Arc<dyn Clock>,
    rng: Box<dyn RandomSource>,
    data: VaultData,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("accounts", &self.data.accounts)
            .field("totp_offset", &self.data.totp_offset)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates an empty vault; fails with [`Error::VaultExists`] if one is
    /// stored already.
    pub fn create(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        if vault.store.exists()? {
            return Err(Error::VaultExists);
        }
        vault.store.save(&vault.data, vault.rng.as_mut())?;
        Ok(vault)
    }

    /// Opens the stored vault; fails with [`Error::NoVault`] if there is none.
    pub fn open(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        vault.data = vault
            .store
            .load(vault.rng.as_mut())?
            .ok_or(Error::NoVault)?;
        Ok(vault)
    }

    /// Opens the stored vault, or creates an empty one if there is none.
    /// A vault that exists but cannot be read is an error, never replaced.
    pub fn open_or_create(env: VaultEnv) -> Result<Self> {
        let mut vault = Self::unloaded(env)?;
        match vault.store.load(vault.rng.as_mut())? {
            Some(data) => vault.data = data,
            None => vault.store.save(&vault.data, vault.rng.as_mut())?,
        }
        Ok(vault)
    }

    fn unloaded(env: VaultEnv) -> Result<Self> {
        Ok(Self {
            store: VaultStore::new(env.storage, env.keys, &env.name)?,
            clock: env.clock,
            rng: env.rng,
            data: VaultData::default(),
        })
    }

    /// Applies `change` to a copy of the data, saves the copy, then keeps it.
    pub(crate) fn change<T>(
        &mut self,
        change: impl FnOnce(&mut VaultData) -> Result<T>,
    ) -> Result<T> {
        let mut next = self.data.clone();
        let out = change(&mut next)?;
        self.store.save(&next, self.rng.as_mut())?;
        self.data = next;
        Ok(out)
    }

    /// The stored data (push enrollment and challenges read it).
    pub(crate) fn data(&self) -> &VaultData {
        &self.data
    }

    /// The vault's clock (local time, uncorrected).
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The vault's random source.
    pub(crate) fn rng(&mut self) -> &mut dyn RandomSource {
        self.rng.as_mut()
    }

    pub(crate) fn index_of(data: &VaultData, id: &AccountId) -> Result<usize> {
        data.accounts
            .iter()
            .position(|a| &a.id == id)
            .ok_or_else(|| Error::AccountNotFound(id.clone()))
    }

    /// The accounts, in display order.
    pub fn accounts(&self) -> &[Account] {
        &self.data.accounts
    }

    /// The account with this id.
    pub fn account(&self, id: &AccountId) -> Result<&Account> {
        let i = Self::index_of(&self.data, id)?;
        self.data
            .accounts
            .get(i)
            .ok_or_else(|| Error::AccountNotFound(id.clone()))
    }

    /// Adds the account of an otpauth:// URI at the end of the list.
    pub fn add_uri(&mut self, uri: &str) -> Result<AccountId> {
        let otp = OtpAuth::parse(uri)?;
        self.add_otp(otp)
    }

    /// Adds an account typed in by hand at the end of the list.
    pub fn add_fields(&mut self, fields: AccountFields) -> Result<AccountId> {
        self.add_otp(fields.into())
    }

    fn add_otp(&mut self, otp: OtpAuth) -> Result<AccountId> {
        let id = AccountId::make(self.rng.as_mut())?;
        let account = Account::new(id.clone(), otp)?;
        self.change(|data| {
            data.accounts.push(account);
            Ok(())
        })?;
        Ok(id)
    }

    /// Renames an account (1 to [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS)
    /// characters, trimmed).
    pub fn rename(&mut self, id: &AccountId, name: &str) -> Result<()> {
        let name = check_name(name)?;
        self.change(|data| {
            let i = Self::index_of(data, id)?;
            if let Some(account) = data.accounts.get_mut(i) {
                account.name = name;
            }
            Ok(())
        })
    }

    /// Puts the accounts in the order of `ids`, which must list every
    /// account exactly once.
    pub fn reorder(&mut self, ids: &[AccountId]) -> Result<()> {
        self.change(|data| {
            if ids.len() != data.accounts.len() {
                return Err(Error::InvalidOrder);
            }
            let mut old: Vec<Option<Account>> = data.accounts.drain(..).map(Some).collect();
            for id in ids {
                let slot = old
                    .iter_mut()
                    .find(|a| a.as_ref().is_some_and(|a| &a.id == id))
                    .and_then(Option::take)
                    .ok_or(Error::InvalidOrder)?;
                data.accounts.push(slot);
            }
            Ok(())
        })
    }

    /// Moves one account to position `index` (clamped to the end).
    pub fn move_to(&mut self, id: &AccountId, index: usize) -> Result<()> {
        self.change(|data| {
            let from = Self::index_of(data, id)?;
            let account = data.accounts.remove(from);
            let to = index.min(data.accounts.len());
            data.accounts.insert(to, account);
            Ok(())
        })
    }

    /// Removes an account and returns it.
    pub fn remove(&mut self, id: &AccountId) -> Result<Account> {
        self.change(|data| {
            let i = Self::index_of(data, id)?;
            Ok(data.accounts.remove(i))
        })
    }

    /// The current time as codes see it: the clock plus the TOTP offset.
    pub fn now(&self) -> u64 {
        corrected(self.clock.now(), self.data.totp_offset)
    }

    /// The code screen data of one account, now.
    pub fn code(&self, id: &AccountId) -> Result<CodeView> {
        CodeView::of(self.account(id)?, self.now())
    }

    /// The code screen data of one account at `unix` (already corrected).
    pub(crate) fn code_at(&self, id: &AccountId, unix: u64) -> Result<CodeView> {
        CodeView::of(self.account(id)?, unix)
    }

    /// The code screen data of every account, in display order, now.
    pub fn codes(&self) -> Result<Vec<CodeView>> {
        let now = self.now();
        self.data
            .accounts
            .iter()
            .map(|a| CodeView::of(a, now))
            .collect()
    }

    /// Advances an HOTP account's counter (persisted) and returns its new code.
    pub fn next_hotp_code(&mut self, id: &AccountId) -> Result<CodeView> {
        self.change(|data| {
            let i = Self::index_of(data, id)?;
            let account = data
                .accounts
                .get_mut(i)
                .ok_or_else(|| Error::AccountNotFound(id.clone()))?;
            match &mut account.otp.kind {
                OtpKind::Hotp { counter } => {
                    *counter = counter.checked_add(1).ok_or(Error::CounterOverflow)?;
                }
                OtpKind::Totp { .. } => return Err(Error::NotHotp(id.clone())),
            }
            Ok(())
        })?;
        self.code(id)
    }

    /// The stored TOTP clock offset, in seconds.
    pub fn totp_offset(&self) -> i64 {
        self.data.totp_offset
    }

    /// Sets the TOTP clock offset, clamped to `-cap..=cap` seconds, and
    /// persists it; returns the offset applied. The offset should come only
    /// from authenticated sources (the relay client, later), capped at one
    /// period.
    pub fn set_totp_offset(&mut self, offset: i64, cap: u64) -> Result<i64> {
        let cap = i64::try_from(cap).unwrap_or(i64::MAX);
        let applied = offset.clamp(-cap, cap);
        self.change(|data| {
            data.totp_offset = applied;
            Ok(())
        })?;
        Ok(applied)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use assent_otp::{Algorithm, Secret};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::clock::ManualClock;
    use crate::storage::{MemoryStorage, StaticKey, StorageError, VaultKey};
    use crate::vault::{AccountKind, CodeTiming};

    const RFC_SHA1: &str =
        "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC";
    const HOTP: &str = "otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0";

    /// Storage whose writes can be made to fail.
    #[derive(Default)]
    struct Flaky {
        inner: MemoryStorage,
        fail: AtomicBool,
    }

    impl SecureStorage for Flaky {
        fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
            self.inner.get(name)
        }
        fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
            if self.fail.load(Ordering::SeqCst) {
                return Err(StorageError::Host("disk full".into()));
            }
            self.inner.put(name, bytes)
        }
        fn delete(&self, name: &str) -> Result<(), StorageError> {
            self.inner.delete(name)
        }
    }

    struct Fixture {
        storage: Arc<Flaky>,
        clock: Arc<ManualClock>,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                storage: Arc::new(Flaky::default()),
                clock: Arc::new(ManualClock::new(59)),
            }
        }
        fn env(&self, seed: u64) -> VaultEnv {
            VaultEnv::new(
                self.storage.clone(),
                Arc::new(StaticKey(VaultKey::from_bytes([5; 32]))),
            )
            .with_clock(self.clock.clone())
            .with_rng(ChaCha20Rng::seed_from_u64(seed))
        }
        fn vault(&self) -> Vault {
            Vault::open_or_create(self.env(1)).unwrap()
        }
        fn reopen(&self) -> Vault {
            Vault::open(self.env(2)).unwrap()
        }
    }

    #[test]
    fn create_open_and_their_errors() {
        let f = Fixture::new();
        assert!(matches!(Vault::open(f.env(1)), Err(Error::NoVault)));
        Vault::create(f.env(1)).unwrap();
        assert!(matches!(Vault::create(f.env(1)), Err(Error::VaultExists)));
        assert!(f.reopen().accounts().is_empty());
    }

    #[test]
    fn totp_codes_at_rfc_times() {
        let f = Fixture::new();
        let mut v = f.vault();
        let id = v.add_uri(RFC_SHA1).unwrap();
        let view = v.code(&id).unwrap();
        assert_eq!(view.code.to_string(), "94287082");
        assert_eq!(view.seconds_left(), Some(1));
        assert_eq!(view.name, "RFC: sha1");
        // The next period starts at 60: its code is t=60's code.
        let totp = v.account(&id).unwrap().otp().totp().unwrap();
        assert_eq!(
            view.next_code().unwrap().to_string(),
            totp.code_at(60).to_string()
        );
        f.clock.set(1_111_111_109);
        assert_eq!(v.codes().unwrap()[0].code.to_string(), "07081804");
    }

    #[test]
    fn add_from_fields_and_bad_input() {
        let f = Fixture::new();
        let mut v = f.vault();
        let fields = AccountFields {
            issuer: Some("Shop".into()),
            account: "me".into(),
            secret: Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            algorithm: Algorithm::Sha256,
            digits: 6,
            kind: OtpKind::Totp { period: 60 },
        };
        let id = v.add_fields(fields.clone()).unwrap();
        let view = v.code(&id).unwrap();
        assert!(matches!(
            view.timing,
            CodeTiming::Totp {
                period: 60,
                seconds_left: 1,
                ..
            }
        ));
        let bad = AccountFields {
            digits: 9,
            ..fields
        };
        assert!(matches!(v.add_fields(bad), Err(Error::Otp(_))));
        assert!(matches!(
            v.add_uri("otpauth://totp/x?secret=!!"),
            Err(Error::Uri(_))
        ));
        assert!(matches!(v.add_uri(""), Err(Error::Uri(_))));
        assert_eq!(v.accounts().len(), 1);
        assert_eq!(f.reopen().accounts().len(), 1);
    }

    #[test]
    fn rename_reorder_move_remove_persist() {
        let f = Fixture::new();
        let mut v = f.vault();
        let a = v.add_uri(RFC_SHA1).unwrap();
        let b = v.add_uri(HOTP).unwrap();
        let c = v.add_uri(RFC_SHA1).unwrap();
        assert_ne!(a, c);
        v.rename(&a, "  Work  ").unwrap();
        assert!(matches!(v.rename(&a, ""), Err(Error::InvalidName { .. })));
        v.reorder(&[c.clone(), a.clone(), b.clone()]).unwrap();
        assert!(matches!(
            v.reorder(&[a.clone(), a.clone(), b.clone()]),
            Err(Error::InvalidOrder)
        ));
        assert!(matches!(
            v.reorder(std::slice::from_ref(&a)),
            Err(Error::InvalidOrder)
        ));
        let order = |v: &Vault| {
            v.accounts()
                .iter()
                .map(|x| x.id().clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(&v), [c.clone(), a.clone(), b.clone()]);
        v.move_to(&b, 0).unwrap();
        assert_eq!(order(&v), [b.clone(), c.clone(), a.clone()]);
        let removed = v.remove(&c).unwrap();
        assert_eq!(removed.id(), &c);
        assert!(matches!(v.remove(&c), Err(Error::AccountNotFound(_))));

        let again = f.reopen();
        assert_eq!(order(&again), [b, a.clone()]);
        assert_eq!(again.account(&a).unwrap().name(), "Work");
        assert_eq!(again.account(&a).unwrap().kind(), &AccountKind::Otp);
    }

    #[test]
    fn hotp_advances_only_on_request_and_persists() {
        let f = Fixture::new();
        let mut v = f.vault();
        let id = v.add_uri(HOTP).unwrap();
        // RFC 4226 appendix D, 6 digits: counter 0 → 755224, 1 → 287082.
        assert_eq!(v.code(&id).unwrap().code.to_string(), "755224");
        f.clock.advance(3600);
        assert_eq!(v.code(&id).unwrap().code.to_string(), "755224");
        let next = v.next_hotp_code(&id).unwrap();
        assert_eq!(next.code.to_string(), "287082");
        assert_eq!(next.timing, CodeTiming::Hotp { counter: 1 });
        assert_eq!(next.seconds_left(), None);
        let again = f.reopen();
        assert_eq!(again.account(&id).unwrap().counter(), Some(1));
        let totp = v.add_uri(RFC_SHA1).unwrap();
        assert!(matches!(v.next_hotp_code(&totp), Err(Error::NotHotp(_))));
    }

    #[test]
    fn totp_offset_is_capped_applied_and_persisted() {
        let f = Fixture::new();
        let mut v = f.vault();
        let id = v.add_uri(RFC_SHA1).unwrap();
        f.clock.set(1_111_111_109 - 20);
        assert_eq!(v.set_totp_offset(20, 30).unwrap(), 20);
        assert_eq!(v.now(), 1_111_111_109);
        assert_eq!(v.code(&id).unwrap().code.to_string(), "07081804");
        assert_eq!(v.set_totp_offset(-500, 30).unwrap(), -30);
        assert_eq!(v.set_totp_offset(i64::MIN, u64::MAX).unwrap(), i64::MIN + 1);
        v.set_totp_offset(-12, 30).unwrap();
        assert_eq!(f.reopen().totp_offset(), -12);
    }

    #[test]
    fn failed_save_changes_nothing() {
        let f = Fixture::new();
        let mut v = f.vault();
        let id = v.add_uri(HOTP).unwrap();
        let before = f.storage.get(DEFAULT_VAULT_NAME).unwrap();
        f.storage.fail.store(true, Ordering::SeqCst);
        assert!(matches!(v.add_uri(RFC_SHA1), Err(Error::Storage(_))));
        assert!(v.rename(&id, "x").is_err());
        assert!(v.next_hotp_code(&id).is_err());
        assert!(v.remove(&id).is_err());
        assert_eq!(v.accounts().len(), 1);
        assert_eq!(v.accounts()[0].name(), "Ex: h");
        assert_eq!(v.accounts()[0].counter(), Some(0));
        assert_eq!(f.storage.get(DEFAULT_VAULT_NAME).unwrap(), before);
        f.storage.fail.store(false, Ordering::SeqCst);
        v.rename(&id, "x").unwrap();
    }

    #[test]
    fn debug_never_shows_secrets() {
        let f = Fixture::new();
        let mut v = f.vault();
        v.add_uri(RFC_SHA1).unwrap();
        let dbg = format!("{v:?} {:?}", v.codes().unwrap());
        assert!(dbg.contains("RFC: sha1"));
        for needle in [
            "GEZDGNBVGY3TQOJQ",
            "12345678901234567890",
            "49, 50, 51",
            "94287082",
        ] {
            assert!(!dbg.contains(needle), "{needle} in {dbg}");
        }
    }
}
