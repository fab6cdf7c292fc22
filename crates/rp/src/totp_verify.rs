//! TOTP: secrets, the plain `otpauth://` offer, and verification with a
//! replay guard.
//!
//! A code is accepted for the current time step or one step either side, and
//! only for a step *later* than the last accepted one, which is persisted with
//! a conditional update: each code works at most once, even under concurrent
//! logins, and after a code for step `s` no code for `s` or earlier works.

use assent_otp::{OtpAuth, OtpKind, Secret, Totp};
use rand_core::TryCryptoRng;
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::limiter::Admission;
use crate::readable::fill;
use crate::store::{Guess, Source};
use crate::store::{TotpParams, TotpRecord};
use crate::{Factor, Rp, Verification};

/// Length of the secrets the RP generates: 20 bytes, 160 bits (RFC 4226's
/// recommendation; the phone also accepts 80-bit secrets from elsewhere).
pub const TOTP_SECRET_LEN: usize = 20;

/// Steps accepted on each side of the current one.
pub const TOTP_WINDOW: u64 = 1;

/// A fresh 160-bit TOTP secret.
pub fn make_totp_secret<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Secret> {
    let mut bytes = Zeroizing::new(vec![0u8; TOTP_SECRET_LEN]);
    fill(rng, &mut bytes)?;
    Ok(Secret::from_bytes(bytes.to_vec())?)
}

/// The plain `otpauth://totp/...` URI for third-party OTP apps (show it as a
/// QR code with [`crate::qr`]). It contains the secret: it is zeroized on drop.
pub fn otpauth_uri(
    issuer: &str,
    account_label: &str,
    secret: &Secret,
    params: &TotpParams,
) -> Zeroizing<String> {
    OtpAuth {
        kind: OtpKind::Totp {
            period: params.period,
        },
        issuer: Some(issuer.to_owned()),
        account: account_label.to_owned(),
        secret: secret.clone(),
        algorithm: params.algorithm,
        digits: params.digits,
    }
    .to_uri()
}

/// The time step for which `typed` is the code of `totp` at `now`: one of
/// the current step and [`TOTP_WINDOW`] steps either side, and later than
/// `last_step`. `None` if there is none.
///
/// All candidate steps are computed and compared every time, in constant
/// time, whatever `last_step` is; the result does not say why it is `None`.
pub fn match_step(totp: &Totp, typed: &str, now: u64, last_step: Option<u64>) -> Option<u64> {
    let current = totp.step_at(now);
    let first = current.saturating_sub(TOTP_WINDOW);
    let last = current.saturating_add(TOTP_WINDOW);
    let mut found = Choice::from(0);
    let mut step_found = 0u64;
    for step in first..=last {
        let fresh = Choice::from(u8::from(last_step.map_or(true, |l| step > l)));
        let hit = Choice::from(u8::from(totp.code_for_step(step).matches(typed))) & fresh;
        // Keep the earliest matching step.
        let take = hit & !found;
        step_found = u64::conditional_select(&step_found, &step, take);
        found |= hit;
    }
    bool::from(found).then_some(step_found)
}

impl Rp {
    /// Sets (or replaces) the account's TOTP secret, effective at once.
    ///
    /// Confirm the secret first (the user types a code from the new app,
    /// checked with [`match_step`]) before calling this, so a mistyped scan
    /// does not lock the user out of their own second factor.
    pub async fn set_totp(&self, account: &str, secret: &Secret, params: TotpParams) -> Result<()> {
        // Refuse parameters the generator would refuse, before storing them.
        params.totp(secret.clone())?;
        self.store
            .put_totp(
                account,
                &TotpRecord {
                    secret: secret.clone(),
                    params,
                    last_step: None,
                    created_at: self.clock.now(),
                },
            )
            .await
    }

    /// Removes the account's TOTP secret. True if there was one.
    pub async fn remove_totp(&self, account: &str) -> Result<bool> {
        self.store.delete_totp(account).await
    }

    /// Whether the account has a TOTP secret.
    pub async fn has_totp(&self, account: &str) -> Result<bool> {
        Ok(self.store.totp(account).await?.is_some())
    }

    /// Checks a typed TOTP code (spaces allowed) for the account, through the
    /// account's limiter, and spends its time step if it is accepted. The attempt
    /// counts as from an unknown source: a login server that knows the client's
    /// address passes it with [`Rp::from_source`].
    ///
    /// Errors with [`Error::NotEnrolled`] if the account has no TOTP secret.
    pub async fn verify_totp(&self, account: &str, typed: &str) -> Result<Verification> {
        self.verify_totp_from(account, typed, Source::Unknown).await
    }

    pub(crate) async fn verify_totp_from(
        &self,
        account: &str,
        typed: &str,
        source: Source,
    ) -> Result<Verification> {
        let record = self
            .store
            .totp(account)
            .await?
            .ok_or(Error::NotEnrolled(Factor::Totp))?;
        let now = self.clock.now();
        if let Admission::Throttled { retry_after } =
            self.admit(account, Guess::Totp, source, now).await?
        {
            return Ok(Verification::Throttled { retry_after });
        }
        let totp = record.params.totp(record.secret)?;
        let Some(step) = match_step(&totp, typed, now, record.last_step) else {
            return Ok(Verification::Rejected);
        };
        if !self.store.advance_totp_step(account, step).await? {
            // A concurrent login spent this step (or a later one) first.
            return Ok(Verification::Rejected);
        }
        self.succeed(account, Guess::Totp, source).await?;
        Ok(Verification::Accepted)
    }
}

#[cfg(test)]
#[path = "totp_verify_tests.rs"]
mod tests;
