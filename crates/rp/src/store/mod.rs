//! Persistent state of the RP, behind the async [`RpStore`] trait.
//!
//! Three backends, each split by record family (TOTP, throttle, backup codes,
//! application passwords, trusted browsers, enrollment offers, devices, challenges, per-account push
//! settings) in the same file names, the SQL ones sharing their column conversions
//! (`columns.rs`); the newer families (trusted browsers, organizations) share their
//! statements too, as macros in `shared_sql/` that each backend expands:
//!
//! - [`SqliteStore`] (`sqlite/`): SQLite through sqlx (a connection pool, WAL,
//!   `synchronous=FULL`), migrated by `PRAGMA user_version` from the one ordered list
//!   in `sqlite/migrations.rs`. Several processes may share the file on one machine.
//! - `PgStore` (`postgres/`, feature `postgres`): PostgreSQL through sqlx, for a login
//!   server of several processes or machines on one database. Tables prefixed `rp_`
//!   (it can share the relay's database), migrated from `postgres/migrations.rs` and
//!   recorded in its table `assent_rp_schema`, under an advisory lock. The decisions
//!   below hold across processes: single-row ones are conditional statements, and
//!   those that span rows take a per-account advisory lock in their transaction.
//! - [`MemoryStore`] (`memory/`): tests, demos, single-process servers that accept
//!   losing state on restart.
//!
//! Every backend passes the same async test suite (`store/suite/`): the memory
//! store, an in-memory SQLite database, an SQLite file and, with the `postgres`
//! feature, a new database on a throwaway PostgreSQL server.
//!
//! Writes that decide a login are single conditional updates
//! ([`RpStore::advance_totp_step`], [`RpStore::consume_backup_code`]), so two
//! concurrent logins with the same code cannot both win. Enrollment offers,
//! devices and challenges move between states only by conditional updates
//! ([`RpStore::claim_enrollment`], [`RpStore::set_enrollment_state`],
//! [`RpStore::set_device_state`], [`RpStore::resolve_challenge`]), and a challenge
//! is inserted only if the account's limits allow it, in the same atomic step
//! ([`RpStore::insert_challenge`]).

mod columns;
mod forward;
mod limiter_key;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod shared_sql;
mod sqlite;
#[cfg(test)]
mod suite;

pub use limiter_key::{LimiterKey, Source};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use records::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeAdmission, ChallengeLimits,
    ChallengeRecord, ChallengeState, ClaimedOffer, DeviceRecord, DeviceState, EnrollmentRecord,
    EnrollmentState, Guess, LimiterState, MemberAdded, OrgMemberRecord, OrgPolicy, TotpParams,
    TotpRecord, TrustedBrowserInfo, TrustedBrowserRecord, APP_PASSWORD_ID_LEN,
};
pub use sqlite::SqliteStore;

use assent_protocol::{ChallengeId, DeviceId, EnrollmentId};
use async_trait::async_trait;

use crate::error::Result;
use crate::push_policy::AccountPolicy;
pub(crate) use forward::forward_rp_store;

/// Storage of everything the RP keeps per account. Accounts are opaque
/// strings chosen by the login server.
///
/// Implementations must make each method atomic on its own; the conditional
/// methods must decide and write in one step. The methods are async
/// (`#[async_trait]`, `Send` futures) and implemented with
/// `#[async_trait::async_trait]`. A call dropped before it completes must leave the
/// store as if it had not started or had finished (a transaction rolls back).
#[async_trait]
pub trait RpStore: Send + Sync {
    /// Sets (or replaces) the account's TOTP credential.
    async fn put_totp(&self, account: &str, record: &TotpRecord) -> Result<()>;
    /// The account's TOTP credential, if any.
    async fn totp(&self, account: &str) -> Result<Option<TotpRecord>>;
    /// Sets `last_step` to `step` only if no step at or after `step` was
    /// accepted before. True if this call won.
    async fn advance_totp_step(&self, account: &str, step: u64) -> Result<bool>;
    /// Removes the TOTP credential. True if there was one.
    async fn delete_totp(&self, account: &str) -> Result<bool>;

    /// The account's limiter state under `key` (default when none is stored).
    async fn limiter(&self, account: &str, key: &LimiterKey) -> Result<LimiterState>;
    /// Atomically replaces the account's limiter state under `key` with `f(current)`.
    async fn update_limiter(
        &self,
        account: &str,
        key: &LimiterKey,
        f: &mut (dyn FnMut(LimiterState) -> LimiterState + Send),
    ) -> Result<()>;
    /// Forgets the failures counted under `key` (after a success of that kind).
    async fn reset_limiter(&self, account: &str, key: &LimiterKey) -> Result<()>;
    /// Atomically replaces the account's states under both `keys` with `f(current)`, in
    /// one transaction (a source's count and the budget of the same kind). A state that
    /// comes back as the default one is removed.
    async fn update_limiters(
        &self,
        account: &str,
        keys: [&LimiterKey; 2],
        f: &mut (dyn FnMut([LimiterState; 2]) -> [LimiterState; 2] + Send),
    ) -> Result<()>;

    /// Replaces the account's backup code set (the old set stops working).
    async fn replace_backup_codes(&self, account: &str, codes: &[BackupCodeRecord]) -> Result<()>;
    /// The backup code with this public id, used or not.
    async fn backup_code(&self, account: &str, id: &str) -> Result<Option<BackupCodeRecord>>;
    /// Marks the code with this id *and* hash as used, only if it is unused.
    /// True if this call won. (Matching the hash too means a code of a set
    /// that was replaced meanwhile can never consume a new code with the same id.)
    async fn consume_backup_code(
        &self,
        account: &str,
        id: &str,
        hash: &str,
        now: u64,
    ) -> Result<bool>;
    /// Number of unused backup codes.
    async fn backup_codes_remaining(&self, account: &str) -> Result<u32>;

    /// Adds an application password. False (and nothing written) if the
    /// account already has one with this id.
    async fn insert_app_password(&self, account: &str, record: &AppPasswordRecord) -> Result<bool>;
    /// The application password with this id, revoked or not.
    async fn app_password(&self, account: &str, id: &str) -> Result<Option<AppPasswordRecord>>;
    /// All application passwords of the account, oldest first.
    async fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>>;
    /// Records a successful use.
    async fn touch_app_password(&self, account: &str, id: &str, now: u64) -> Result<()>;
    /// Revokes one password. True if it existed and was not yet revoked.
    async fn revoke_app_password(&self, account: &str, id: &str, now: u64) -> Result<bool>;
    /// Revokes all the account's passwords; returns how many were live.
    async fn revoke_all_app_passwords(&self, account: &str, now: u64) -> Result<u32>;

    // ----- trusted browsers -----
    /// Adds a trusted browser, first dropping the account's expired (at `now`) and
    /// revoked ones. False (and nothing written) if the account has one with its id.
    async fn insert_trusted_browser(
        &self,
        account: &str,
        record: &TrustedBrowserRecord,
        now: u64,
    ) -> Result<bool>;
    /// The account's trusted browser whose token hashes to `token_hash`, in any state.
    /// (Keyed by account too: another account's token finds nothing.)
    async fn trusted_browser(
        &self,
        account: &str,
        token_hash: &[u8; 32],
    ) -> Result<Option<TrustedBrowserRecord>>;
    /// Records a use at `now` from `ip` (when known).
    async fn touch_trusted_browser(
        &self,
        account: &str,
        id: &str,
        now: u64,
        ip: Option<&str>,
    ) -> Result<()>;
    /// All trusted browsers of the account, oldest first, revoked and expired ones
    /// included.
    async fn list_trusted_browsers(&self, account: &str) -> Result<Vec<TrustedBrowserInfo>>;
    /// Revokes one. True if it existed and was not yet revoked.
    async fn revoke_trusted_browser(&self, account: &str, id: &str, now: u64) -> Result<bool>;
    /// Revokes every one of the account; returns how many were not yet revoked.
    async fn revoke_all_trusted_browsers(&self, account: &str, now: u64) -> Result<u32>;

    // ----- organizations -----
    /// Sets the organization's policy (creating the organization's row).
    async fn set_org_policy(&self, org: &str, policy: &OrgPolicy) -> Result<()>;
    /// The organization's policy, if one was ever set.
    async fn org_policy(&self, org: &str) -> Result<Option<OrgPolicy>>;
    /// Makes the account a member at `now`, unless it is a member of an organization
    /// already; decided and written in one step.
    async fn add_org_member(&self, org: &str, account: &str, now: u64) -> Result<MemberAdded>;
    /// Ends the account's membership of `org`. True if it was a member.
    async fn remove_org_member(&self, org: &str, account: &str) -> Result<bool>;
    /// The organization the account belongs to, if any.
    async fn org_of(&self, account: &str) -> Result<Option<String>>;
    /// The organization's members, in the order they joined.
    async fn org_members(&self, org: &str) -> Result<Vec<OrgMemberRecord>>;
    /// Stamps a reminder to the member at `now`, only if it is a member of `org` and was
    /// not reminded after `not_after` (so two admins clicking at once send one). True
    /// if this call won.
    async fn stamp_org_reminder(
        &self,
        org: &str,
        account: &str,
        now: u64,
        not_after: u64,
    ) -> Result<bool>;

    /// Removes everything stored for the account (its offers, devices, challenges,
    /// trusted browsers and organization membership too).
    async fn delete_account(&self, account: &str) -> Result<()>;

    // ----- enrollment offers -----
    /// Stores a new offer. Errors if the eid exists (ids are random: never in practice).
    async fn insert_enrollment(&self, record: &EnrollmentRecord) -> Result<()>;
    /// The offer with this eid, whatever its state.
    async fn enrollment(&self, eid: &EnrollmentId) -> Result<Option<EnrollmentRecord>>;
    /// Takes an `Offered` offer's secrets, deleting them and moving it to `Claimed` in
    /// the same step. `None` if it is not `Offered` (so only one caller ever gets them).
    async fn claim_enrollment(&self, eid: &EnrollmentId) -> Result<Option<ClaimedOffer>>;
    /// Moves the offer from `from` to `to` (recording `device_id` when given), only if it
    /// is in `from`. True if this call won.
    async fn set_enrollment_state(
        &self,
        eid: &EnrollmentId,
        from: EnrollmentState,
        to: EnrollmentState,
        device_id: Option<&DeviceId>,
    ) -> Result<bool>;

    // ----- devices -----
    /// Stores a new device.
    async fn insert_device(&self, record: &DeviceRecord) -> Result<()>;
    /// The device with this id, whatever its state.
    async fn device(&self, device_id: &DeviceId) -> Result<Option<DeviceRecord>>;
    /// All devices of the account (every state), oldest first.
    async fn devices(&self, account: &str) -> Result<Vec<DeviceRecord>>;
    /// Moves the device from `from` to `to` at `now` (stamping `activated_at` for
    /// `Active`, `removed_at` for `Removed`), only if it is in `from`. True if this call
    /// won.
    async fn set_device_state(
        &self,
        device_id: &DeviceId,
        from: DeviceState,
        to: DeviceState,
        now: u64,
    ) -> Result<bool>;

    // ----- challenges -----
    /// Inserts the challenge only if, at `now`, the account's pushes are not muted, it
    /// has fewer than `limits.max_pending` unexpired pending challenges and fewer than
    /// `limits.max_per_window` challenges created in the last `limits.window` seconds;
    /// decided and written in one step.
    async fn insert_challenge(
        &self,
        record: &ChallengeRecord,
        limits: &ChallengeLimits,
        now: u64,
    ) -> Result<ChallengeAdmission>;
    /// The challenge whose session-handle hash is `handle_hash`.
    async fn challenge_by_handle(&self, handle_hash: &[u8; 32]) -> Result<Option<ChallengeRecord>>;
    /// Moves the challenge from `from` to `to` at `now`, only if it is in `from`. True if
    /// this call won: each transition happens exactly once.
    async fn resolve_challenge(
        &self,
        challenge_id: &ChallengeId,
        from: ChallengeState,
        to: ChallengeState,
        now: u64,
    ) -> Result<bool>;
    /// Moves every pending challenge of the device to `Cancelled`; returns how many.
    async fn cancel_device_challenges(&self, device_id: &DeviceId, now: u64) -> Result<u32>;

    // ----- per-account push settings -----
    /// Mutes pushes for the account until `until` (never shortens an existing mute).
    async fn mute_pushes(&self, account: &str, until: u64) -> Result<()>;
    /// The end of the account's mute, if one was ever set.
    async fn pushes_muted_until(&self, account: &str) -> Result<Option<u64>>;
    /// Sets the account's approval policy.
    async fn set_account_policy(&self, account: &str, policy: &AccountPolicy) -> Result<()>;
    /// The account's approval policy, if one was set.
    async fn account_policy(&self, account: &str) -> Result<Option<AccountPolicy>>;
}
