//! The outcome of checking a TOTP code, backup code or application password.

use std::fmt;
use std::time::Duration;

/// What a check decided. Deliberately coarse: a wrong code, a replayed code
/// and an unknown id all read `Rejected`, so nothing here tells an attacker
/// which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The credential is valid; for one-time credentials it is now spent.
    Accepted,
    /// The credential is not valid (wrong, already used, revoked, malformed).
    Rejected,
    /// Too many recent failures on this account: nothing was checked. Try
    /// again after `retry_after` (an HTTP server can send it as `Retry-After`).
    Throttled {
        /// Time until the next attempt is admitted.
        retry_after: Duration,
    },
}

impl Verification {
    /// True only for [`Verification::Accepted`].
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verification::Accepted)
    }
}

/// A kind of credential the RP checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Factor {
    /// A TOTP secret shared with an authenticator app.
    Totp,
    /// A set of single-use backup codes.
    BackupCodes,
    /// An application password.
    AppPassword,
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Factor::Totp => "TOTP secret",
            Factor::BackupCodes => "backup codes",
            Factor::AppPassword => "application password",
        })
    }
}
