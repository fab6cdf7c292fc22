//! Application passwords, for tools that cannot do two-step verification
//! (mail clients, sync tools). The account owner creates, names, lists and
//! revokes them.
//!
//! A password is 32 characters of the readable alphabet, shown in groups of
//! four (`abcd-efgh-…`). The first [`APP_PASSWORD_ID_LEN`] characters are its
//! public id (so a check looks up one row and computes at most one hash); the
//! other 26 carry 26 × log2(31) ≈ 128.8 bits. Stored only as salted argon2id
//! hashes; returned once by [`Rp::create_app_password`].

use std::fmt;

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::limiter::Admission;
use crate::readable::{draw_chars, make_salt, normalize};
use crate::store::{AppPasswordInfo, AppPasswordRecord};
use crate::store::{Guess, Source};
use crate::{Rp, Verification};

/// Characters of the public id at the start of each password (≈ 29.7 bits).
pub use crate::store::APP_PASSWORD_ID_LEN;
/// Secret characters after the id (≈ 128.8 bits).
pub const APP_PASSWORD_SECRET_LEN: usize = 26;
/// Longest accepted name, in characters.
pub const APP_PASSWORD_NAME_MAX: usize = 64;

const LEN: usize = APP_PASSWORD_ID_LEN + APP_PASSWORD_SECRET_LEN;

/// A just-created application password: its public info and, this once, the
/// password itself. Zeroized on drop; `Debug` redacts the password.
pub struct NewAppPassword {
    /// Id, name and stamps, as [`Rp::list_app_passwords`] will show them.
    pub info: AppPasswordInfo,
    password: Zeroizing<String>,
}

impl NewAppPassword {
    /// The password, grouped `abcd-efgh-…`, to show the user once.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for NewAppPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAppPassword")
            .field("info", &self.info)
            .field("password", &"..redacted..")
            .finish()
    }
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > APP_PASSWORD_NAME_MAX
        || name.chars().any(char::is_control)
    {
        return Err(Error::InvalidName);
    }
    Ok(name.to_owned())
}

fn grouped(raw: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(raw.len() + raw.len() / 4));
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

impl Rp {
    /// Creates an application password named `name` (trimmed; 1–64
    /// characters, no control characters). The password is in the result
    /// only; costs one argon2id hash.
    pub async fn create_app_password<R: TryCryptoRng + ?Sized>(
        &self,
        account: &str,
        name: &str,
        rng: &mut R,
    ) -> Result<NewAppPassword> {
        let name = check_name(name)?;
        let now = self.clock.now();
        // An id collision within one account is a ~1e-9 event; redraw.
        for _ in 0..8 {
            let mut raw = Zeroizing::new(String::with_capacity(LEN));
            draw_chars(rng, LEN, &mut raw)?;
            let salt = make_salt(rng)?;
            let info = AppPasswordInfo {
                id: raw[..APP_PASSWORD_ID_LEN].to_owned(),
                name: name.clone(),
                created_at: now,
                last_used_at: None,
                revoked_at: None,
            };
            let record = AppPasswordRecord {
                info: info.clone(),
                hash: self.hasher.hash(raw.as_bytes(), &salt)?,
            };
            if self.store.insert_app_password(account, &record).await? {
                tracing::info!(account, id = %info.id, "application password created");
                return Ok(NewAppPassword {
                    info,
                    password: grouped(&raw),
                });
            }
        }
        Err(Error::IdExhausted("application password"))
    }

    /// The account's application passwords (revoked ones included, marked),
    /// oldest first. Never the passwords themselves.
    pub async fn list_app_passwords(&self, account: &str) -> Result<Vec<AppPasswordInfo>> {
        self.store.list_app_passwords(account).await
    }

    /// Checks an application password (case, dashes and spaces ignored). A password
    /// whose id names a live one is throttled on that password's own count; any other
    /// (a guess at the ids) on the account's count of such guesses. So a client that
    /// holds a password is never held up by an attacker who only knows the username,
    /// and the limiter still decides before any hash.
    ///
    /// The attempt counts as from an unknown source (see [`Rp::from_source`]).
    pub async fn verify_app_password(&self, account: &str, typed: &str) -> Result<Verification> {
        self.verify_app_password_from(account, typed, Source::Unknown)
            .await
    }

    pub(crate) async fn verify_app_password_from(
        &self,
        account: &str,
        typed: &str,
        source: Source,
    ) -> Result<Verification> {
        let now = self.clock.now();
        let raw = normalize(typed, LEN);
        let id = raw.as_deref().map(|raw| &raw[..APP_PASSWORD_ID_LEN]);
        let record = match id {
            Some(id) => self
                .store
                .app_password(account, id)
                .await?
                .filter(|r| r.info.revoked_at.is_none()),
            None => None,
        };
        let guess = match (&record, id.and_then(Guess::app_password)) {
            (Some(_), Some(own)) => own,
            _ => Guess::AppPasswords,
        };
        if let Admission::Throttled { retry_after } =
            self.admit(account, guess, source, now).await?
        {
            return Ok(Verification::Throttled { retry_after });
        }
        let (Some(raw), Some(record)) = (raw, record) else {
            return Ok(Verification::Rejected);
        };
        if !self.hasher.verify(raw.as_bytes(), &record.hash)? {
            return Ok(Verification::Rejected);
        }
        self.store
            .touch_app_password(account, &raw[..APP_PASSWORD_ID_LEN], now)
            .await?;
        self.succeed(account, guess, source).await?;
        Ok(Verification::Accepted)
    }

    /// Revokes one application password. True if it was live.
    pub async fn revoke_app_password(&self, account: &str, id: &str) -> Result<bool> {
        let revoked = self
            .store
            .revoke_app_password(account, id, self.clock.now())
            .await?;
        if revoked {
            tracing::info!(account, id, "application password revoked");
        }
        Ok(revoked)
    }

    /// Revokes all the account's application passwords; returns how many
    /// were live.
    pub async fn revoke_all_app_passwords(&self, account: &str) -> Result<u32> {
        let n = self
            .store
            .revoke_all_app_passwords(account, self.clock.now())
            .await?;
        tracing::info!(account, n, "all application passwords revoked");
        Ok(n)
    }
}

#[cfg(test)]
#[path = "app_passwords_tests.rs"]
mod tests;
