//! In-memory [`RpStore`]: one mutex over a map of accounts.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};

use super::memory_push::PushTables;
use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, RpStore, TotpRecord,
};
use crate::error::Result;
use crate::limiter::LimiterState;
use crate::push::AccountPolicy;

#[derive(Debug, Default)]
pub(super) struct AccountState {
    totp: Option<TotpRecord>,
    limiter: LimiterState,
    backup_codes: Vec<BackupCodeRecord>,
    app_passwords: Vec<AppPasswordRecord>,
    pub(super) muted_until: Option<u64>,
    pub(super) policy: Option<AccountPolicy>,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) accounts: HashMap<String, AccountState>,
    pub(super) push: PushTables,
}

/// A store that lives in the process's memory and is lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the maps consistent, so a panic in
        // another thread holding the lock cannot have left half a write.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read<T>(&self, account: &str, f: impl FnOnce(&AccountState) -> T) -> T
    where
        T: Default,
    {
        self.lock().accounts.get(account).map(f).unwrap_or_default()
    }

    fn write<T>(&self, account: &str, f: impl FnOnce(&mut AccountState) -> T) -> T {
        f(self.lock().accounts.entry(account.to_owned()).or_default())
    }
}

impl RpStore for MemoryStore {
    fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()> {
        self.write(account, |a| a.totp = Some(record.clone()));
        Ok(())
    }

    fn totp(&self, account: &str) -> Result<Option<TotpRecord>> {
        Ok(self.read(account, |a| a.totp.clone()))
    }

    fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool> {
        Ok(self.write(account, |a| match a.totp.as_mut() {
            Some(t) if t.last_step.map_or(true, |last| last < step) => {
                t.last_step = Some(step);
                true
            }
            _ => false,
        }))
    }

    fn delete_totp(&self, account: &str) -> Result<bool> {
        Ok(self.write(account, |a| a.totp.take().is_some()))
    }

    fn limiter(&self, account: &str) -> Result<LimiterState> {
        Ok(self.read(account, |a| a.limiter))
    }

    fn update_limiter(
        &self,
        account: &str,
        f: &mut dyn FnMut(LimiterState) -> LimiterState,
    ) -> Result<()> {
        self.write(account, |a| a.limiter = f(a.limiter));
        Ok(())
    }

    fn reset_limiter(&self, account: &str) -> Result<()> {
        self.write(account, |a| a.limiter = LimiterState::default());
        Ok(())
    }

    fn replace_backup_codes(&self, account: &str, codes: &[BackupCodeRecord]) -> Result<()> {
        self.write(account, |a| a.backup_codes = codes.to_vec());
        Ok(())
    }

    fn backup_code(&self, account: &str, id: &str) -> Result<Option<BackupCodeRecord>> {
        Ok(self.read(account, |a| {
            a.backup_codes.iter().find(|c| c.id == id).cloned()
        }))
    }

    fn consume_backup_code(&self, account: &str, id: &str, hash: &str, now: u64) -> Result<bool> {
        Ok(self.write(account, |a| {
            match a
                .backup_codes
                .iter_mut()
                .find(|c| c.id == id && c.hash == hash && c.used_at.is_none())
            {
                Some(c) => {
                    c.used_at = Some(now);
                    true
                }
                None => false,
            }
        }))
    }

    fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
        let n = self.read(account, |a| {
            a.backup_codes
                .iter()
                .filter(|c| c.used_at.is_none())
                .count()
        });
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn insert_app_password(&self, account: &str, record: &AppPasswordRecord) -> Result<bool> {
        Ok(self.write(account, |a| {
            if a.app_passwords.iter().any(|p| p.info.id == record.info.id) {
                return false;
            }
            a.app_passwords.push(record.clone());
            true
        }))
    }

    fn app_password(&self, account: &str, id: &str) -> Result<Option<AppPasswordRecord>> {
        Ok(self.read(account, |a| {
            a.app_passwords.iter().find(|p| p.info.id == id).cloned()
        }))
    }

    fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
        Ok(self.read(account, |a| {
            a.app_passwords.iter().map(|p| p.info.clone()).collect()
        }))
    }

    fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()> {
        self.write(account, |a| {
            if let Some(p) = a.app_passwords.iter_mut().find(|p| p.info.id == id) {
                p.info.last_used_at = Some(now);
            }
        });
        Ok(())
    }

    fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool> {
        Ok(self.write(account, |a| {
            match a
                .app_passwords
                .iter_mut()
                .find(|p| p.info.id == id && p.info.revoked_at.is_none())
            {
                Some(p) => {
                    p.info.revoked_at = Some(now);
                    true
                }
                None => false,
            }
        }))
    }

    fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32> {
        Ok(self.write(account, |a| {
            let mut n = 0u32;
            for p in a
                .app_passwords
                .iter_mut()
                .filter(|p| p.info.revoked_at.is_none())
            {
                p.info.revoked_at = Some(now);
                n = n.saturating_add(1);
            }
            n
        }))
    }

    fn delete_account(&self, account: &str) -> Result<()> {
        let mut inner = self.lock();
        inner.accounts.remove(account);
        inner.push.delete_account(account);
        Ok(())
    }

    fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()> {
        self.lock().push.insert_enrollment(record)
    }

    fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
        Ok(self.lock().push.enrollments.get(eid).cloned())
    }

    fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
        Ok(self.lock().push.claim_enrollment(eid))
    }

    fn set_enrollment_state(
        &self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> Result<bool> {
        Ok(self
            .lock()
            .push
            .set_enrollment_state(eid, from, to, device_id))
    }

    fn insert_device(&self, record: &DeviceRecord) -> Result<()> {
        self.lock().push.insert_device(record)
    }

    fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
        Ok(self.lock().push.devices.get(device_id).cloned())
    }

    fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>> {
        Ok(self.lock().push.devices_of(account))
    }

    fn set_device_state(
        &self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> Result<bool> {
        Ok(self.lock().push.set_device_state(device_id, from, to, now))
    }

    fn insert_challenge(
        &self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
    ) -> Result<ChallengeAdmission> {
        let mut inner = self.lock();
        let muted_until = inner
            .accounts
            .get(&record.account)
            .and_then(|a| a.muted_until);
        inner
            .push
            .insert_challenge(record, limits, now, muted_until)
    }

    fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Result<Option<ChallengeRecord>> {
        Ok(self.lock().push.challenge_by_handle(handle_hash))
    }

    fn resolve_challenge(
        &self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> Result<bool> {
        Ok(self
            .lock()
            .push
            .resolve_challenge(challenge_id, from, to, now))
    }

    fn cancel_device_challenges(&self, device_id: &DeviceId, now: u64) -> Result<u32> {
        Ok(self.lock().push.cancel_device_challenges(device_id, now))
    }

    fn mute_pushes(&self, account: &str, until: u64) -> Result<()> {
        self.write(account, |a| {
            a.muted_until = Some(a.muted_until.map_or(until, |m| m.max(until)));
        });
        Ok(())
    }

    fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>> {
        Ok(self.read(account, |a| a.muted_until))
    }

    fn set_account_policy(&self, account: &str, policy: &AccountPolicy) -> Result<()> {
        self.write(account, |a| a.policy = Some(*policy));
        Ok(())
    }

    fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>> {
        Ok(self.read(account, |a| a.policy))
    }
}
