//! The APNs provider token: an ES256 JWT (`kid` = key id, `iss` = team id,
//! `iat`), reused and refreshed between [`JWT_MIN_AGE`] and [`JWT_MAX_AGE`].
//! Apple refuses tokens older than an hour (ExpiredProviderToken) and answers
//! TooManyProviderTokenUpdates to tokens changed more often than every 20 minutes.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::clock::unix_secs;
use crate::error::{Error, Result};
use crate::pem::pkcs8_der;
use crate::secret::Bearer;

/// Never re-sign a token younger than this.
pub const JWT_MIN_AGE: Duration = Duration::from_secs(20 * 60);
/// Apple refuses tokens older than this.
pub const JWT_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// An APNs signing key (.p8) with its key id and team id.
pub struct ApnsKey {
    pair: EcdsaKeyPair,
    key_id: String,
    team_id: String,
}

impl std::fmt::Debug for ApnsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsKey")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ApnsKey {
    /// Reads the `.p8` file's text (a PKCS#8 P-256 key in PEM) with the 10-character
    /// key id and team id shown in the Apple developer account.
    pub fn from_p8(p8_pem: &str, key_id: &str, team_id: &str) -> Result<Self> {
        let der = pkcs8_der(p8_pem).ok_or(Error::ApnsKey("not a PEM PRIVATE KEY block"))?;
        Self::from_pkcs8_der(&der, key_id, team_id)
    }

    /// Takes the PKCS#8 DER directly.
    pub fn from_pkcs8_der(der: &[u8], key_id: &str, team_id: &str) -> Result<Self> {
        let ok = |s: &str| {
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if !ok(key_id) {
            return Err(Error::ApnsKey("key id must be ASCII letters and digits"));
        }
        if !ok(team_id) {
            return Err(Error::ApnsKey("team id must be ASCII letters and digits"));
        }
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &SystemRandom::new())
                .map_err(|_| Error::ApnsKey("not a PKCS#8 P-256 key"))?;
        Ok(ApnsKey {
            pair,
            key_id: key_id.to_owned(),
            team_id: team_id.to_owned(),
        })
    }

    /// Signs a provider token issued at `iat`.
    pub(crate) fn sign(&self, iat: SystemTime) -> Option<Bearer> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = serde_json::json!({ "alg": "ES256", "kid": self.key_id });
        let claims = serde_json::json!({ "iss": self.team_id, "iat": unix_secs(iat) });
        let input = format!(
            "{}.{}",
            b64.encode(header.to_string()),
            b64.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .ok()?;
        Some(Bearer::new(format!("{input}.{}", b64.encode(sig.as_ref()))))
    }
}

/// The current token and when it may or must change.
struct State {
    token: Option<(Bearer, SystemTime, u64)>,
    generation: u64,
    no_resign_before: Option<SystemTime>,
}

/// A token handed out, with the generation it belongs to.
pub(crate) struct IssuedJwt {
    pub(crate) bearer: Bearer,
    pub(crate) generation: u64,
}

/// What to do after APNs said ExpiredProviderToken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterExpired {
    /// A newer token exists now: retry once with it.
    RetryWithNew,
    /// The token is too young to re-sign (or re-signing is paused): fail.
    Keep,
}

/// The shared token cache of one APNs client.
pub(crate) struct JwtCache {
    key: ApnsKey,
    refresh_after: Duration,
    state: Mutex<State>,
}

impl JwtCache {
    /// `refresh_after` is clamped to [`JWT_MIN_AGE`]..[`JWT_MAX_AGE`] minus a minute.
    pub(crate) fn new(key: ApnsKey, refresh_after: Duration) -> Self {
        JwtCache {
            key,
            refresh_after: refresh_after
                .max(JWT_MIN_AGE)
                .min(JWT_MAX_AGE - Duration::from_secs(60)),
            state: Mutex::new(State {
                token: None,
                generation: 0,
                no_resign_before: None,
            }),
        }
    }

    fn resign(&self, state: &mut State, now: SystemTime) -> Option<()> {
        let bearer = self.key.sign(now)?;
        state.generation += 1;
        state.token = Some((bearer, now, state.generation));
        Some(())
    }

    /// The token to use at `now`, signing a new one when there is none or it is due.
    pub(crate) fn current(&self, now: SystemTime) -> Option<IssuedJwt> {
        let mut state = self.state.lock().ok()?;
        let due = match &state.token {
            None => true,
            Some((_, issued, _)) => {
                let age = now.duration_since(*issued).unwrap_or(Duration::ZERO);
                let paused = state.no_resign_before.is_some_and(|t| now < t);
                age >= self.refresh_after && (!paused || age >= JWT_MAX_AGE)
            }
        };
        if due {
            self.resign(&mut state, now)?;
        }
        state.token.as_ref().map(|(b, _, g)| IssuedJwt {
            bearer: b.clone(),
            generation: *g,
        })
    }

    /// APNs said ExpiredProviderToken to the token of `generation`. Re-signs only if
    /// the token is at least [`JWT_MIN_AGE`] old and re-signing is not paused: a
    /// younger token rejected as expired means a clock problem that a new token
    /// with the same clock cannot fix, and re-signing more often draws
    /// TooManyProviderTokenUpdates.
    pub(crate) fn on_expired(&self, now: SystemTime, generation: u64) -> AfterExpired {
        let Ok(mut state) = self.state.lock() else {
            return AfterExpired::Keep;
        };
        let Some((_, issued, current_gen)) = &state.token else {
            return AfterExpired::Keep;
        };
        if *current_gen != generation {
            return AfterExpired::RetryWithNew;
        }
        let age = now.duration_since(*issued).unwrap_or(Duration::ZERO);
        let paused = state.no_resign_before.is_some_and(|t| now < t);
        if age < JWT_MIN_AGE || paused {
            return AfterExpired::Keep;
        }
        match self.resign(&mut state, now) {
            Some(()) => AfterExpired::RetryWithNew,
            None => AfterExpired::Keep,
        }
    }

    /// APNs said TooManyProviderTokenUpdates: no re-signing for [`JWT_MIN_AGE`]
    /// (unless the token would pass [`JWT_MAX_AGE`]).
    pub(crate) fn on_too_many_updates(&self, now: SystemTime) {
        if let Ok(mut state) = self.state.lock() {
            state.no_resign_before = Some(now + JWT_MIN_AGE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    fn key() -> ApnsKey {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        ApnsKey::from_pkcs8_der(doc.as_ref(), "KEYID12345", "TEAMID1234").unwrap()
    }

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn signs_a_verifiable_es256_jwt() {
        let k = key();
        let jwt = k.sign(t(1_700_000_000)).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg":"ES256","kid":"KEYID12345"})
        );
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({"iss":"TEAMID1234","iat":1_700_000_000u64})
        );
        let public = UnparsedPublicKey::new(
            &ECDSA_P256_SHA256_FIXED,
            k.pair.public_key().as_ref().to_vec(),
        );
        let input = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(input.as_bytes(), &b64.decode(parts[2]).unwrap())
            .unwrap();
        assert!(!format!("{k:?}").contains("BEGIN"));
    }

    #[test]
    fn refuses_bad_keys_and_ids() {
        assert!(ApnsKey::from_p8("nope", "K", "T").is_err());
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        assert!(ApnsKey::from_pkcs8_der(doc.as_ref(), "bad id", "T").is_err());
        assert!(ApnsKey::from_pkcs8_der(b"garbage", "K", "T").is_err());
    }

    #[test]
    fn reused_then_refreshed_at_refresh_after() {
        let c = JwtCache::new(key(), Duration::from_secs(50 * 60));
        let a = c.current(t(0)).unwrap();
        let b = c.current(t(49 * 60 + 59)).unwrap();
        assert_eq!(a.generation, b.generation);
        assert_eq!(a.bearer.expose(), b.bearer.expose());
        let n = c.current(t(50 * 60)).unwrap();
        assert_eq!(n.generation, a.generation + 1);
        assert_ne!(n.bearer.expose(), a.bearer.expose());
    }

    #[test]
    fn refresh_interval_is_clamped() {
        let c = JwtCache::new(key(), Duration::from_secs(60));
        let g = c.current(t(0)).unwrap().generation;
        assert_eq!(c.current(t(19 * 60)).unwrap().generation, g);
        assert_eq!(c.current(t(20 * 60)).unwrap().generation, g + 1);
        let c = JwtCache::new(key(), Duration::from_secs(3 * 3600));
        let g = c.current(t(0)).unwrap().generation;
        assert_eq!(c.current(t(59 * 60)).unwrap().generation, g + 1);
    }

    #[test]
    fn expired_resigns_only_after_min_age() {
        let c = JwtCache::new(key(), Duration::from_secs(50 * 60));
        let g = c.current(t(0)).unwrap().generation;
        assert_eq!(c.on_expired(t(19 * 60), g), AfterExpired::Keep);
        assert_eq!(c.on_expired(t(21 * 60), g), AfterExpired::RetryWithNew);
        let g2 = c.current(t(21 * 60)).unwrap().generation;
        assert_eq!(g2, g + 1);
        // Another send that used the old token just retries with the new one.
        assert_eq!(c.on_expired(t(21 * 60), g), AfterExpired::RetryWithNew);
        assert_eq!(c.current(t(21 * 60)).unwrap().generation, g2);
    }

    #[test]
    fn too_many_updates_pauses_resigning() {
        let c = JwtCache::new(key(), Duration::from_secs(50 * 60));
        let g = c.current(t(0)).unwrap().generation;
        c.on_too_many_updates(t(45 * 60));
        assert_eq!(c.current(t(55 * 60)).unwrap().generation, g);
        assert_eq!(c.on_expired(t(56 * 60), g), AfterExpired::Keep);
        // Past an hour the old token is useless: sign anyway.
        assert_eq!(c.current(t(60 * 60)).unwrap().generation, g + 1);
    }
}
