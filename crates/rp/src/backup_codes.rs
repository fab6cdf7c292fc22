//! Single-use backup codes, the way back in when the phone is lost.
//!
//! A set has [`BACKUP_CODE_COUNT`] codes shaped `xxxxx-xxxxx`, drawn from the
//! 31-character [`ALPHABET`](crate::readable::ALPHABET) (no `0 O o 1 l I i`).
//!
//! Entropy, per code: 10 characters × log2(31) ≈ **49.5 bits**. The first
//! character is the code's public id (stored in clear, so a check looks up
//! one row and computes at most one hash); the other 9 characters,
//! ≈ **44.6 bits**, are what an attacker holding the database must find
//! through argon2id. Ids are distinct within a set.
//!
//! Codes are returned once by [`Rp::generate_backup_codes`] and stored only as
//! salted argon2id hashes; generating a new set deletes the old one; a code is
//! spent by a single conditional update, so two concurrent logins with one
//! code cannot both succeed.
//!
//! Timing reveals whether a typed code's id names an unused code (no hash is
//! computed otherwise). That id is one public character: it tells nothing
//! about the secret part.

use std::fmt;

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::limiter::Admission;
use crate::readable::{draw_char, draw_chars, make_salt, normalize};
use crate::store::BackupCodeRecord;
use crate::store::{Guess, Source};
use crate::{Rp, Verification};

/// Codes per set.
pub const BACKUP_CODE_COUNT: usize = 10;
/// Characters per code, without the dash.
pub const BACKUP_CODE_LEN: usize = 10;
/// Characters of the public id at the start of each code.
pub const BACKUP_CODE_ID_LEN: usize = 1;

/// A freshly generated set, to show the user once. Zeroized on drop;
/// `Debug` shows only the count.
pub struct BackupCodes {
    codes: Vec<Zeroizing<String>>,
}

impl BackupCodes {
    /// The codes, formatted `xxxxx-xxxxx`.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().map(|c| c.as_str())
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

impl fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackupCodes({} codes, redacted)", self.codes.len())
    }
}

/// Draws the raw 10-character codes of a set with distinct first characters.
fn draw_set<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Vec<Zeroizing<String>>> {
    let mut set: Vec<Zeroizing<String>> = Vec::with_capacity(BACKUP_CODE_COUNT);
    while set.len() < BACKUP_CODE_COUNT {
        let mut tries = 0u32;
        let id = loop {
            let c = char::from(draw_char(rng)?);
            if !set.iter().any(|code| code.starts_with(c)) {
                break c;
            }
            tries += 1;
            if tries > 1000 {
                return Err(Error::IdExhausted("backup code"));
            }
        };
        let mut code = Zeroizing::new(String::with_capacity(BACKUP_CODE_LEN + 1));
        code.push(id);
        draw_chars(rng, BACKUP_CODE_LEN - BACKUP_CODE_ID_LEN, &mut code)?;
        set.push(code);
    }
    Ok(set)
}

fn display(raw: &str) -> Zeroizing<String> {
    let (a, b) = raw.split_at(BACKUP_CODE_LEN / 2);
    Zeroizing::new(format!("{a}-{b}"))
}

impl Rp {
    /// Generates a new set of backup codes for the account, replacing (and so
    /// invalidating) any previous set. Show the result once; it is not stored.
    ///
    /// Costs [`BACKUP_CODE_COUNT`] argon2id hashes.
    pub async fn generate_backup_codes<R: TryCryptoRng + ?Sized>(
        &self,
        account: &str,
        rng: &mut R,
    ) -> Result<BackupCodes> {
        let raw = draw_set(rng)?;
        let mut records = Vec::with_capacity(raw.len());
        for code in &raw {
            let salt = make_salt(rng)?;
            records.push(BackupCodeRecord {
                id: code[..BACKUP_CODE_ID_LEN].to_owned(),
                hash: self.hasher.hash(code.as_bytes(), &salt)?,
                used_at: None,
            });
        }
        self.store.replace_backup_codes(account, &records).await?;
        tracing::info!(account, "backup codes regenerated");
        Ok(BackupCodes {
            codes: raw.iter().map(|c| display(c)).collect(),
        })
    }

    /// Checks a typed backup code (case, dashes and spaces ignored) through
    /// the account's limiter; an accepted code is spent. The attempt counts as from an
    /// unknown source (see [`Rp::from_source`]).
    pub async fn verify_backup_code(&self, account: &str, typed: &str) -> Result<Verification> {
        self.verify_backup_code_from(account, typed, Source::Unknown)
            .await
    }

    pub(crate) async fn verify_backup_code_from(
        &self,
        account: &str,
        typed: &str,
        source: Source,
    ) -> Result<Verification> {
        let now = self.clock.now();
        if let Admission::Throttled { retry_after } =
            self.admit(account, Guess::BackupCode, source, now).await?
        {
            return Ok(Verification::Throttled { retry_after });
        }
        let Some(code) = normalize(typed, BACKUP_CODE_LEN) else {
            return Ok(Verification::Rejected);
        };
        let id = &code[..BACKUP_CODE_ID_LEN];
        let record = match self.store.backup_code(account, id).await? {
            Some(r) if r.used_at.is_none() => r,
            _ => return Ok(Verification::Rejected),
        };
        if !self.hasher.verify(code.as_bytes(), &record.hash)? {
            return Ok(Verification::Rejected);
        }
        if !self
            .store
            .consume_backup_code(account, id, &record.hash, now)
            .await?
        {
            return Ok(Verification::Rejected);
        }
        self.succeed(account, Guess::BackupCode, source).await?;
        tracing::info!(account, "backup code used");
        Ok(Verification::Accepted)
    }

    /// Unused codes left in the account's set.
    pub async fn backup_codes_remaining(&self, account: &str) -> Result<u32> {
        self.store.backup_codes_remaining(account).await
    }
}

#[cfg(test)]
#[path = "backup_codes_tests.rs"]
mod tests;
