//! OAuth2 for a Google service account: an RS256 JWT assertion exchanged at the
//! account's `token_uri` for an access token, cached until shortly before it expires.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::clock::{unix_secs, Clock};
use crate::error::{Error, Result};
use crate::http::read_limited;
use crate::outcome::Failure;
use crate::pem::pkcs8_der;
use crate::retry::parse_retry_after;
use crate::secret::Bearer;

/// The OAuth scope for sending FCM messages.
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// A Google service account (the JSON key file downloaded from the Firebase console).
pub struct ServiceAccount {
    pub(crate) client_email: String,
    pub(crate) token_uri: String,
    pub(crate) project_id: String,
    key: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("project_id", &self.project_id)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct AccountJson {
    client_email: String,
    private_key: String,
    token_uri: String,
    project_id: String,
}

impl ServiceAccount {
    /// Parses the service-account JSON (`client_email`, `private_key` as an RSA
    /// PKCS#8 PEM, `token_uri`, `project_id`; other fields are ignored).
    pub fn from_json(json: &str) -> Result<Self> {
        let a: AccountJson = serde_json::from_str(json)
            .map_err(|_| Error::ServiceAccount("not a service-account JSON key"))?;
        let der = pkcs8_der(&a.private_key).ok_or(Error::ServiceAccount(
            "private_key is not a PEM PRIVATE KEY block",
        ))?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|_| Error::ServiceAccount("private_key is not an RSA PKCS#8 key"))?;
        if !a.token_uri.starts_with("https://") {
            return Err(Error::ServiceAccount("token_uri must be https"));
        }
        let id_ok = !a.project_id.is_empty()
            && a.project_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if !id_ok {
            return Err(Error::ServiceAccount("project_id is not a project id"));
        }
        if a.client_email.is_empty() {
            return Err(Error::ServiceAccount("client_email is missing"));
        }
        Ok(ServiceAccount {
            client_email: a.client_email.clone(),
            token_uri: a.token_uri.clone(),
            project_id: a.project_id.clone(),
            key,
        })
    }

    /// The Firebase project id.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The signed assertion for a token request at `now`.
    fn assertion(&self, now: SystemTime) -> Option<Zeroizing<String>> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let iat = unix_secs(now);
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": FCM_SCOPE,
            "aud": self.token_uri,
            "iat": iat,
            "exp": iat + 3600,
        });
        let input = format!(
            "{}.{}",
            b64.encode(header.to_string()),
            b64.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .ok()?;
        Some(Zeroizing::new(format!("{input}.{}", b64.encode(sig))))
    }
}

/// Why no access token could be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// The token endpoint refused the account (invalid_grant, ...): a config error.
    Config,
    /// Try again later.
    Transient(Failure, Option<Duration>),
}

struct Cached {
    bearer: Bearer,
    refresh_at: SystemTime,
    generation: u64,
}

/// An access token handed out, with its generation.
pub(crate) struct AccessToken {
    pub(crate) bearer: Bearer,
    pub(crate) generation: u64,
}

/// Fetches and caches access tokens; one fetch at a time.
pub(crate) struct TokenSource {
    account: ServiceAccount,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    cache: tokio::sync::Mutex<(Option<Cached>, u64)>,
}

#[derive(Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct TokenReply {
    access_token: String,
    expires_in: u64,
}

const GRANT_TYPE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

impl TokenSource {
    pub(crate) fn new(
        account: ServiceAccount,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        TokenSource {
            account,
            http,
            clock,
            cache: tokio::sync::Mutex::new((None, 0)),
        }
    }

    pub(crate) fn account(&self) -> &ServiceAccount {
        &self.account
    }

    /// The cached token, or a new one when there is none or it expires soon.
    pub(crate) async fn get(&self) -> std::result::Result<AccessToken, TokenError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some(c) = &cache.0 {
            if now < c.refresh_at {
                return Ok(AccessToken {
                    bearer: c.bearer.clone(),
                    generation: c.generation,
                });
            }
        }
        let (bearer, lifetime) = self.fetch(now).await?;
        // Refresh five minutes before expiry (or halfway, for short-lived tokens).
        let margin = Duration::from_secs(300).min(lifetime / 2);
        cache.1 += 1;
        let generation = cache.1;
        cache.0 = Some(Cached {
            bearer: bearer.clone(),
            refresh_at: now + lifetime - margin,
            generation,
        });
        Ok(AccessToken { bearer, generation })
    }

    /// Drops the token of `generation` (the send endpoint refused it).
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut cache = self.cache.lock().await;
        if cache.0.as_ref().is_some_and(|c| c.generation == generation) {
            cache.0 = None;
        }
    }

    async fn fetch(&self, now: SystemTime) -> std::result::Result<(Bearer, Duration), TokenError> {
        let Some(assertion) = self.account.assertion(now) else {
            tracing::error!(provider = "fcm", "could not sign the OAuth assertion");
            return Err(TokenError::Config);
        };
        let body = Zeroizing::new(format!(
            "grant_type={GRANT_TYPE}&assertion={}",
            assertion.as_str()
        ));
        let resp = self
            .http
            .post(&self.account.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .send()
            .await
            .map_err(|_| TokenError::Transient(Failure::Connection, None))?;
        let status = resp.status().as_u16();
        let retry_after = parse_retry_after(resp.headers().get("retry-after"));
        let bytes = Zeroizing::new(read_limited(resp, 16 * 1024).await);
        match status {
            200 => {
                let reply: TokenReply = serde_json::from_slice(&bytes).map_err(|_| {
                    tracing::error!(
                        provider = "fcm",
                        "OAuth token endpoint sent an unreadable reply"
                    );
                    TokenError::Transient(Failure::Unavailable, None)
                })?;
                let lifetime = Duration::from_secs(reply.expires_in.clamp(10, 24 * 3600));
                Ok((Bearer::new(reply.access_token.clone()), lifetime))
            }
            429 => Err(TokenError::Transient(Failure::RateLimited, retry_after)),
            500..=599 => Err(TokenError::Transient(Failure::Unavailable, retry_after)),
            _ => {
                let error: String = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .take(64)
                    .collect();
                tracing::error!(
                    provider = "fcm",
                    status,
                    error = %error,
                    "OAuth token endpoint refused the service account; pushes fail until it is fixed \
                     (device tokens are kept)"
                );
                Err(TokenError::Config)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_accounts() {
        assert!(ServiceAccount::from_json("{}").is_err());
        let j = serde_json::json!({
            "client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "token_uri": "https://x/token", "project_id": "p"
        });
        let e = ServiceAccount::from_json(&j.to_string()).unwrap_err();
        assert!(e.to_string().contains("RSA"));
    }
}
