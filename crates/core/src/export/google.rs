//! Google Authenticator migration payloads (the protobuf described in
//! `import/google.rs`), split into batches of [`GOOGLE_BATCH_SIZE`]
//! accounts, one `otpauth-migration://offline?data=…` URI per QR code, with
//! version 1, `batch_size`, `batch_index` and one random `batch_id`.

use assent_otp::{Algorithm, OtpKind};
use base64::Engine;
use zeroize::Zeroizing;

use super::Exported;
use crate::error::Result;
use crate::import::protobuf::Writer;
use crate::random::RandomSource;
use crate::vault::Account;

/// Accounts per QR code (as Google Authenticator itself batches, so each
/// code stays easy to scan).
pub const GOOGLE_BATCH_SIZE: usize = 10;

/// Why an account cannot go into a migration payload, if it cannot.
fn unsupported(account: &Account) -> Option<&'static str> {
    let otp = account.otp();
    if account.is_steam() {
        return Some("Google Authenticator has no Steam codes");
    }
    if !matches!(otp.digits, 6 | 8) {
        return Some("Google Authenticator carries only 6 or 8 digits");
    }
    match otp.kind {
        OtpKind::Totp { period } if period != 30 => {
            Some("Google Authenticator carries only a 30 s period")
        }
        _ => None,
    }
}

fn encode_otp(account: &Account) -> Zeroizing<Vec<u8>> {
    let otp = account.otp();
    // Room for everything up front, so growth leaves no stray copies of the secret.
    let mut w = Writer {
        out: Vec::with_capacity(otp.secret.as_bytes().len() + 3 * 256 + 64),
    };
    w.bytes(1, otp.secret.as_bytes());
    let name = match otp.issuer.as_deref() {
        Some(issuer) if !issuer.is_empty() => format!("{issuer}:{}", otp.account),
        _ => otp.account.clone(),
    };
    w.bytes(2, name.as_bytes());
    if let Some(issuer) = otp.issuer.as_deref() {
        w.bytes(3, issuer.as_bytes());
    }
    w.uint(
        4,
        match otp.algorithm {
            Algorithm::Sha1 => 1,
            Algorithm::Sha256 => 2,
            Algorithm::Sha512 => 3,
        },
    );
    w.uint(5, if otp.digits == 8 { 2 } else { 1 });
    match otp.kind {
        OtpKind::Hotp { counter } => {
            w.uint(6, 1);
            w.uint(7, counter);
        }
        OtpKind::Totp { .. } => w.uint(6, 2),
    }
    Zeroizing::new(w.out)
}

pub(super) fn export(accounts: &[Account], rng: &mut dyn RandomSource) -> Result<Exported> {
    let mut skipped = Vec::new();
    let mut fit = Vec::new();
    for account in accounts {
        match unsupported(account) {
            Some(why) => skipped.push((account.name().to_owned(), why)),
            None => fit.push(account),
        }
    }
    let batches: Vec<&[&Account]> = fit.chunks(GOOGLE_BATCH_SIZE).collect();
    let mut id = [0u8; 4];
    rng.fill(&mut id)?;
    let batch_id = u64::from(u32::from_be_bytes(id) & 0x7fff_ffff);
    let mut text = Zeroizing::new(String::new());
    for (index, batch) in batches.iter().enumerate() {
        let encoded: Vec<Zeroizing<Vec<u8>>> = batch.iter().map(|a| encode_otp(a)).collect();
        let mut w = Writer {
            out: Vec::with_capacity(encoded.iter().map(|e| e.len() + 8).sum::<usize>() + 64),
        };
        for e in &encoded {
            w.bytes(1, e);
        }
        w.uint(2, 1);
        w.uint(3, batches.len() as u64);
        w.uint(4, index as u64);
        w.uint(5, batch_id);
        let payload = Zeroizing::new(w.out);
        let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*payload));
        text.push_str(crate::import::MIGRATION_PREFIX);
        text.push_str("data=");
        for c in b64.chars() {
            match c {
                '+' => text.push_str("%2B"),
                '/' => text.push_str("%2F"),
                '=' => text.push_str("%3D"),
                c => text.push(c),
            }
        }
        text.push('\n');
    }
    Ok(Exported { text, skipped })
}
