//! The password-based key derivation of backup files: argon2id (version
//! 0x13) with the parameters stored in the file's header, bounded so a
//! hostile file cannot make a restore take forever or exhaust memory.

use zeroize::Zeroizing;

use super::error::BackupError;

/// The KDF id byte for argon2id v0x13.
pub const KDF_ARGON2ID: u8 = 1;

/// Bytes derived from the password: 32 of AES-256-GCM key, then 16 of
/// password check.
pub(crate) const DERIVED_LEN: usize = 48;

/// Smallest accepted memory, KiB (argon2's own floor is 8 · p).
pub const MIN_MEMORY_KIB: u32 = 8;
/// Largest accepted memory, KiB (256 MiB).
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// Largest accepted number of passes.
pub const MAX_ITERATIONS: u32 = 10;
/// Largest accepted parallelism (lanes).
pub const MAX_PARALLELISM: u32 = 4;

/// argon2id parameters, as stored in a backup header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl KdfParams {
    /// The parameters new backups use: m = 65536 KiB (64 MiB), t = 3, p = 1.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 65_536,
        iterations: 3,
        parallelism: 1,
    };

    /// Refuses parameters outside the accepted bounds.
    pub fn check(&self) -> Result<(), BackupError> {
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return Err(BackupError::BadKdfParams("parallelism"));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(BackupError::BadKdfParams("iterations"));
        }
        let floor = MIN_MEMORY_KIB.max(8 * self.parallelism);
        if self.memory_kib < floor || self.memory_kib > MAX_MEMORY_KIB {
            return Err(BackupError::BadKdfParams("memory"));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// argon2id(password, salt) to [`DERIVED_LEN`] bytes, zeroized on drop.
pub(crate) fn derive(
    params: &KdfParams,
    password: &[u8],
    salt: &[u8],
) -> Result<Zeroizing<[u8; DERIVED_LEN]>, BackupError> {
    params.check()?;
    let p = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(DERIVED_LEN),
    )
    .map_err(|_| BackupError::BadKdfParams("argon2"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; DERIVED_LEN]);
    argon
        .hash_password_into(password, salt, out.as_mut())
        .map_err(|_| BackupError::BadKdfParams("argon2"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(KdfParams::DEFAULT.check().is_ok());
        let p = |m, t, p| KdfParams {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        };
        assert!(p(8, 1, 1).check().is_ok());
        assert!(p(7, 1, 1).check().is_err());
        assert!(p(16, 1, 4).check().is_err());
        assert!(p(MAX_MEMORY_KIB + 1, 1, 1).check().is_err());
        assert!(p(64, 0, 1).check().is_err());
        assert!(p(64, 11, 1).check().is_err());
        assert!(p(64, 1, 0).check().is_err());
        assert!(p(64, 1, 5).check().is_err());
        assert!(p(u32::MAX, u32::MAX, u32::MAX).check().is_err());
    }

    #[test]
    fn derive_is_deterministic() {
        let params = KdfParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let a = derive(&params, b"pw", &[1; 16]).unwrap();
        let b = derive(&params, b"pw", &[1; 16]).unwrap();
        let c = derive(&params, b"px", &[1; 16]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
