//! Secrets that must never show in logs or `Debug`.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A device's provider token (APNs device token, FCM registration token).
/// Anyone holding it can push to that phone: redacted in `Debug`, zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        DeviceToken(token.into())
    }

    /// The token text, for the provider request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty (the device polls).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// A bearer credential (JWT, OAuth access token): redacted, zeroized.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Bearer(String);

impl Bearer {
    pub(crate) fn new(s: String) -> Self {
        Bearer(s)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let t = DeviceToken::new("abcdef0123");
        assert!(!format!("{t:?}").contains("abcdef"));
        let b = Bearer::new("eyJhbGciOi".into());
        assert!(!format!("{b:?}").contains("eyJ"));
    }
}
