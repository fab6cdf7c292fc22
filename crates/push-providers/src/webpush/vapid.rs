//! VAPID (RFC 8292): the relay's P-256 key and the ES256 JWT it sends with every push,
//! `Authorization: vapid t=<jwt>, k=<public key>`. The JWT names the push service's
//! origin (`aud`), an expiry (`exp`, at most 24 h ahead; [`VAPID_JWT_LIFETIME`]) and the
//! operator's contact (`sub`, a `mailto:` or `https:` URI). One token per push service
//! origin is reused until [`VAPID_JWT_REFRESH`] before it expires.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::pem::pkcs8_der;
use crate::secret::Bearer;

/// How long a VAPID JWT is valid (RFC 8292 allows at most 24 hours).
pub const VAPID_JWT_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// A cached JWT is replaced when it has less than this left.
pub const VAPID_JWT_REFRESH: Duration = Duration::from_secs(3600);
/// Push service origins whose JWT is cached at once (the cache starts over beyond).
const MAX_CACHED_ORIGINS: usize = 1024;

/// The relay's VAPID key pair. The private key is never shown in `Debug`.
pub struct VapidKey {
    signing: SigningKey,
    public_b64: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_b64)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl VapidKey {
    /// Reads a key file's text: a PEM `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1)
    /// block, or the 32-byte private scalar in base64url (what `web-push
    /// generate-vapid-keys` and most VAPID tools print).
    pub fn from_text(text: &str) -> Result<Self> {
        let text = text.trim();
        let signing = if text.contains("-----BEGIN PRIVATE KEY-----") {
            let der = pkcs8_der(text).ok_or(Error::VapidKey("not a PEM PRIVATE KEY block"))?;
            SigningKey::from_pkcs8_der(&der)
                .map_err(|_| Error::VapidKey("not a PKCS#8 P-256 key"))?
        } else if text.contains("-----BEGIN EC PRIVATE KEY-----") {
            let der = sec1_der(text).ok_or(Error::VapidKey("not a PEM EC PRIVATE KEY block"))?;
            p256::SecretKey::from_sec1_der(&der)
                .map(SigningKey::from)
                .map_err(|_| Error::VapidKey("not a SEC1 P-256 key"))?
        } else {
            let raw = Zeroizing::new(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(text.trim_end_matches('='))
                    .map_err(|_| Error::VapidKey("neither PEM nor base64url"))?,
            );
            if raw.len() != 32 {
                return Err(Error::VapidKey("a base64url key must be 32 bytes"));
            }
            SigningKey::from_slice(&raw).map_err(|_| Error::VapidKey("not a P-256 private key"))?
        };
        Ok(Self::from_signing(signing))
    }

    fn from_signing(signing: SigningKey) -> Self {
        let point = signing.verifying_key().to_encoded_point(false);
        let public_b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(point.as_bytes());
        VapidKey {
            signing,
            public_b64,
        }
    }

    /// The public key (uncompressed point, base64url): the `applicationServerKey` /
    /// VAPID key the app subscribes with, and the `k=` of every push.
    pub fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// Signs a JWT for push service origin `aud`, valid until `exp` (Unix seconds).
    pub(crate) fn sign(&self, aud: &str, exp: u64, sub: &str) -> Option<Bearer> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = serde_json::json!({ "typ": "JWT", "alg": "ES256" });
        let claims = serde_json::json!({ "aud": aud, "exp": exp, "sub": sub });
        let input = format!(
            "{}.{}",
            b64.encode(header.to_string()),
            b64.encode(claims.to_string())
        );
        let sig: Signature = self.signing.try_sign(input.as_bytes()).ok()?;
        Some(Bearer::new(format!(
            "{input}.{}",
            b64.encode(sig.to_bytes())
        )))
    }
}

/// The DER of the first `-----BEGIN EC PRIVATE KEY-----` block.
fn sec1_der(pem: &str) -> Option<Zeroizing<Vec<u8>>> {
    let pkcs8_like = pem
        .replace(
            "-----BEGIN EC PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----",
        )
        .replace("-----END EC PRIVATE KEY-----", "-----END PRIVATE KEY-----");
    pkcs8_der(&Zeroizing::new(pkcs8_like))
}

/// Checks the operator's contact: a `mailto:` or `https://` URI (RFC 8292 §2.1).
pub(crate) fn check_contact(contact: &str) -> Result<()> {
    let ok = (contact.starts_with("mailto:") && contact.len() > 7
        || contact.starts_with("https://") && contact.len() > 8)
        && contact.len() <= 256
        && contact.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(Error::Config(
            "the Web Push contact must be a mailto: or https:// URI",
        ))
    }
}

/// The JWTs of one client, one per push service origin.
pub(crate) struct VapidCache {
    key: VapidKey,
    contact: String,
    tokens: Mutex<HashMap<String, (Bearer, u64)>>,
}

impl VapidCache {
    pub(crate) fn new(key: VapidKey, contact: String) -> Self {
        VapidCache {
            key,
            contact,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn key(&self) -> &VapidKey {
        &self.key
    }

    /// The JWT for `origin` at `now` (Unix seconds), signed anew when missing or due.
    pub(crate) fn current(&self, origin: &str, now: u64) -> Option<Bearer> {
        let mut tokens = self.tokens.lock().ok()?;
        if let Some((jwt, exp)) = tokens.get(origin) {
            if exp.saturating_sub(now) > VAPID_JWT_REFRESH.as_secs() {
                return Some(jwt.clone());
            }
        }
        if tokens.len() >= MAX_CACHED_ORIGINS {
            tokens.clear();
        }
        let exp = now + VAPID_JWT_LIFETIME.as_secs();
        let jwt = self.key.sign(origin, exp, &self.contact)?;
        tokens.insert(origin.to_owned(), (jwt.clone(), exp));
        Some(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    const RAW: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";

    fn parts(jwt: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>, String) {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let p: Vec<&str> = jwt.split('.').collect();
        assert_eq!(p.len(), 3);
        (
            serde_json::from_slice(&b64.decode(p[0]).unwrap()).unwrap(),
            serde_json::from_slice(&b64.decode(p[1]).unwrap()).unwrap(),
            b64.decode(p[2]).unwrap(),
            format!("{}.{}", p[0], p[1]),
        )
    }

    #[test]
    fn signs_a_verifiable_es256_jwt_for_the_origin() {
        let key = VapidKey::from_text(RAW).unwrap();
        // RFC 8291 Appendix A's application server key pair.
        assert_eq!(
            key.public_key(),
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
        let jwt = key
            .sign(
                "https://push.example.net",
                1_700_043_200,
                "mailto:ops@example.com",
            )
            .unwrap();
        let (header, claims, sig, input) = parts(jwt.expose());
        assert_eq!(header, serde_json::json!({"typ":"JWT","alg":"ES256"}));
        assert_eq!(
            claims,
            serde_json::json!({"aud":"https://push.example.net","exp":1_700_043_200u64,"sub":"mailto:ops@example.com"})
        );
        let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(key.public_key())
            .unwrap();
        let verifying = VerifyingKey::from_sec1_bytes(&public).unwrap();
        verifying
            .verify(input.as_bytes(), &Signature::from_slice(&sig).unwrap())
            .unwrap();
        assert!(!format!("{key:?}").contains(RAW));
    }

    #[test]
    fn reads_pem_and_refuses_garbage() {
        use p256::pkcs8::EncodePrivateKey;
        let key = VapidKey::from_text(RAW).unwrap();
        let pem = key
            .signing
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(
            VapidKey::from_text(&pem).unwrap().public_key(),
            key.public_key()
        );
        let sec1 = p256::SecretKey::from(key.signing.as_nonzero_scalar())
            .to_sec1_pem(p256::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(
            VapidKey::from_text(&sec1).unwrap().public_key(),
            key.public_key()
        );
        assert!(VapidKey::from_text("nope!").is_err());
        assert!(VapidKey::from_text("AAAA").is_err());
        assert!(VapidKey::from_text(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err());
    }

    #[test]
    fn one_jwt_per_origin_refreshed_before_expiry() {
        let cache = VapidCache::new(VapidKey::from_text(RAW).unwrap(), "mailto:a@b.c".into());
        let a = cache.current("https://a.example", 1000).unwrap();
        let b = cache.current("https://b.example", 1000).unwrap();
        assert_ne!(a.expose(), b.expose());
        let life = VAPID_JWT_LIFETIME.as_secs() - VAPID_JWT_REFRESH.as_secs();
        assert_eq!(
            cache
                .current("https://a.example", 1000 + life - 1)
                .unwrap()
                .expose(),
            a.expose()
        );
        let renewed = cache.current("https://a.example", 1000 + life).unwrap();
        assert_ne!(renewed.expose(), a.expose());
        let (_, claims, _, _) = parts(renewed.expose());
        assert_eq!(claims["exp"], 1000 + life + VAPID_JWT_LIFETIME.as_secs());
        assert!(VAPID_JWT_LIFETIME <= Duration::from_secs(24 * 3600));
    }

    #[test]
    fn contacts_are_checked() {
        assert!(check_contact("mailto:ops@example.com").is_ok());
        assert!(check_contact("https://example.com/contact").is_ok());
        for bad in [
            "",
            "mailto:",
            "ops@example.com",
            "http://example.com",
            "mailto:a b",
        ] {
            assert!(check_contact(bad).is_err(), "{bad}");
        }
    }
}
