//! The one implementation of [`RpStore`](super::RpStore) that both SQL backends share: each
//! method forwards to the function of its record family's module in the backend.

/// Implements [`RpStore`] for a SQL backend by forwarding each method to the
/// function of the same concern in the backend's family modules (`totp`,
/// `throttle`, `codes`, `app_passwords`, `trusted_browsers`, `orgs`, `accounts`, `enrollments`,
/// `devices`, `challenges`, resolved where the macro is invoked), over `self.pool`. Both
/// SQL backends keep their statements in those modules under the same names.
macro_rules! forward_rp_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::RpStore for $store {
            async fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()> {
                totp::put(&self.pool, account, record).await
            }

            async fn totp(&self, account: &str) -> Result<Option<TotpRecord>> {
                totp::get(&self.pool, account).await
            }

            async fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool> {
                totp::advance(&self.pool, account, step).await
            }

            async fn delete_totp(&self, account: &str) -> Result<bool> {
                totp::delete(&self.pool, account).await
            }

            async fn limiter(&self, account: &str, key: &LimiterKey) -> Result<LimiterState> {
                throttle::get(&mut *self.pool.acquire().await?, account, key).await
            }

            async fn update_limiter(
                &self,
                account: &str,
                key: &LimiterKey,
                f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
            ) -> Result<()> {
                throttle::update(&self.pool, account, key, f).await
            }

            async fn update_limiters(
                &self,
                account: &str,
                keys: [&LimiterKey; 2],
                f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
            ) -> Result<()> {
                throttle::update_pair(&self.pool, account, keys, f).await
            }

            async fn reset_limiter(&self, account: &str, key: &LimiterKey) -> Result<()> {
                throttle::reset(&self.pool, account, key).await
            }

            async fn replace_backup_codes(
                &self,
                account: &str,
                codes: &[BackupCodeRecord],
            ) -> Result<()> {
                codes::replace(&self.pool, account, codes).await
            }

            async fn backup_code(
                &self,
                account: &str,
                id: &str,
            ) -> Result<Option<BackupCodeRecord>> {
                codes::get(&self.pool, account, id).await
            }

            async fn consume_backup_code(
                &self,
                account: &str,
                id: &str,
                hash: &str,
                now: u64,
            ) -> Result<bool> {
                codes::consume(&self.pool, account, id, hash, now).await
            }

            async fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
                codes::remaining(&self.pool, account).await
            }

            async fn insert_app_password(
                &self,
                account: &str,
                record: &AppPasswordRecord,
            ) -> Result<bool> {
                app_passwords::insert(&self.pool, account, record).await
            }

            async fn app_password(
                &self,
                account: &str,
                id: &str,
            ) -> Result<Option<AppPasswordRecord>> {
                app_passwords::get(&self.pool, account, id).await
            }

            async fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
                app_passwords::list(&self.pool, account).await
            }

            async fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()> {
                app_passwords::touch(&self.pool, account, id, now).await
            }

            async fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool> {
                app_passwords::revoke(&self.pool, account, id, now).await
            }

            async fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32> {
                app_passwords::revoke_all(&self.pool, account, now).await
            }

            async fn insert_trusted_browser(
                &self,
                account: &str,
                record: &TrustedBrowserRecord,
                now: u64,
            ) -> Result<bool> {
                trusted_browsers::insert(&self.pool, account, record, now).await
            }

            async fn trusted_browser(
                &self,
                account: &str,
                token_hash: &[u8; 32],
            ) -> Result<Option<TrustedBrowserRecord>> {
                trusted_browsers::get(&self.pool, account, token_hash).await
            }

            async fn touch_trusted_browser(
                &self,
                account: &str,
                id: &str,
                now: u64,
                ip: Option<&str>,
            ) -> Result<()> {
                trusted_browsers::touch(&self.pool, account, id, now, ip).await
            }

            async fn list_trusted_browsers(
                &self,
                account: &str,
            ) -> Result<Vec<TrustedBrowserInfo>> {
                trusted_browsers::list(&self.pool, account).await
            }

            async fn revoke_trusted_browser(
                &self,
                account: &str,
                id: &str,
                now: u64,
            ) -> Result<bool> {
                trusted_browsers::revoke(&self.pool, account, Some(id), now)
                    .await
                    .map(|n| n == 1)
            }

            async fn revoke_all_trusted_browsers(&self, account: &str, now: u64) -> Result<u32> {
                trusted_browsers::revoke(&self.pool, account, None, now).await
            }

            async fn set_org_policy(&self, org: &str, policy: &OrgPolicy) -> Result<()> {
                orgs::set_policy(&self.pool, org, policy).await
            }

            async fn org_policy(&self, org: &str) -> Result<Option<OrgPolicy>> {
                orgs::policy(&self.pool, org).await
            }

            async fn add_org_member(
                &self,
                org: &str,
                account: &str,
                now: u64,
            ) -> Result<MemberAdded> {
                orgs::add_member(&self.pool, org, account, now).await
            }

            async fn remove_org_member(&self, org: &str, account: &str) -> Result<bool> {
                orgs::remove_member(&self.pool, org, account).await
            }

            async fn org_of(&self, account: &str) -> Result<Option<String>> {
                orgs::org_of(&self.pool, account).await
            }

            async fn org_members(&self, org: &str) -> Result<Vec<OrgMemberRecord>> {
                orgs::members(&self.pool, org).await
            }

            async fn stamp_org_reminder(
                &self,
                org: &str,
                account: &str,
                now: u64,
                not_after: u64,
            ) -> Result<bool> {
                orgs::stamp_reminder(&self.pool, org, account, now, not_after).await
            }

            async fn delete_account(&self, account: &str) -> Result<()> {
                accounts::delete_everything(&self.pool, account).await
            }

            async fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()> {
                enrollments::insert(&self.pool, record).await
            }

            async fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
                enrollments::get(&self.pool, eid).await
            }

            async fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>> {
                enrollments::claim(&self.pool, eid).await
            }

            async fn set_enrollment_state(
                &self,
                eid: &EnrollmentId,
                from: EnrollmentState,
                to: EnrollmentState,
                device_id: Option<&DeviceId>,
            ) -> Result<bool> {
                enrollments::set_state(&self.pool, eid, from, to, device_id).await
            }

            async fn insert_device(&self, record: &DeviceRecord) -> Result<()> {
                devices::insert(&self.pool, record).await
            }

            async fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
                devices::get(&self.pool, device_id).await
            }

            async fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>> {
                devices::of_account(&self.pool, account).await
            }

            async fn set_device_state(
                &self,
                device_id: &DeviceId,
                from: DeviceState,
                to: DeviceState,
                now: u64,
            ) -> Result<bool> {
                devices::set_state(&self.pool, device_id, from, to, now).await
            }

            async fn insert_challenge(
                &self,
                record: &ChallengeRecord,
                limits: &ChallengeLimits,
                now: u64,
            ) -> Result<ChallengeAdmission> {
                challenges::insert(&self.pool, record, limits, now).await
            }

            async fn challenge_by_handle(
                &self,
                handle_hash: &[u8; 32],
            ) -> Result<Option<ChallengeRecord>> {
                challenges::by_handle(&self.pool, handle_hash).await
            }

            async fn resolve_challenge(
                &self,
                challenge_id: &ChallengeId,
                from: ChallengeState,
                to: ChallengeState,
                now: u64,
            ) -> Result<bool> {
                challenges::resolve(&self.pool, challenge_id, from, to, now).await
            }

            async fn cancel_device_challenges(
                &self,
                device_id: &DeviceId,
                now: u64,
            ) -> Result<u32> {
                challenges::cancel_device(&self.pool, device_id, now).await
            }

            async fn mute_pushes(&self, account: &str, until: u64) -> Result<()> {
                accounts::mute(&self.pool, account, until).await
            }

            async fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>> {
                accounts::muted_until(&mut *self.pool.acquire().await?, account).await
            }

            async fn set_account_policy(
                &self,
                account: &str,
                policy: &AccountPolicy,
            ) -> Result<()> {
                accounts::set_policy(&self.pool, account, policy).await
            }

            async fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>> {
                accounts::policy(&self.pool, account).await
            }
        }
    };
}
pub(crate) use forward_rp_store;
