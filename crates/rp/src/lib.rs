//! # assent-rp — the relying-party library of Assent
//!
//! What a login server embeds to check second factors:
//!
//! - **TOTP** ([`Rp::verify_totp`]): window of one step either side, each
//!   code accepted at most once (a code must be for a time step later than the
//!   last accepted one, persisted atomically). [`make_totp_secret`] makes
//!   160-bit secrets; [`otpauth_uri`] gives the plain offer for any OTP app
//!   (SHA1 / 6 / 30 by default) and [`Qr`] renders it.
//! - **Backup codes** ([`Rp::generate_backup_codes`],
//!   [`Rp::verify_backup_code`]): 10 single-use `xxxxx-xxxxx` codes
//!   (≈ 49.5 bits each), stored as salted argon2id hashes.
//! - **Application passwords** ([`Rp::create_app_password`] and friends):
//!   named, listed, revocable, ≈ 129-bit, stored as salted argon2id hashes.
//! - **Organizations** ([`Rp::set_org_policy`], [`Rp::must_enroll`],
//!   [`Rp::members_without_two_step`], [`Rp::send_two_step_reminder`]): an organization
//!   can require two-step verification of its members; a member without it must turn
//!   it on before anything else, and admins remind those who have not.
//! - **Trusted browsers** ([`Rp::trust_browser`], [`Rp::check_trusted_browser`]):
//!   a 256-bit token per browser, bound to one account and stored as its SHA-256,
//!   that skips the second step until it expires (30 days by default) or is revoked
//!   (one or all; [`Rp::password_changed`], turning two-step verification off and a
//!   "this wasn't me" answer revoke them all).
//! - **Throttling** ([`LimiterPolicy`], [`Guess`]): one count per account and
//!   kind of guess (TOTP, backup codes, each live application password, guesses at
//!   application-password ids, numbers typed in push answers); after 5 free
//!   failures each attempt of that kind waits 1 s, 2 s, 4 s … up to 15 minutes,
//!   never a hard lock; a success resets its own count only, and no kind delays
//!   another. The limiter decides before any hash is computed or code compared.
//!   The model is in docs/security.md.
//! - **Phones** (enable with [`Rp::with_push`], giving the RP id and a [`RelayApi`]
//!   client): [`Rp::make_offer`] (authorized by an [`EnrollmentAuthorization`]: a
//!   [`SecondFactorProof`] from [`Rp::prove_with_totp`], [`Rp::prove_with_backup_code`] or
//!   a redeemed approval, or the checked claim that the account has no second factor yet),
//!   [`Rp::complete_registration`], [`Rp::activate`] / [`Rp::activate_in_app`],
//!   [`Rp::devices`], [`Rp::remove_device`], [`Rp::process_unenroll_requests`]. New
//!   phones, fraud reports and removals reach the application through its
//!   [`EventSink`] ([`Rp::with_events`]).
//! - **Push challenges**: [`Rp::start_challenge`] → [`SessionHandle`] kept in the browser
//!   session → [`Rp::poll_challenge`] / [`Rp::check`] → [`Rp::redeem`], with the
//!   per-account [`AccountPolicy`] and the RP's [`PushPolicy`] (expiry, one pending
//!   challenge, a limit per window, mute after a fraud report). The relay is untrusted:
//!   answers are verified with the device key pinned at enrollment, each challenge is
//!   resolved exactly once, and the relay is never asked for a verdict.
//! - **Storage** behind the async [`RpStore`]: [`SqliteStore`] (sqlx, WAL,
//!   migrations), `PgStore` (feature `postgres`: PostgreSQL for a login server of several
//!   processes on one database, every decision atomic across them) and
//!   [`MemoryStore`]. Every method that reads or writes the store is
//!   `async`; argon2id hashing (backup codes, application passwords) runs inline, so a
//!   server may move those calls off its async workers.
//!
//! Every check returns a [`Verification`]: `Accepted`, `Rejected` (never
//! saying why) or `Throttled { retry_after }`. Errors ([`Error`]) are for the
//! server's logs and never contain a secret.
//!
//! Time comes from a [`Clock`] and randomness from an RNG passed in
//! (`rand_core::OsRng` in production), so tests can stand on exact instants.
//!
//! ```
//! use assent_rp::{make_totp_secret, otpauth_uri, MemoryStore, Rp, TotpParams, Verification};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> assent_rp::Result<()> {
//! let rp = Rp::new(MemoryStore::new());
//! let secret = make_totp_secret(&mut rand_core::OsRng)?;
//! let uri = otpauth_uri("Example", "alice@example.com", &secret, &TotpParams::default());
//! assert!(uri.starts_with("otpauth://totp/"));
//! rp.set_totp("alice", &secret, TotpParams::default()).await?;
//! assert_eq!(rp.verify_totp("alice", "000000x").await?, Verification::Rejected);
//! # Ok(()) }
//! ```

mod app_passwords;
mod backup_codes;
mod challenges;
mod clock;
mod enrollment;
mod error;
mod events;
mod from_source;
mod limiter;
mod orgs;
#[cfg(test)]
mod orgs_tests;
mod proof;
mod push_policy;
pub mod qr;
mod readable;
pub mod relay;
#[cfg(feature = "http")]
pub mod relay_http;
mod rp;
mod secret_hash;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod totp_verify;
mod trusted_browsers;
#[cfg(test)]
mod trusted_browsers_tests;
mod two_step;
mod user_agent;
mod verification;

pub use app_passwords::{
    NewAppPassword, APP_PASSWORD_ID_LEN, APP_PASSWORD_NAME_MAX, APP_PASSWORD_SECRET_LEN,
};
pub use backup_codes::{BackupCodes, BACKUP_CODE_COUNT, BACKUP_CODE_ID_LEN, BACKUP_CODE_LEN};
pub use challenges::{ChallengeStatus, Redeemed, SessionHandle, StartedChallenge};
pub use clock::{Clock, ManualClock, SystemClock};
pub use enrollment::{
    Activated, ActivationResult, DeviceInfo, NewOffer, OfferRequest, RegistrationStatus,
    UnenrollReport,
};
pub use error::{Error, Result};
pub use events::{Event, EventSink, LogEvents};
pub use from_source::FromSource;
pub use limiter::{Admission, BudgetPolicy, LimiterPolicy};
pub use orgs::{OrgMember, Reminder, ORG_NAME_MAX, REMINDER_INTERVAL};
pub use proof::{EnrollmentAuthorization, ProofResult, ProvenBy, SecondFactorProof};
pub use push_policy::{AccountPolicy, PushPolicy, PushSetup};
pub use qr::Qr;
pub use readable::ALPHABET;
pub use relay::{RelayApi, RelayError};
pub use rp::Rp;
pub use secret_hash::{Argon2idHasher, SecretHasher, SALT_LEN};
#[cfg(feature = "postgres")]
pub use store::PgStore;
pub use store::{
    AppPasswordInfo, AppPasswordRecord, BackupCodeRecord, ChallengeState, DeviceState,
    EnrollmentState, Guess, LimiterKey, LimiterState, MemberAdded, MemoryStore, OrgMemberRecord,
    OrgPolicy, RpStore, Source, SqliteStore, TotpParams, TotpRecord, TrustedBrowserInfo,
    TrustedBrowserRecord,
};
pub use totp_verify::{make_totp_secret, match_step, otpauth_uri, TOTP_SECRET_LEN, TOTP_WINDOW};
pub use trusted_browsers::{
    BrowserToken, NewTrustedBrowser, TrustedBrowserPolicy, TRUSTED_BROWSER_ID_LEN,
};
pub use two_step::TurnedOff;
pub use user_agent::browser_name;
pub use verification::{Factor, Verification};

/// Re-exported from `assent-otp`: the TOTP secret and algorithm types used in
/// this crate's API.
pub use assent_otp::{Algorithm, Secret};

/// Re-exported from `assent-protocol`: the wire types in this crate's push API.
pub use assent_protocol::{
    ApprovalKind, ChallengeId, Custody, DeviceId, EnrollmentId, LoginContext, Platform, RelayUrl,
    RpId,
};

#[cfg(test)]
mod test_push;
#[cfg(test)]
mod test_support;
