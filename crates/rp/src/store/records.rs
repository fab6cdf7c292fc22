//! The records an [`RpStore`](super::RpStore) keeps, by family: TOTP credentials,
//! backup codes, application passwords, enrollment offers, devices and challenges, and
//! the states whose transitions the store makes exactly once (conditional updates).

use std::fmt;

use assent_protocol::{
    ApprovalKind, Challenge, ChannelKey, DeviceId, DevicePublicKey, EnrollmentId, Platform, PushId,
};
use zeroize::Zeroizing;

use assent_otp::{Algorithm, Secret, Totp};

use crate::error::{Error, Result};

/// Algorithm, digits and period of a TOTP credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TotpParams {
    /// HMAC hash function.
    pub algorithm: Algorithm,
    /// Code length, 6..=8.
    pub digits: u8,
    /// Step length in seconds.
    pub period: u64,
}

impl Default for TotpParams {
    /// SHA1 / 6 digits / 30 s: the only parameters every OTP app honours
    /// (Google Authenticator ignores the others).
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

impl TotpParams {
    /// The generator for `secret` with these parameters.
    pub fn totp(&self, secret: Secret) -> Result<Totp> {
        Ok(Totp::new(secret, self.algorithm, self.digits, self.period)?)
    }
}

/// How many characters of an application password are its public id.
pub const APP_PASSWORD_ID_LEN: usize = 6;

/// What one throttle counts: an account's failed attempts at one kind of secret. Each
/// kind has its own count, and a success resets only its own (so wrong guesses at one
/// never hold up, nor are wiped by, another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Guess {
    /// TOTP codes.
    Totp,
    /// Backup codes.
    BackupCode,
    /// Application passwords whose id names no live password of the account: guesses
    /// at the ids, counted together.
    AppPasswords,
    /// One live application password, by its id: a device that holds it is never held
    /// up by guesses that do not name it.
    AppPassword([u8; APP_PASSWORD_ID_LEN]),
    /// The number or code typed on the phone in a push answer.
    PushEntry,
}

impl Guess {
    /// Every kind that is not one application password's.
    pub const ALL: [Guess; 4] = [
        Guess::Totp,
        Guess::BackupCode,
        Guess::AppPasswords,
        Guess::PushEntry,
    ];

    /// The count for the application password with this id (`None` when `id` is not an
    /// id's length of ASCII).
    pub fn app_password(id: &str) -> Option<Guess> {
        let bytes: [u8; APP_PASSWORD_ID_LEN] = id.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_alphanumeric)
            .then_some(Guess::AppPassword(bytes))
    }

    /// The stored name: `totp`, `backup_code`, `app_passwords`, `app_password:<id>`,
    /// `push_entry`.
    pub fn key(&self) -> String {
        match self {
            Guess::Totp => "totp".into(),
            Guess::BackupCode => "backup_code".into(),
            Guess::AppPasswords => "app_passwords".into(),
            Guess::AppPassword(id) => format!("app_password:{}", String::from_utf8_lossy(id)),
            Guess::PushEntry => "push_entry".into(),
        }
    }
}

/// The stored limiter state of one account for one [`Guess`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterState {
    /// Consecutive failed (or still unresolved) attempts.
    pub failures: u32,
    /// Unix seconds before which no attempt is admitted.
    pub next_allowed: u64,
}

/// The TOTP credential of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct TotpRecord {
    /// The shared secret (zeroized on drop, redacted in Debug).
    pub secret: assent_otp::Secret,
    /// Algorithm, digits and period.
    pub params: TotpParams,
    /// The last time step for which a code was accepted; codes are accepted
    /// only for later steps.
    pub last_step: Option<u64>,
    /// Unix seconds when the secret was set.
    pub created_at: u64,
}

/// One stored backup code: public id, salted hash, use stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCodeRecord {
    /// Public id (the code's first character), unique within the set.
    pub id: String,
    /// PHC string of the salted argon2id hash of the whole code.
    pub hash: String,
    /// Unix seconds when the code was used, if it was.
    pub used_at: Option<u64>,
}

/// What may be shown about an application password (never the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordInfo {
    /// Public id (the password's first characters).
    pub id: String,
    /// The name the account owner gave it ("Thunderbird on laptop").
    pub name: String,
    /// Unix seconds of creation.
    pub created_at: u64,
    /// Unix seconds of the last successful use.
    pub last_used_at: Option<u64>,
    /// Unix seconds of revocation; a revoked password never verifies again.
    pub revoked_at: Option<u64>,
}

/// One stored application password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordRecord {
    /// Public part.
    pub info: AppPasswordInfo,
    /// PHC string of the salted argon2id hash of the whole password.
    pub hash: String,
}

/// What may be shown about a trusted browser (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedBrowserInfo {
    /// Public id, for the security page's "revoke" button.
    pub id: String,
    /// Browser and system, from the user agent at the time it was trusted ("Firefox on
    /// Linux").
    pub name: String,
    /// The address it was trusted from, if the caller knew it.
    pub first_ip: Option<String>,
    /// The address of its last use, if known.
    pub last_ip: Option<String>,
    /// Unix seconds when it was trusted.
    pub created_at: u64,
    /// Unix seconds of its last use (the second step it skipped).
    pub last_used_at: Option<u64>,
    /// Unix seconds from which it is no longer trusted.
    pub expires_at: u64,
    /// Unix seconds of revocation; a revoked browser is never trusted again.
    pub revoked_at: Option<u64>,
}

/// One stored trusted browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedBrowserRecord {
    /// Public part.
    pub info: TrustedBrowserInfo,
    /// SHA-256 of the token the browser holds (the token has 256 random bits, so a
    /// fast hash is enough: nothing can be guessed from it).
    pub token_hash: [u8; 32],
}

/// What an organization asks of its members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrgPolicy {
    /// Every member must have two-step verification on: a member without it can do
    /// nothing but turn it on.
    pub require_two_step: bool,
}

/// One account's membership of an organization, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMemberRecord {
    /// The member's account.
    pub account: String,
    /// Unix seconds when it joined.
    pub joined_at: u64,
    /// Unix seconds of the last security reminder sent to it, if any.
    pub reminded_at: Option<u64>,
}

/// What [`RpStore::add_org_member`](super::RpStore::add_org_member) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberAdded {
    /// The account is now a member.
    Added,
    /// It already was a member of this organization.
    AlreadyMember,
    /// It is a member of another organization (an account belongs to one at most);
    /// nothing changed.
    InOther(String),
}

macro_rules! state_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The word stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Parses a stored word.
            pub fn parse(word: &str) -> Result<Self> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err(Error::Corrupt(stringify!($name))),
                }
            }
        }
    };
}

state_enum! {
    /// Life of an enrollment offer.
    EnrollmentState {
        /// Made and announced; waiting for the phone's registration.
        Offered = "offered",
        /// Its one registration was taken (secrets deleted); being verified.
        Claimed = "claimed",
        /// Registration verified, answer sealed; waiting for the activation code.
        Registered = "registered",
        /// The phone is active.
        Activated = "activated",
        /// Dead: wrong activation code, failed registration, expired, or removed.
        Killed = "killed",
    }
}

state_enum! {
    /// Life of a device.
    DeviceState {
        /// Registered; waiting for its activation code. Gets no challenges.
        Pending = "pending",
        /// Activated: receives challenges.
        Active = "active",
        /// Removed (kept, without its TOTP secret's use, so an unenroll request can be
        /// confirmed again idempotently).
        Removed = "removed",
    }
}

state_enum! {
    /// Life of a challenge. Every arrow leaves `Pending` (or `Approved` for redemption)
    /// by one conditional update, so it happens once.
    ChallengeState {
        /// Waiting for the phone.
        Pending = "pending",
        /// Approved with the right value; redeemable once by the session that started it.
        Approved = "approved",
        /// Denied, wrong number or code, or user not verified.
        Denied = "denied",
        /// "This wasn't me".
        Fraud = "fraud",
        /// No valid answer before `expires_at` (RP clock).
        Expired = "expired",
        /// Its device was removed while it was pending.
        Cancelled = "cancelled",
        /// The approval was redeemed.
        Redeemed = "redeemed",
    }
}

/// An enrollment offer as the RP keeps it.
#[derive(Clone, PartialEq)]
pub struct EnrollmentRecord {
    /// The enrollment id.
    pub eid: EnrollmentId,
    /// The account it enrolls a phone for.
    pub account: String,
    /// Where it stands.
    pub state: EnrollmentState,
    /// The offer (with `es`) as JSON; `None` once the registration is claimed.
    pub offer_json: Option<Zeroizing<String>>,
    /// The per-offer RP private key (32-byte scalar); `None` once claimed.
    pub rp_private_key: Option<Zeroizing<Vec<u8>>>,
    /// Offer's minimum approval kind.
    pub min: ApprovalKind,
    /// User verification required.
    pub uv: bool,
    /// Offer expiry (Unix seconds).
    pub expires_at: u64,
    /// True if a second-factor proof authorized it; false if it was the account's
    /// first second factor (re-checked at activation).
    pub authorized_by_proof: bool,
    /// The device assigned at registration.
    pub device_id: Option<DeviceId>,
    /// When it was made.
    pub created_at: u64,
}

impl fmt::Debug for EnrollmentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentRecord")
            .field("eid", &self.eid)
            .field("account", &self.account)
            .field("state", &self.state)
            .field("has_secrets", &self.offer_json.is_some())
            .field("min", &self.min)
            .field("uv", &self.uv)
            .field("expires_at", &self.expires_at)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// The secrets of an offer, handed out once by [`super::RpStore::claim_enrollment`].
pub struct ClaimedOffer {
    /// The offer (with `es`) as JSON.
    pub offer_json: Zeroizing<String>,
    /// The per-offer RP private key.
    pub rp_private_key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ClaimedOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClaimedOffer(redacted)")
    }
}

/// One phone's enrollment for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRecord {
    /// Assigned by the RP at registration; never reused.
    pub device_id: DeviceId,
    /// The account.
    pub account: String,
    /// The enrollment it came from.
    pub eid: EnrollmentId,
    /// The pinned device key.
    pub device_pub: DevicePublicKey,
    /// The channel key (RP → phone sealing). Debug redacted.
    pub channel_key: ChannelKey,
    /// Push platform.
    pub platform: Platform,
    /// Name the phone gave.
    pub name: String,
    /// Weakest approval kind it accepts.
    pub min: ApprovalKind,
    /// Its key was made with user verification required.
    pub uv: bool,
    /// The TOTP secret sealed to it (the account's TOTP once active).
    pub totp_secret: assent_otp::Secret,
    /// Its TOTP parameters.
    pub totp_params: TotpParams,
    /// Where it stands.
    pub state: DeviceState,
    /// Registration time.
    pub created_at: u64,
    /// Deadline for the activation code.
    pub activate_by: u64,
    /// Activation time.
    pub activated_at: Option<u64>,
    /// Removal time.
    pub removed_at: Option<u64>,
}

/// A challenge as the RP keeps it.
#[derive(Clone, PartialEq)]
pub struct ChallengeRecord {
    /// The challenge exactly as sent (its fields rebuild the answer's signing input).
    pub challenge: Challenge,
    /// The account.
    pub account: String,
    /// The per-push id given to the relay.
    pub push_id: PushId,
    /// The number or code the login page shows (empty for `simple`).
    pub expected: Zeroizing<String>,
    /// SHA-256 of the session handle; the handle itself is never stored.
    pub handle_hash: [u8; 32],
    /// Where it stands.
    pub state: ChallengeState,
    /// When it left `Pending`.
    pub resolved_at: Option<u64>,
}

impl fmt::Debug for ChallengeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChallengeRecord")
            .field("challenge_id", &self.challenge.challenge_id)
            .field("device_id", &self.challenge.device_id)
            .field("account", &self.account)
            .field("kind", &self.challenge.kind)
            .field("expires_at", &self.challenge.expires_at)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The anti-push-bombing limits checked atomically with a challenge's insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeLimits {
    /// Pending (unexpired) challenges allowed per account.
    pub max_pending: u32,
    /// Window length, seconds.
    pub window: u64,
    /// Challenges allowed per account per window.
    pub max_per_window: u32,
}

/// What [`super::RpStore::insert_challenge`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeAdmission {
    /// Stored.
    Inserted,
    /// Pushes are muted until this instant.
    Muted {
        /// Unix seconds.
        until: u64,
    },
    /// The account has `max_pending` pending challenges already.
    PendingExists,
    /// The window is full until this instant.
    WindowFull {
        /// Unix seconds.
        until: u64,
    },
}
