//! What a code screen shows for one account.

use assent_otp::{Code, OtpKind, Steam, STEAM_PERIOD};

use super::account::{Account, AccountId};
use crate::error::Result;

/// Timing of the code shown, by OTP type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTiming {
    /// Time-based: the code changes every `period` seconds.
    Totp {
        /// Seconds until the code changes, 1..=period.
        seconds_left: u64,
        /// The period in seconds.
        period: u64,
        /// The code of the next period.
        next_code: Code,
    },
    /// Counter-based: the code changes when the user asks for a new one.
    Hotp {
        /// The counter of the code shown.
        counter: u64,
    },
}

/// The data a code screen needs for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    /// The account's id.
    pub id: AccountId,
    /// The display name.
    pub name: String,
    /// The issuer, if known.
    pub issuer: Option<String>,
    /// The current code (a Steam code for Steam accounts: see
    /// [`Code::is_steam`]; `to_string()` gives what to show).
    pub code: Code,
    /// When it changes.
    pub timing: CodeTiming,
}

impl CodeView {
    /// The view of `account` at (corrected) Unix time `unix`.
    pub fn of(account: &Account, unix: u64) -> Result<Self> {
        let (code, timing) = match account.otp.kind {
            OtpKind::Totp { .. } if account.is_steam() => {
                let steam = Steam::new(&account.otp.secret);
                let step = steam.step_at(unix);
                (
                    steam.code_for_step(step),
                    CodeTiming::Totp {
                        seconds_left: steam.seconds_left(unix),
                        period: STEAM_PERIOD,
                        next_code: steam.code_for_step(step.saturating_add(1)),
                    },
                )
            }
            OtpKind::Totp { .. } => {
                let totp = account.otp.totp()?;
                let step = totp.step_at(unix);
                (
                    totp.code_for_step(step),
                    CodeTiming::Totp {
                        seconds_left: totp.seconds_left(unix),
                        period: totp.period(),
                        next_code: totp.code_for_step(step.saturating_add(1)),
                    },
                )
            }
            OtpKind::Hotp { counter } => (
                account.otp.hotp()?.code(counter),
                CodeTiming::Hotp { counter },
            ),
        };
        Ok(Self {
            id: account.id.clone(),
            name: account.name.clone(),
            issuer: account.otp.issuer.clone(),
            code,
            timing,
        })
    }

    /// Seconds left for TOTP accounts, `None` for HOTP.
    pub fn seconds_left(&self) -> Option<u64> {
        match self.timing {
            CodeTiming::Totp { seconds_left, .. } => Some(seconds_left),
            CodeTiming::Hotp { .. } => None,
        }
    }

    /// The next period's code for TOTP accounts, `None` for HOTP.
    pub fn next_code(&self) -> Option<Code> {
        match self.timing {
            CodeTiming::Totp { next_code, .. } => Some(next_code),
            CodeTiming::Hotp { .. } => None,
        }
    }
}
