//! Tenant API keys: generation, hashing, parsing, and the extractor that
//! authenticates relying-party requests.
//!
//! A key reads `ask_<id>_<secret>`: `id` is 16 lowercase hex characters (the
//! public prefix an operator revokes by), `secret` is 32 random bytes as
//! unpadded base64url. Only SHA-256 of the secret is stored: with 256 bits of
//! entropy a slow password hash would add nothing but request latency.
//! Hashes are compared in constant time.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{AppError, ErrorCode};
use crate::random::{random_bytes, RandomError};
use crate::state::AppState;
use crate::store::{ApiKeyRecord, DbTime, Store, StoreError};

const PREFIX: &str = "ask_";
const ID_LEN: usize = 16;
const SECRET_LEN: usize = 43;

/// A freshly made API key: the full key (shown once) and its stored record.
pub struct NewApiKey {
    /// The complete key to hand to the operator once; zeroized on drop.
    pub key: Zeroizing<String>,
    /// What the store keeps.
    pub record: ApiKeyRecord,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("key", &"<redacted>")
            .field("record", &self.record)
            .finish()
    }
}

/// Makes a random API key for `tenant_id`.
pub fn make_api_key(tenant_id: &str, now: DbTime) -> Result<NewApiKey, RandomError> {
    let id: String = random_bytes::<8>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let secret = Zeroizing::new(URL_SAFE_NO_PAD.encode(*Zeroizing::new(random_bytes::<32>()?)));
    let key = Zeroizing::new(format!("{PREFIX}{id}_{}", secret.as_str()));
    Ok(NewApiKey {
        key,
        record: ApiKeyRecord {
            id,
            tenant_id: tenant_id.to_owned(),
            secret_hash: hash_secret(&secret),
            created_at: now,
            revoked_at: None,
        },
    })
}

fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Splits a presented key into (id, secret) after cheap shape checks.
pub fn parse_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    if rest.len() != ID_LEN + 1 + SECRET_LEN {
        return None;
    }
    let (id, secret) = (rest.get(..ID_LEN)?, rest.get(ID_LEN + 1..)?);
    if rest.as_bytes().get(ID_LEN) != Some(&b'_') {
        return None;
    }
    let id_ok = id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((id, secret))
}

/// Checks a presented key against the store; the tenant it acts for.
pub async fn verify_api_key(store: &dyn Store, key: &str) -> Result<Option<String>, StoreError> {
    let Some((id, secret)) = parse_api_key(key) else {
        return Ok(None);
    };
    let Some(record) = store.api_key(id).await? else {
        return Ok(None);
    };
    let matches: bool = hash_secret(secret).ct_eq(&record.secret_hash).into();
    Ok((matches && record.revoked_at.is_none()).then_some(record.tenant_id))
}

/// An authenticated relying party: the tenant its API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpAuth {
    /// The tenant the request acts for.
    pub tenant_id: String,
}

fn unauthorized() -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        "missing, invalid or revoked API key (expected Authorization: Bearer ask_...)",
    )
}

impl FromRequestParts<AppState> for RpAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(unauthorized)?
            .to_str()
            .map_err(|_| unauthorized())?;
        let key = header.strip_prefix("Bearer ").ok_or_else(unauthorized)?;
        match verify_api_key(state.store.as_ref(), key.trim()).await? {
            Some(tenant_id) => Ok(Self { tenant_id }),
            None => Err(unauthorized()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Tenant, TenantStore};

    #[test]
    fn made_keys_parse_back() {
        let made = make_api_key("t1", 0).unwrap();
        let (id, secret) = parse_api_key(&made.key).unwrap();
        assert_eq!(id, made.record.id);
        assert_eq!(hash_secret(secret), made.record.secret_hash);
        assert!(!format!("{made:?}").contains(secret));
    }

    #[test]
    fn malformed_keys_are_refused_cheaply() {
        let made = make_api_key("t1", 0).unwrap();
        let good = made.key.as_str();
        assert!(parse_api_key(good).is_some());
        for bad in [
            "",
            "ask_",
            &good[1..],
            &good[..good.len() - 1],
            &format!("{good}x"),
            &good.replacen("ask_", "ASK_", 1),
            &good.replacen('_', "-", 2),
            &format!("ask_{}_{}", "G".repeat(16), "a".repeat(43)),
            &format!("ask_{}_{}", "a".repeat(16), "+".repeat(43)),
        ] {
            assert!(parse_api_key(bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn verify_checks_secret_and_revocation() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_tenant(&Tenant {
                id: "t1".into(),
                name: "one".into(),
                created_at: 0,
            })
            .await
            .unwrap();
        let made = make_api_key("t1", 0).unwrap();
        store.create_api_key(&made.record).await.unwrap();
        assert_eq!(
            verify_api_key(&store, &made.key).await.unwrap().as_deref(),
            Some("t1")
        );
        // Same id, different secret.
        let forged = format!("{}{}", &made.key[..made.key.len() - 1], "A");
        let forged = if forged == *made.key {
            format!("{}{}", &made.key[..made.key.len() - 1], "B")
        } else {
            forged
        };
        assert_eq!(verify_api_key(&store, &forged).await.unwrap(), None);
        assert!(store.revoke_api_key(&made.record.id, 5).await.unwrap());
        assert_eq!(verify_api_key(&store, &made.key).await.unwrap(), None);
        assert!(!store.revoke_api_key(&made.record.id, 6).await.unwrap());
    }
}
