//! The Web Push subscription a phone registers: endpoint URL, `p256dh` and `auth`.
//!
//! Its push-token form (the `push_token` of a [`Platform::WebPush`] device) is
//! `<p256dh>.<auth>.<endpoint>`: the two keys in unpadded base64url (87 and 22
//! characters, neither ever contains a `.`), then the endpoint. One string, so the
//! registration, the signed push-token update and the relay's storage carry it like any
//! other token.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::keys::{check_public, AUTH_LEN, P256DH_LEN};
use crate::encoding::{b64_decode_array, b64_encode};
use crate::error::{Error, Result};

/// Longest endpoint URL accepted, in bytes.
pub const MAX_ENDPOINT: usize = 2048;

/// A Web Push subscription. The endpoint and `auth` are capabilities (anyone holding
/// both, with `p256dh`, can push to the phone): redacted in `Debug`.
#[derive(Clone)]
pub struct WebPushSubscription {
    endpoint: String,
    p256dh: [u8; P256DH_LEN],
    auth: Zeroizing<[u8; AUTH_LEN]>,
}

impl std::fmt::Debug for WebPushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebPushSubscription(<redacted>)")
    }
}

impl PartialEq for WebPushSubscription {
    fn eq(&self, other: &Self) -> bool {
        let auth: bool = self.auth[..].ct_eq(&other.auth[..]).into();
        auth && self.endpoint == other.endpoint && self.p256dh == other.p256dh
    }
}

impl Eq for WebPushSubscription {}

impl WebPushSubscription {
    /// A subscription; checks the endpoint ([`WebPushSubscription::check_endpoint`]) and
    /// that `p256dh` is an uncompressed P-256 point.
    pub fn new(endpoint: &str, p256dh: [u8; P256DH_LEN], auth: [u8; AUTH_LEN]) -> Result<Self> {
        Self::check_endpoint(endpoint)?;
        check_public(&p256dh, "p256dh")?;
        Ok(WebPushSubscription {
            endpoint: endpoint.to_owned(),
            p256dh,
            auth: Zeroizing::new(auth),
        })
    }

    /// The push service's endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The phone's public key (uncompressed P-256 point, 65 bytes).
    pub fn p256dh(&self) -> &[u8; P256DH_LEN] {
        &self.p256dh
    }

    /// The phone's authentication secret (16 bytes).
    pub fn auth(&self) -> &[u8; AUTH_LEN] {
        &self.auth
    }

    /// The push-token form `<p256dh>.<auth>.<endpoint>`.
    pub fn to_push_token(&self) -> String {
        format!(
            "{}.{}.{}",
            b64_encode(&self.p256dh),
            b64_encode(&self.auth[..]),
            self.endpoint
        )
    }

    /// Parses the push-token form.
    pub fn from_push_token(token: &str) -> Result<Self> {
        if token.len() > MAX_ENDPOINT + 200 {
            return Err(Error::TooLarge {
                field: "push_token",
                limit: MAX_ENDPOINT + 200,
            });
        }
        let mut parts = token.splitn(3, '.');
        let (Some(p256dh), Some(auth), Some(endpoint)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::invalid(
                "push_token",
                "a Web Push token is <p256dh>.<auth>.<endpoint>",
            ));
        };
        let p256dh = b64_decode_array::<P256DH_LEN>(p256dh, "p256dh")?;
        let auth = Zeroizing::new(b64_decode_array::<AUTH_LEN>(auth, "auth")?);
        Self::new(endpoint, p256dh, *auth)
    }

    /// Checks an endpoint URL without resolving it: `https://`, a host, no user info,
    /// no fragment, printable ASCII, at most [`MAX_ENDPOINT`] bytes. (The relay also
    /// applies its outbound address rules, at registration and at every send.)
    pub fn check_endpoint(endpoint: &str) -> Result<()> {
        const FIELD: &str = "endpoint";
        if endpoint.len() > MAX_ENDPOINT {
            return Err(Error::TooLarge {
                field: FIELD,
                limit: MAX_ENDPOINT,
            });
        }
        if !endpoint.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(FIELD, "must be printable ASCII"));
        }
        let Some(rest) = endpoint.strip_prefix("https://") else {
            return Err(Error::invalid(FIELD, "must be an https:// URL"));
        };
        if endpoint.contains('#') {
            return Err(Error::invalid(FIELD, "must not have a fragment"));
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(Error::invalid(FIELD, "must not carry user info"));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((host, after)) => (host, after.strip_prefix(':')),
                None => return Err(Error::invalid(FIELD, "bad IPv6 host")),
            },
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return Err(Error::invalid(FIELD, "needs a host"));
        }
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(Error::invalid(FIELD, "bad port"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256dh() -> [u8; P256DH_LEN] {
        let v = crate::encoding::b64_decode(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "t",
        )
        .unwrap();
        v.try_into().unwrap()
    }

    #[test]
    fn push_token_round_trips_and_debug_is_redacted() {
        let s =
            WebPushSubscription::new("https://push.example.net/up/abc.def?x=1", p256dh(), [7; 16])
                .unwrap();
        let token = s.to_push_token();
        assert_eq!(token.len(), 87 + 1 + 22 + 1 + s.endpoint().len());
        let back = WebPushSubscription::from_push_token(&token).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.endpoint(), "https://push.example.net/up/abc.def?x=1");
        assert!(!format!("{s:?}").contains("push.example"));
    }

    #[test]
    fn endpoints_are_checked() {
        for good in [
            "https://push.example.net/x",
            "https://push.example.net:8443/x",
            "https://[2001:db8::1]:443/x",
            "https://93.184.215.14/x",
        ] {
            assert!(WebPushSubscription::check_endpoint(good).is_ok(), "{good}");
        }
        for bad in [
            "http://push.example.net/x",
            "https:///x",
            "https://user@push.example.net/x",
            "https://push.example.net/x#f",
            "https://push.example.net/ x",
            "https://push.example.net:99999/x",
            "ftp://push.example.net/x",
        ] {
            assert!(WebPushSubscription::check_endpoint(bad).is_err(), "{bad}");
        }
        let long = format!("https://push.example.net/{}", "a".repeat(MAX_ENDPOINT));
        assert!(WebPushSubscription::check_endpoint(&long).is_err());
    }

    #[test]
    fn bad_tokens_are_refused() {
        let good = WebPushSubscription::new("https://p.example/x", p256dh(), [1; 16])
            .unwrap()
            .to_push_token();
        assert!(WebPushSubscription::from_push_token(&good).is_ok());
        assert!(WebPushSubscription::from_push_token("https://p.example/x").is_err());
        let short_auth = good.replacen(".AQEBAQEBAQEBAQEBAQEBAQ.", ".AQEB.", 1);
        assert!(WebPushSubscription::from_push_token(&short_auth).is_err());
        let mut not_a_point = p256dh();
        not_a_point[1] ^= 1;
        assert!(WebPushSubscription::new("https://p.example/x", not_a_point, [1; 16]).is_err());
    }
}
