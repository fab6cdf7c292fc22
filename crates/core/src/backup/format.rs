//! The backup file's bytes: a fixed 71-byte header, then the AES-256-GCM
//! ciphertext of the payload and its 16-byte tag. The whole header is the
//! AEAD's associated data. See docs/backup.md for the layout.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::error::BackupError;
use super::kdf::{self, KdfParams, KDF_ARGON2ID};

/// The first 8 bytes of every backup file.
pub const MAGIC: &[u8; 8] = b"ASSENTBK";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 71;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Salt length.
pub const SALT_LEN: usize = 16;
/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Password-check length.
pub const CHECK_LEN: usize = 16;
/// Largest backup file accepted or written (4 MiB).
pub const MAX_BACKUP_BYTES: usize = 4 << 20;

/// The random inputs of one backup.
pub(crate) struct Randomness {
    pub salt: [u8; SALT_LEN],
    pub nonce: [u8; NONCE_LEN],
}

struct Header {
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    check: [u8; CHECK_LEN],
    ct_len: usize,
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_be_bytes(x)
}

fn array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut x = [0u8; N];
    if let Some(s) = b.get(at..at + N) {
        x.copy_from_slice(s);
    }
    x
}

fn encode_header(h: &Header) -> Result<[u8; HEADER_LEN], BackupError> {
    let ct_len = u32::try_from(h.ct_len).map_err(|_| BackupError::TooLarge)?;
    let mut out = [0u8; HEADER_LEN];
    let mut w = 0;
    let mut put = |bytes: &[u8]| {
        if let Some(dst) = out.get_mut(w..w + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        w += bytes.len();
    };
    put(MAGIC);
    put(&VERSION.to_be_bytes());
    put(&[KDF_ARGON2ID]);
    put(&h.params.memory_kib.to_be_bytes());
    put(&h.params.iterations.to_be_bytes());
    put(&h.params.parallelism.to_be_bytes());
    put(&h.salt);
    put(&h.nonce);
    put(&h.check);
    put(&ct_len.to_be_bytes());
    Ok(out)
}

/// Cheap checks first, in this order: magic, size, version, length, KDF.
fn parse_header(file: &[u8]) -> Result<Header, BackupError> {
    if file.len() < MAGIC.len() || file.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(BackupError::NotABackup);
    }
    if file.len() > MAX_BACKUP_BYTES {
        return Err(BackupError::TooLarge);
    }
    if file.len() < 10 {
        return Err(BackupError::Truncated);
    }
    let version = u16::from_be_bytes(array(file, 8));
    if version != VERSION {
        return Err(BackupError::UnsupportedVersion(version));
    }
    if file.len() < HEADER_LEN + TAG_LEN {
        return Err(BackupError::Truncated);
    }
    let ct_len = usize::try_from(be32(file, 67)).map_err(|_| BackupError::TooLarge)?;
    let want = HEADER_LEN
        .checked_add(ct_len)
        .and_then(|n| n.checked_add(TAG_LEN))
        .ok_or(BackupError::TooLarge)?;
    if file.len() < want {
        return Err(BackupError::Truncated);
    }
    if file.len() > want {
        return Err(BackupError::Corrupted);
    }
    if file.get(10) != Some(&KDF_ARGON2ID) {
        return Err(BackupError::BadKdfParams("unknown KDF"));
    }
    let params = KdfParams {
        memory_kib: be32(file, 11),
        iterations: be32(file, 15),
        parallelism: be32(file, 19),
    };
    params.check()?;
    Ok(Header {
        params,
        salt: array(file, 23),
        nonce: array(file, 39),
        check: array(file, 51),
        ct_len,
    })
}

/// Reads a backup file's header without the password: the cheap checks a
/// restore makes before any hashing (magic, size, version, length, KDF
/// bounds), returning the argon2id parameters a restore will use.
pub fn inspect(file: &[u8]) -> Result<KdfParams, BackupError> {
    parse_header(file).map(|h| h.params)
}

fn aead_key(derived: &[u8]) -> Result<LessSafeKey, BackupError> {
    let key = derived.get(..32).ok_or(BackupError::Corrupted)?;
    let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| BackupError::Corrupted)?;
    Ok(LessSafeKey::new(key))
}

/// Encrypts `payload` into a backup file.
pub(crate) fn seal(
    payload: &[u8],
    password: &[u8],
    params: KdfParams,
    random: Randomness,
) -> Result<Vec<u8>, BackupError> {
    if password.is_empty() {
        return Err(BackupError::EmptyPassword);
    }
    if payload.len() > MAX_BACKUP_BYTES - HEADER_LEN - TAG_LEN {
        return Err(BackupError::TooLarge);
    }
    let derived = kdf::derive(&params, password, &random.salt)?;
    let header = encode_header(&Header {
        params,
        salt: random.salt,
        nonce: random.nonce,
        check: array(derived.as_ref(), 32),
        ct_len: payload.len(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TAG_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    let mut body = out.split_off(HEADER_LEN);
    aead_key(derived.as_ref())?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(random.nonce),
            Aad::from(&header),
            &mut body,
        )
        .map_err(|_| BackupError::Corrupted)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks and decrypts a backup file; returns the payload, zeroized on drop.
pub(crate) fn open(file: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, BackupError> {
    let header = parse_header(file)?;
    let derived = kdf::derive(&header.params, password, &header.salt)?;
    let check = derived
        .get(32..32 + CHECK_LEN)
        .ok_or(BackupError::Corrupted)?;
    if !bool::from(check.ct_eq(&header.check)) {
        return Err(BackupError::WrongPassword);
    }
    let aad = file.get(..HEADER_LEN).ok_or(BackupError::Truncated)?;
    let mut buf = Zeroizing::new(file.get(HEADER_LEN..).unwrap_or_default().to_vec());
    let len = aead_key(derived.as_ref())?
        .open_in_place(
            Nonce::assume_unique_for_key(header.nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| BackupError::Corrupted)?
        .len();
    if len != header.ct_len {
        return Err(BackupError::Corrupted);
    }
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn file() -> Vec<u8> {
        seal(
            b"{\"hello\":1}",
            b"pw",
            SMALL,
            Randomness {
                salt: [1; 16],
                nonce: [2; 12],
            },
        )
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let f = file();
        assert_eq!(f.len(), HEADER_LEN + 11 + TAG_LEN);
        assert_eq!(&f[..8], MAGIC);
        assert_eq!(open(&f, b"pw").unwrap().as_slice(), b"{\"hello\":1}");
        assert_eq!(open(&f, b"px").unwrap_err(), BackupError::WrongPassword);
    }

    #[test]
    fn every_altered_byte_is_refused() {
        let f = file();
        for i in 0..f.len() {
            let mut bad = f.clone();
            bad[i] ^= 0x01;
            assert!(open(&bad, b"pw").is_err(), "byte {i}");
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let f = file();
        for n in 0..f.len() {
            let err = open(&f[..n], b"pw").unwrap_err();
            let want = if n < 8 {
                BackupError::NotABackup
            } else {
                BackupError::Truncated
            };
            assert_eq!(err, want, "length {n}");
        }
        let mut long = f.clone();
        long.push(0);
        assert_eq!(open(&long, b"pw").unwrap_err(), BackupError::Corrupted);
    }

    #[test]
    fn header_errors() {
        let f = file();
        let mut v = f.clone();
        v[9] = 2;
        assert_eq!(
            open(&v, b"pw").unwrap_err(),
            BackupError::UnsupportedVersion(2)
        );
        let mut k = f.clone();
        k[10] = 2;
        assert!(matches!(open(&k, b"pw"), Err(BackupError::BadKdfParams(_))));
        let mut m = f.clone();
        m[11..15].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(open(&m, b"pw"), Err(BackupError::BadKdfParams(_))));
        assert_eq!(
            open(b"PK\x03\x04junk", b"pw").unwrap_err(),
            BackupError::NotABackup
        );
        let mut huge = f.clone();
        huge.resize(MAX_BACKUP_BYTES + 1, 0);
        assert_eq!(open(&huge, b"pw").unwrap_err(), BackupError::TooLarge);
        let empty = seal(
            b"x",
            b"",
            SMALL,
            Randomness {
                salt: [0; 16],
                nonce: [0; 12],
            },
        );
        assert_eq!(empty.unwrap_err(), BackupError::EmptyPassword);
    }
}
