//! The codes a vault shows: its time (the clock plus the stored TOTP
//! offset), the code screen of one or every account, HOTP advance, and
//! setting the offset.

use assent_otp::OtpKind;

use super::account::AccountId;
use super::codes::CodeView;
use super::Vault;
use crate::clock::corrected;
use crate::error::{Error, Result};

impl Vault {
    /// The current time as codes see it: the clock plus the TOTP offset.
    pub fn now(&self) -> u64 {
        corrected(self.clock().now(), self.data().totp_offset)
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
        self.data()
            .accounts
            .iter()
            .map(|a| CodeView::of(a, now))
            .collect()
    }

    /// Advances an HOTP account's counter (persisted) and returns its new code.
    /// While the account is being handed over to another phone this is
    /// [`Error::HandoverInProgress`]: the counter belongs to the new phone.
    pub fn next_hotp_code(&mut self, id: &AccountId) -> Result<CodeView> {
        if self.is_frozen(id) {
            return Err(Error::HandoverInProgress(id.clone()));
        }
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
        self.data().totp_offset
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
