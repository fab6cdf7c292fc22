//! What the account list and the code screen show.

use assent_core::{AccountKind, CodeTiming};

use crate::error::AssentError;
use crate::kinds::{ApprovalKind, Custody, Platform};

/// An account in the vault (the secret never leaves the core).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    /// The stable id; pass it to the other calls.
    pub id: String,
    /// The display name (the user may rename it).
    pub name: String,
    /// The service, e.g. "Example Inc.", if known.
    pub issuer: Option<String>,
    /// The user's name at the service.
    pub account_name: String,
    /// A Steam Guard account: its codes are five letters and digits.
    pub steam: bool,
    /// The push enrollment, for accounts that receive push approvals.
    pub push: Option<PushEnrollment>,
}

/// What a push account was enrolled with.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushEnrollment {
    /// The login server's id (its host name).
    pub rp_id: String,
    /// The relay's HTTPS URL.
    pub relay_url: String,
    /// Who holds the RP's keys; `Relay` (managed mode) should be shown.
    pub custody: Custody,
    /// The weakest approval kind the phone accepts for this account.
    pub min_kind: ApprovalKind,
    /// The RP requires user verification before approving.
    pub user_verification: bool,
    /// How the relay reaches the phone for this account.
    pub platform: Platform,
    /// Removal was requested and awaits the RP's confirmation.
    pub removal_pending: bool,
}

impl From<&assent_core::Account> for Account {
    fn from(a: &assent_core::Account) -> Self {
        let push = match a.kind() {
            AccountKind::Otp | AccountKind::Steam => None,
            AccountKind::Push(p) => Some(PushEnrollment {
                rp_id: p.rp_id().as_str().to_owned(),
                relay_url: p.relay_url().as_str().to_owned(),
                custody: p.custody().into(),
                min_kind: p.min_kind().into(),
                user_verification: p.user_verification(),
                platform: p.platform().into(),
                removal_pending: p.unenroll_requested_at().is_some(),
            }),
        };
        Self {
            id: a.id().to_string(),
            name: a.name().to_owned(),
            issuer: a.issuer().map(str::to_owned),
            account_name: a.account_name().to_owned(),
            steam: a.is_steam(),
            push,
        }
    }
}

/// What the code screen shows for one account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeView {
    /// The account's id.
    pub account_id: String,
    /// The display name.
    pub name: String,
    /// The issuer, if known.
    pub issuer: Option<String>,
    /// The current code, zero-padded (e.g. "094287"; five characters such
    /// as "747JR" for Steam accounts).
    pub code: String,
    /// Time-based accounts: seconds until the code changes (1..=period).
    pub seconds_left: Option<u32>,
    /// Time-based accounts: the period in seconds (usually 30).
    pub period_seconds: Option<u32>,
    /// Time-based accounts: the next period's code, to show ahead of time.
    pub next_code: Option<String>,
    /// Counter-based (HOTP) accounts: the counter of the code shown.
    pub counter: Option<u64>,
}

fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<assent_core::CodeView> for CodeView {
    fn from(v: assent_core::CodeView) -> Self {
        let (seconds_left, period_seconds, next_code, counter) = match v.timing {
            CodeTiming::Totp {
                seconds_left,
                period,
                next_code,
            } => (
                Some(small(seconds_left)),
                Some(small(period)),
                Some(next_code.to_string()),
                None,
            ),
            CodeTiming::Hotp { counter } => (None, None, None, Some(counter)),
        };
        Self {
            account_id: v.id.to_string(),
            name: v.name,
            issuer: v.issuer,
            code: v.code.to_string(),
            seconds_left,
            period_seconds,
            next_code,
            counter,
        }
    }
}

/// The code view of `account` at corrected Unix time `unix`, computed from a
/// snapshot of the vault (see `Assent::codes`), as the core computes it.
pub(crate) fn code_view(
    account: &assent_core::Account,
    unix: u64,
) -> Result<CodeView, AssentError> {
    Ok(assent_core::CodeView::of(account, unix)
        .map_err(AssentError::from)?
        .into())
}
