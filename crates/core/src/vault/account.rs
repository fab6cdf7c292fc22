//! One entry of the vault.

use assent_otp::{Algorithm, OtpAuth, OtpKind, Secret};

use super::push::PushEnrollment;
use crate::error::{Error, Result};
use crate::random::{hex, RandomSource};

/// Longest accepted account name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A stable, random account identifier (32 lowercase hex characters).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// A fresh random id (128 bits).
    pub(crate) fn make(rng: &mut dyn RandomSource) -> Result<Self> {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)?;
        Ok(Self(hex(&bytes)))
    }

    /// Wraps an id read from storage or typed by a user; whether it names an
    /// account is checked by the vault.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AccountId {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// What an account is for, beyond its one-time codes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AccountKind {
    /// A plain OTP account (codes only).
    #[default]
    Otp,
    /// A Steam Guard account: five-character Steam codes (HMAC-SHA-1, 30 s)
    /// instead of digits. Its OTP parameters read TOTP, SHA1, 5 digits, 30 s.
    Steam,
    /// An account enrolled for push approvals (codes as well).
    Push(Box<PushEnrollment>),
}

/// An account typed in by hand rather than scanned.
#[derive(Debug, Clone)]
pub struct AccountFields {
    /// The service, e.g. "Example Inc.".
    pub issuer: Option<String>,
    /// The user's name at the service.
    pub account: String,
    /// The shared secret.
    pub secret: Secret,
    /// HMAC algorithm (SHA1 for most services).
    pub algorithm: Algorithm,
    /// Code length, 6 to 8.
    pub digits: u8,
    /// TOTP with its period, or HOTP with its starting counter.
    pub kind: OtpKind,
}

impl From<AccountFields> for OtpAuth {
    fn from(f: AccountFields) -> Self {
        OtpAuth {
            kind: f.kind,
            issuer: f.issuer,
            account: f.account,
            secret: f.secret,
            algorithm: f.algorithm,
            digits: f.digits,
        }
    }
}

/// An account in the vault. Debug output never shows the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub(crate) id: AccountId,
    pub(crate) name: String,
    pub(crate) otp: OtpAuth,
    pub(crate) kind: AccountKind,
}

impl Account {
    /// Builds an account after checking that its OTP parameters work.
    pub(crate) fn new(id: AccountId, otp: OtpAuth) -> Result<Self> {
        check_otp(&otp)?;
        let name = check_name(&default_name(&otp))
            .or_else(|_| check_name(&otp.account))
            .unwrap_or_else(|_| "Account".to_owned());
        Ok(Self {
            id,
            name,
            otp,
            kind: AccountKind::Otp,
        })
    }

    /// Builds a Steam account (its OTP parameters are set to Steam's).
    pub(crate) fn new_steam(id: AccountId, mut otp: OtpAuth) -> Result<Self> {
        otp.kind = OtpKind::Totp { period: 30 };
        otp.algorithm = Algorithm::Sha1;
        otp.digits = 5;
        let name = check_name(&default_name(&otp))
            .or_else(|_| check_name(&otp.account))
            .unwrap_or_else(|_| "Steam".to_owned());
        Ok(Self {
            id,
            name,
            otp,
            kind: AccountKind::Steam,
        })
    }

    /// Whether codes are Steam codes.
    pub fn is_steam(&self) -> bool {
        matches!(self.kind, AccountKind::Steam)
    }

    /// The stable id.
    pub fn id(&self) -> &AccountId {
        &self.id
    }
    /// The display name (the user may rename it).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The issuer from the URI or fields.
    pub fn issuer(&self) -> Option<&str> {
        self.otp.issuer.as_deref()
    }
    /// The user's name at the service.
    pub fn account_name(&self) -> &str {
        &self.otp.account
    }
    /// The OTP parameters (including the secret; keep them out of logs).
    pub fn otp(&self) -> &OtpAuth {
        &self.otp
    }
    /// Plain OTP or push.
    pub fn kind(&self) -> &AccountKind {
        &self.kind
    }
    /// The HOTP counter, for counter-based accounts.
    pub fn counter(&self) -> Option<u64> {
        match self.otp.kind {
            OtpKind::Hotp { counter } => Some(counter),
            OtpKind::Totp { .. } => None,
        }
    }
}

/// "Issuer: account", or the account alone.
pub(crate) fn default_name(otp: &OtpAuth) -> String {
    match otp.issuer.as_deref() {
        Some(issuer) if !issuer.trim().is_empty() => format!("{}: {}", issuer.trim(), otp.account),
        _ => otp.account.clone(),
    }
}

/// Checks and trims a display name.
pub(crate) fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::InvalidName {
            max: MAX_NAME_CHARS,
        });
    }
    Ok(name.to_owned())
}

/// Fails when the parameters cannot produce codes (digits, period...).
pub(crate) fn check_otp(otp: &OtpAuth) -> Result<()> {
    match otp.kind {
        OtpKind::Totp { .. } => otp.totp().map(drop)?,
        OtpKind::Hotp { .. } => otp.hotp().map(drop)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const URI: &str =
        "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn ids_are_random_hex() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let a = AccountId::make(&mut rng).unwrap();
        let b = AccountId::make(&mut rng).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn default_name_uses_issuer() {
        let otp = OtpAuth::parse(URI).unwrap();
        let acc = Account::new(AccountId::new("x"), otp).unwrap();
        assert_eq!(acc.name(), "Example: alice@example.com");
        assert_eq!(acc.issuer(), Some("Example"));
        assert_eq!(acc.counter(), None);
    }

    #[test]
    fn debug_hides_secret() {
        let otp = OtpAuth::parse(URI).unwrap();
        let acc = Account::new(AccountId::new("x"), otp).unwrap();
        let dbg = format!("{acc:?}");
        assert!(!dbg.contains("JBSWY3DPEHPK3PXP"), "{dbg}");
        let raw = format!("{:?}", acc.otp().secret.as_bytes());
        assert!(!dbg.contains(&raw[1..raw.len() - 1]), "{dbg}");
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  Work  ").unwrap(), "Work");
        assert!(check_name("   ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
    }
}
