//! Salted password hashing of backup codes and application passwords.
//!
//! Hashing sits behind [`SecretHasher`] so tests can count invocations (one
//! check costs at most one hash) and the cost can be raised without touching
//! the callers. Hashes are stored as self-describing PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so raising the cost later
//! does not break stored hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result};

/// Length of the random salt of each hash, in bytes (128 bits).
pub const SALT_LEN: usize = 16;

/// A salted, slow password hash.
pub trait SecretHasher: Send + Sync {
    /// Hashes `secret` with `salt` into a PHC string.
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> Result<String>;
    /// Whether `secret` matches the PHC string `encoded`; the final comparison
    /// is constant-time.
    fn verify(&self, secret: &[u8], encoded: &str) -> Result<bool>;
}

/// Argon2id, by default with OWASP's minimum parameters
/// (m = 19456 KiB, t = 2, p = 1).
#[derive(Clone)]
pub struct Argon2idHasher {
    params: Params,
}

impl std::fmt::Debug for Argon2idHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2idHasher")
            .field("m_kib", &self.params.m_cost())
            .field("t", &self.params.t_cost())
            .field("p", &self.params.p_cost())
            .finish()
    }
}

impl Argon2idHasher {
    /// OWASP's minimum memory cost, KiB.
    pub const OWASP_M_KIB: u32 = 19_456;
    /// OWASP's minimum number of passes with that memory.
    pub const OWASP_T: u32 = 2;
    /// OWASP's parallelism.
    pub const OWASP_P: u32 = 1;

    /// OWASP's minimum: m = 19456 KiB, t = 2, p = 1.
    pub fn owasp() -> Self {
        // These constants are valid argon2 parameters; the fallback (argon2's
        // own default) is the same triple.
        let params =
            Params::new(Self::OWASP_M_KIB, Self::OWASP_T, Self::OWASP_P, None).unwrap_or_default();
        Self { params }
    }

    /// Stronger parameters. Refuses anything below OWASP's minimum
    /// (`m_kib` < 19456 or `t` < 2 or `p` < 1).
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self> {
        if m_kib < Self::OWASP_M_KIB || t < Self::OWASP_T || p < Self::OWASP_P {
            return Err(Error::HashParams("below the OWASP minimum"));
        }
        let params =
            Params::new(m_kib, t, p, None).map_err(|_| Error::HashParams("out of range"))?;
        Ok(Self { params })
    }

    /// Cheap parameters, for unit tests only; never compiled into the library.
    #[cfg(test)]
    pub(crate) fn fast_for_tests() -> Self {
        let params = Params::new(64, 1, 1, None).unwrap();
        Self { params }
    }

    /// (memory KiB, passes, lanes).
    pub fn params(&self) -> (u32, u32, u32) {
        (
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
        )
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

impl Default for Argon2idHasher {
    fn default() -> Self {
        Self::owasp()
    }
}

impl SecretHasher for Argon2idHasher {
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> Result<String> {
        let salt = SaltString::encode_b64(salt)?;
        let hash = self.argon2().hash_password(secret, &salt)?;
        Ok(hash.to_string())
    }

    fn verify(&self, secret: &[u8], encoded: &str) -> Result<bool> {
        let parsed = PasswordHash::new(encoded)?;
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            return Err(Error::PasswordHash(argon2::password_hash::Error::Algorithm));
        }
        // Verification uses the parameters stored in the hash itself.
        match self.argon2().verify_password(secret, &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl<H: SecretHasher + ?Sized> SecretHasher for std::sync::Arc<H> {
    fn hash(&self, secret: &[u8], salt: &[u8; SALT_LEN]) -> Result<String> {
        (**self).hash(secret, salt)
    }
    fn verify(&self, secret: &[u8], encoded: &str) -> Result<bool> {
        (**self).verify(secret, encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_at_least_owasp() {
        let (m, t, p) = Argon2idHasher::default().params();
        assert!(m >= 19_456 && t >= 2 && p >= 1, "{m} {t} {p}");
        assert!(Argon2idHasher::new(19_455, 2, 1).is_err());
        assert!(Argon2idHasher::new(19_456, 1, 1).is_err());
        assert!(Argon2idHasher::new(65_536, 3, 1).is_ok());
    }

    #[test]
    fn hash_is_salted_phc_and_verifies() {
        let h = Argon2idHasher::fast_for_tests();
        let a = h.hash(b"abcde-fghij", &[1; SALT_LEN]).unwrap();
        let b = h.hash(b"abcde-fghij", &[2; SALT_LEN]).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(h.verify(b"abcde-fghij", &a).unwrap());
        assert!(!h.verify(b"abcde-fghik", &a).unwrap());
        assert!(h.verify(b"x", "not a hash").is_err());
    }

    #[test]
    fn owasp_hash_records_its_parameters() {
        let h = Argon2idHasher::owasp();
        let a = h.hash(b"secret", &[3; SALT_LEN]).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        // A cheap verifier still checks against the stored (OWASP) parameters.
        assert!(Argon2idHasher::fast_for_tests()
            .verify(b"secret", &a)
            .unwrap());
    }
}
