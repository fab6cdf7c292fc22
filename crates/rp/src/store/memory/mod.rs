//! In-memory [`RpStore`]: one table per record family, all behind one mutex, so each
//! method (and each conditional update) decides and writes under one lock.

mod accounts;
mod app_passwords;
mod challenges;
mod codes;
mod devices;
mod enrollments;
mod orgs;
mod throttle;
mod totp;
mod trusted_browsers;

use std::sync::{Mutex, MutexGuard};

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};
use async_trait::async_trait;

use super::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, MemberAdded, OrgMemberRecord, OrgPolicy, RpStore, TotpRecord,
    TrustedBrowserInfo, TrustedBrowserRecord,
};
use crate::error::Result;
use crate::push_policy::AccountPolicy;
use crate::store::{LimiterKey, LimiterState};

#[derive(Debug, Default)]
struct Tables {
    totp: totp::TotpTable,
    throttle: throttle::ThrottleTable,
    codes: codes::CodeTable,
    app_passwords: app_passwords::AppPasswordTable,
    trusted_browsers: trusted_browsers::TrustedBrowserTable,
    orgs: orgs::OrgTable,
    enrollments: enrollments::EnrollmentTable,
    devices: devices::DeviceTable,
    challenges: challenges::ChallengeTable,
    accounts: accounts::AccountTable,
}

/// A store that lives in the process's memory and is lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // Every critical section leaves the tables consistent, so a panic in
        // another thread holding the lock cannot have left half a write.
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// No method holds the lock across an await (none awaits), so the futures are Send.
#[async_trait]
impl RpStore for MemoryStore {
    async fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()> {
        self.lock().totp.put(account, record);
        Ok(())
    }

    async fn totp(&self, account: &str) -> Result<Option<TotpRecord>> {
        Ok(self.lock().totp.get(account))
    }

    async fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool> {
        Ok(self.lock().totp.advance(account, step))
    }

    async fn delete_totp(&self, account: &str) -> Result<bool> {
        Ok(self.lock().totp.delete(account))
    }

    async fn limiter(&self, account: &str, key: &LimiterKey) -> Result<LimiterState> {
        Ok(self.lock().throttle.get(account, key))
    }

    async fn update_limiter(
        &self,
        account: &str,
        key: &LimiterKey,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) -> Result<()> {
        self.lock().throttle.update(account, key, f);
        Ok(())
    }

    async fn update_limiters(
        &self,
        account: &str,
        keys: [&LimiterKey; 2],
        f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
    ) -> Result<()> {
        self.lock().throttle.update_pair(account, keys, f);
        Ok(())
    }

    async fn reset_limiter(&self, account: &str, key: &LimiterKey) -> Result<()> {
        self.lock().throttle.reset(account, key);
        Ok(())
    }

    async fn replace_backup_codes(&self, account: &str, codes: &[BackupCodeRecord]) -> Result<()> {
        self.lock().codes.replace(account, codes);
        Ok(())
    }

    async fn backup_code(&self, account: &str, id: &str) -> Result<Option<BackupCodeRecord>> {
        Ok(self.lock().codes.get(account, id))
    }

    async fn consume_backup_code(
        &self,
        account: &str,
        id: &str,
        hash: &str,
        now: u64,
    ) -> Result<bool> {
        Ok(self.lock().codes.consume(account, id, hash, now))
    }

    async fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
        Ok(self.lock().codes.remaining(account))
    }

    async fn insert_app_password(&self, account: &str, record: &AppPasswordRecord) -> Result<bool> {
        Ok(self.lock().app_passwords.insert(account, record))
    }

    async fn app_password(&self, account: &str, id: &str) -> Result<Option<AppPasswordRecord>> {
        Ok(self.lock().app_passwords.get(account, id))
    }

    async fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
        Ok(self.lock().app_passwords.list(account))
    }

    async fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()> {
        self.lock().app_passwords.touch(account, id, now);
        Ok(())
    }

    async fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool> {
        Ok(self.lock().app_passwords.revoke(account, now, Some(id)) == 1)
    }

    async fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32> {
        Ok(self.lock().app_passwords.revoke(account, now, None))
    }

    async fn insert_trusted_browser(
        &self,
        account: &str,
        record: &TrustedBrowserRecord,
        now: u64,
    ) -> Result<bool> {
        Ok(self.lock().trusted_browsers.insert(account, record, now))
    }

    async fn trusted_browser(
        &self,
        account: &str,
        token_hash: &[u8; 32],
    ) -> Result<Option<TrustedBrowserRecord>> {
        Ok(self.lock().trusted_browsers.get(account, token_hash))
    }

    async fn touch_trusted_browser(
        &self,
        account: &str,
        id: &str,
        now: u64,
        ip: Option<&str>,
    ) -> Result<()> {
        self.lock().trusted_browsers.touch(account, id, now, ip);
        Ok(())
    }

    async fn list_trusted_browsers(&self, account: &str) -> Result<Vec<TrustedBrowserInfo>> {
        Ok(self.lock().trusted_browsers.list(account))
    }

    async fn revoke_trusted_browser(&self, account: &str, id: &str, now: u64) -> Result<bool> {
        Ok(self.lock().trusted_browsers.revoke(account, Some(id), now) == 1)
    }

    async fn revoke_all_trusted_browsers(&self, account: &str, now: u64) -> Result<u32> {
        Ok(self.lock().trusted_browsers.revoke(account, None, now))
    }

    async fn set_org_policy(&self, org: &str, policy: &OrgPolicy) -> Result<()> {
        self.lock().orgs.set_policy(org, policy);
        Ok(())
    }

    async fn org_policy(&self, org: &str) -> Result<Option<OrgPolicy>> {
        Ok(self.lock().orgs.policy(org))
    }

    async fn add_org_member(&self, org: &str, account: &str, now: u64) -> Result<MemberAdded> {
        Ok(self.lock().orgs.add_member(org, account, now))
    }

    async fn remove_org_member(&self, org: &str, account: &str) -> Result<bool> {
        Ok(self.lock().orgs.remove_member(org, account))
    }

    async fn org_of(&self, account: &str) -> Result<Option<String>> {
        Ok(self.lock().orgs.org_of(account))
    }

    async fn org_members(&self, org: &str) -> Result<Vec<OrgMemberRecord>> {
        Ok(self.lock().orgs.members(org))
    }

    async fn stamp_org_reminder(
        &self,
        org: &str,
        account: &str,
        now: u64,
        not_after: u64,
    ) -> Result<bool> {
        Ok(self
            .lock()
            .orgs
            .stamp_reminder(org, account, now, not_after))
    }

    async fn delete_account(&self, account: &str) -> Result<()> {
        let mut t = self.lock();
        t.totp.delete(account);
        t.throttle.delete_account(account);
        t.codes.delete_account(account);
        t.app_passwords.delete_account(account);
        t.trusted_browsers.delete_account(account);
        t.orgs.delete_account(account);
        t.enrollments.delete_account(account);
        t.devices.delete_account(account);
        t.challenges.delete_account(account);
        t.accounts.delete_account(account);
        Ok(())
    }

    async fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()> {
        self.lock().enrollments.insert(record)
    }

    async fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
        Ok(self.lock().enrollments.get(eid))
    }

    async fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
        Ok(self.lock().enrollments.claim(eid))
    }

    async fn set_enrollment_state(
        &self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> Result<bool> {
        Ok(self.lock().enrollments.set_state(eid, from, to, device_id))
    }

    async fn insert_device(&self, record: &DeviceRecord) -> Result<()> {
        self.lock().devices.insert(record)
    }

    async fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
        Ok(self.lock().devices.get(device_id))
    }

    async fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>> {
        Ok(self.lock().devices.of(account))
    }

    async fn set_device_state(
        &self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> Result<bool> {
        Ok(self.lock().devices.set_state(device_id, from, to, now))
    }

    async fn insert_challenge(
        &self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
    ) -> Result<ChallengeAdmission> {
        let mut t = self.lock();
        let muted_until = t.accounts.muted_until(&record.account);
        t.challenges.insert(record, limits, now, muted_until)
    }

    async fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Result<Option<ChallengeRecord>> {
        Ok(self.lock().challenges.by_handle(handle_hash))
    }

    async fn resolve_challenge(
        &self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> Result<bool> {
        Ok(self.lock().challenges.resolve(challenge_id, from, to, now))
    }

    async fn cancel_device_challenges(&self, device_id: &DeviceId, now: u64) -> Result<u32> {
        Ok(self.lock().challenges.cancel_device(device_id, now))
    }

    async fn mute_pushes(&self, account: &str, until: u64) -> Result<()> {
        self.lock().accounts.mute(account, until);
        Ok(())
    }

    async fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>> {
        Ok(self.lock().accounts.muted_until(account))
    }

    async fn set_account_policy(&self, account: &str, policy: &AccountPolicy) -> Result<()> {
        self.lock().accounts.set_policy(account, policy);
        Ok(())
    }

    async fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>> {
        Ok(self.lock().accounts.policy(account))
    }
}
