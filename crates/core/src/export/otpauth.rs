//! `otpauth://` URIs, one a line.

use zeroize::Zeroizing;

use super::Exported;
use crate::vault::Account;

/// The URI of one account; Steam accounts as `otpauth://steam/…`.
pub(crate) fn uri(account: &Account) -> Zeroizing<String> {
    let uri = account.otp().to_uri();
    match uri.strip_prefix("otpauth://totp/") {
        Some(rest) if account.is_steam() => Zeroizing::new(format!("otpauth://steam/{rest}")),
        _ => uri,
    }
}

pub(super) fn export(accounts: &[Account]) -> Exported {
    let mut text = Zeroizing::new(String::with_capacity(accounts.len() * 160));
    for account in accounts {
        text.push_str(&uri(account));
        text.push('\n');
    }
    Exported {
        text,
        skipped: Vec::new(),
    }
}
