//! Trusted browsers ("trust this browser": the second step is skipped there). After a
//! full login the RP can give the browser a long random token ([`Rp::trust_browser`]),
//! kept in a cookie; at the next login of the same account, after the password, the
//! login server asks [`Rp::check_trusted_browser`] and skips the second step when it
//! answers yes.
//!
//! The token is 32 random bytes (43 characters of base64url), bound to one account and
//! stored only as its SHA-256. It is refused once expired (default 30 days,
//! [`TrustedBrowserPolicy`]), once revoked, and for any other account. The security page
//! lists the account's live browsers and revokes one or all; changing the password
//! ([`Rp::password_changed`]), turning two-step verification off and a "this wasn't me"
//! answer revoke them all.

use std::fmt;
use std::net::IpAddr;

use assent_protocol::{b64_decode, b64_encode, sha256};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::readable::{draw_chars, fill};
use crate::store::{TrustedBrowserInfo, TrustedBrowserRecord};
use crate::user_agent::browser_name;
use crate::Rp;

/// Length of a trusted browser's public id, in characters of the readable alphabet.
pub const TRUSTED_BROWSER_ID_LEN: usize = 10;

/// How long a browser stays trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedBrowserPolicy {
    /// Seconds from [`Rp::trust_browser`] until the token is refused (default 30 days).
    pub lifetime: u64,
}

impl Default for TrustedBrowserPolicy {
    fn default() -> Self {
        Self {
            lifetime: 30 * 24 * 3600,
        }
    }
}

/// The token a trusted browser holds (in an HttpOnly cookie). Zeroized on drop; `Debug`
/// redacted.
pub struct BrowserToken(Zeroizing<[u8; 32]>);

impl BrowserToken {
    /// The token as 43 characters of base64url, the cookie's value.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(b64_encode(&self.0[..]))
    }

    /// Parses a cookie's value; `None` for anything that is not a token's form.
    fn parse(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(b64_decode(text, "browser token").ok()?);
        let bytes: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }

    /// What the store keeps and looks up.
    fn hash(&self) -> [u8; 32] {
        sha256(&self.0[..])
    }
}

impl fmt::Debug for BrowserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BrowserToken(redacted)")
    }
}

/// A browser just trusted: what the security page will list, and the token to set in
/// its cookie (this once).
#[derive(Debug)]
pub struct NewTrustedBrowser {
    /// Id, name, addresses and stamps.
    pub info: TrustedBrowserInfo,
    /// The cookie's value.
    pub token: BrowserToken,
}

impl Rp {
    /// Trusts the browser that just completed a full login (password and second step) of
    /// `account`: its second step is skipped until [`TrustedBrowserPolicy::lifetime`]
    /// has passed or it is revoked. `user_agent` names it; `ip` is the address it came
    /// from, when known. Expired and revoked browsers of the account are forgotten.
    pub async fn trust_browser<R: TryCryptoRng + ?Sized>(
        &self,
        account: &str,
        user_agent: &str,
        ip: Option<IpAddr>,
        rng: &mut R,
    ) -> Result<NewTrustedBrowser> {
        let now = self.clock.now();
        let ip = ip.map(|ip| ip.to_string());
        for _ in 0..8 {
            let mut bytes = Zeroizing::new([0u8; 32]);
            fill(rng, &mut bytes[..])?;
            let token = BrowserToken(bytes);
            let mut id = Zeroizing::new(String::with_capacity(TRUSTED_BROWSER_ID_LEN));
            draw_chars(rng, TRUSTED_BROWSER_ID_LEN, &mut id)?;
            let info = TrustedBrowserInfo {
                id: id.to_string(),
                name: browser_name(user_agent),
                first_ip: ip.clone(),
                last_ip: ip.clone(),
                created_at: now,
                last_used_at: None,
                expires_at: now.saturating_add(self.trusted_browsers.lifetime),
                revoked_at: None,
            };
            let record = TrustedBrowserRecord {
                info: info.clone(),
                token_hash: token.hash(),
            };
            if self
                .store
                .insert_trusted_browser(account, &record, now)
                .await?
            {
                tracing::info!(account, id = %info.id, name = %info.name, "browser trusted");
                return Ok(NewTrustedBrowser { info, token });
            }
        }
        Err(Error::IdExhausted("trusted browser"))
    }

    /// Whether the browser holding `token` (a cookie's value, as sent) is trusted for
    /// `account` now; when it is, its use is recorded (time, and `ip` when known) and its
    /// info returned. An expired, revoked, malformed or other account's token is `None`.
    pub async fn check_trusted_browser(
        &self,
        account: &str,
        token: &str,
        ip: Option<IpAddr>,
    ) -> Result<Option<TrustedBrowserInfo>> {
        let Some(token) = BrowserToken::parse(token) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let Some(record) = self.store.trusted_browser(account, &token.hash()).await? else {
            return Ok(None);
        };
        let mut info = record.info;
        if info.revoked_at.is_some() || now >= info.expires_at {
            return Ok(None);
        }
        let ip = ip.map(|ip| ip.to_string());
        self.store
            .touch_trusted_browser(account, &info.id, now, ip.as_deref())
            .await?;
        info.last_used_at = Some(now);
        if ip.is_some() {
            info.last_ip = ip;
        }
        Ok(Some(info))
    }

    /// The account's trusted browsers that are neither expired nor revoked, oldest
    /// first.
    pub async fn list_trusted_browsers(&self, account: &str) -> Result<Vec<TrustedBrowserInfo>> {
        let now = self.clock.now();
        let mut list = self.store.list_trusted_browsers(account).await?;
        list.retain(|b| b.revoked_at.is_none() && now < b.expires_at);
        Ok(list)
    }

    /// Stops trusting one browser of the account. True if it was trusted.
    pub async fn revoke_trusted_browser(&self, account: &str, id: &str) -> Result<bool> {
        let done = self
            .store
            .revoke_trusted_browser(account, id, self.clock.now())
            .await?;
        if done {
            tracing::info!(account, id, "trusted browser revoked");
        }
        Ok(done)
    }

    /// Stops trusting every browser of the account; returns how many were trusted.
    pub async fn revoke_all_trusted_browsers(&self, account: &str) -> Result<u32> {
        let n = self
            .store
            .revoke_all_trusted_browsers(account, self.clock.now())
            .await?;
        if n > 0 {
            tracing::info!(account, n, "all trusted browsers revoked");
        }
        Ok(n)
    }

    /// Tells the library that the account's password was changed: every trusted
    /// browser is revoked (so a stolen cookie does not outlive the old password).
    /// Returns how many were trusted.
    pub async fn password_changed(&self, account: &str) -> Result<u32> {
        self.revoke_all_trusted_browsers(account).await
    }
}
