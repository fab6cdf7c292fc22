//! Two-step verification on and off (DESIGN.md §6). It is on while the account has any
//! second factor: a TOTP secret, an active phone, or an unused backup code. So removing
//! the last phone leaves it on while backup codes remain: the next login and the next
//! phone still need a factor. It goes off only when the user turns it off with a fresh
//! proof of a factor ([`Rp::turn_off_two_step`]), which removes every factor at once
//! (phones at the relay too), revokes the application passwords and trusted browsers
//! and tells the user
//! ([`Event::TwoStepTurnedOff`]).

use rand_core::CryptoRng;

use crate::error::Result;
use crate::events::Event;
use crate::proof::SecondFactorProof;
use crate::store::DeviceState;
use crate::Rp;

/// What [`Rp::turn_off_two_step`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TurnedOff {
    /// Phones removed (here and at the relay).
    pub devices_removed: u32,
    /// Whether a TOTP secret was removed.
    pub totp_removed: bool,
    /// Unused backup codes revoked.
    pub backup_codes_revoked: u32,
    /// Live application passwords revoked.
    pub app_passwords_revoked: u32,
    /// Trusted browsers revoked.
    pub trusted_browsers_revoked: u32,
}

impl Rp {
    /// Whether two-step verification is on for the account: it has a TOTP secret, an
    /// active phone or an unused backup code.
    pub async fn has_second_factor(&self, account: &str) -> Result<bool> {
        if self.store.totp(account).await?.is_some() {
            return Ok(true);
        }
        if self
            .store
            .devices(account)
            .await?
            .iter()
            .any(|d| d.state == DeviceState::Active)
        {
            return Ok(true);
        }
        Ok(self.store.backup_codes_remaining(account).await? > 0)
    }

    /// Turns two-step verification off for the proof's account, as its user asked:
    /// every phone is removed (and told, through the relay), the TOTP secret goes, the
    /// backup codes and application passwords are revoked, and
    /// [`Event::TwoStepTurnedOff`] tells the user. `proof` must be fresh
    /// ([`crate::PushPolicy::proof_max_age`]); a refused proof changes nothing
    /// ([`crate::Error::ProofRefused`]). A relay error while removing a phone leaves the
    /// rest as it was; calling again finishes the job.
    pub async fn turn_off_two_step<R: CryptoRng>(
        &self,
        proof: SecondFactorProof,
        rng: &mut R,
    ) -> Result<TurnedOff> {
        let now = self.clock.now();
        proof.check_fresh(now, self.push_policy.proof_max_age)?;
        let account = proof.account();
        let mut done = TurnedOff::default();
        for device in self.store.devices(account).await? {
            if device.state == DeviceState::Removed {
                continue;
            }
            if self.remove_device(account, &device.device_id, rng).await? {
                done.devices_removed += 1;
            }
        }
        done.totp_removed = self.store.delete_totp(account).await?;
        done.backup_codes_revoked = self.store.backup_codes_remaining(account).await?;
        self.store.replace_backup_codes(account, &[]).await?;
        done.app_passwords_revoked = self.revoke_all_app_passwords(account).await?;
        done.trusted_browsers_revoked = self.revoke_all_trusted_browsers(account).await?;
        tracing::warn!(
            account,
            ?done,
            "two-step verification turned off by the user"
        );
        self.events.deliver(&Event::TwoStepTurnedOff {
            account: account.to_owned(),
            at: now,
        });
        Ok(done)
    }
}

#[cfg(test)]
#[path = "two_step_tests.rs"]
mod tests;
