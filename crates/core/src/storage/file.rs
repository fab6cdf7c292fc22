//! File-backed storage for desktop hosts and tests, with atomic replace.
//!
//! `put` writes a temporary file in the same directory, fsyncs it, renames it
//! over the target and fsyncs the directory, so a crash at any point leaves
//! either the old or the new blob, never a torn one. Temporary files start
//! with a dot, which blob names never do, so leftovers are never read.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{check_name, SecureStorage, StorageError};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A [`SecureStorage`] keeping each blob in a file of one directory.
///
/// Files are created with mode 0600 and the directory with 0700 on Unix.
/// The storage does no encryption of its own: the vault is encrypted before
/// it gets here.
#[derive(Debug, Clone)]
pub struct FileStorage {
    dir: PathBuf,
}

impl FileStorage {
    /// Storage in `dir`, created (with parents) if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let dir = dir.into();
        create_private_dir(&dir)?;
        Ok(Self { dir })
    }

    /// The directory holding the blobs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the file holding blob `name`.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, StorageError> {
        check_name(name)?;
        Ok(self.dir.join(name))
    }

    fn temp_path(&self, name: &str) -> PathBuf {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join(format!(".{name}.{}.{n}.tmp", std::process::id()))
    }

    /// Writes `bytes` to a new temporary file and syncs it; returns its path.
    fn write_temp(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, StorageError> {
        let temp = self.temp_path(name);
        let result = (|| {
            let mut file = private_options().open(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        match result {
            Ok(()) => Ok(temp),
            Err(e) => {
                let _ = fs::remove_file(&temp);
                Err(e.into())
            }
        }
    }

    /// Simulates a crash in the middle of `put`: only the first `written`
    /// bytes reach the temporary file and the rename never happens.
    #[cfg(test)]
    pub(crate) fn put_interrupted(
        &self,
        name: &str,
        bytes: &[u8],
        written: usize,
    ) -> Result<PathBuf, StorageError> {
        check_name(name)?;
        let cut = written.min(bytes.len());
        self.write_temp(name, bytes.get(..cut).unwrap_or_default())
    }
}

impl SecureStorage for FileStorage {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match fs::read(self.path_of(name)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let target = self.path_of(name)?;
        let temp = self.write_temp(name, bytes)?;
        if let Err(e) = fs::rename(&temp, &target) {
            let _ = fs::remove_file(&temp);
            return Err(e.into());
        }
        sync_dir(&self.dir)?;
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StorageError> {
        match fs::remove_file(self.path_of(name)?) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Options for creating a new file readable only by its owner.
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and parents), private to its owner on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    Ok(())
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be
/// opened, i.e. Windows).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_replace_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStorage::new(dir.path().join("sub")).unwrap();
        assert_eq!(s.get("vault").unwrap(), None);
        s.put("vault", b"one").unwrap();
        s.put("vault", b"two").unwrap();
        assert_eq!(s.get("vault").unwrap().as_deref(), Some(&b"two"[..]));
        s.delete("vault").unwrap();
        s.delete("vault").unwrap();
        assert_eq!(s.get("vault").unwrap(), None);
    }

    #[test]
    fn leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStorage::new(dir.path()).unwrap();
        s.put("vault", b"one").unwrap();
        s.put("vault", b"two").unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("vault")]);
    }

    #[test]
    fn interrupted_write_keeps_previous_blob() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStorage::new(dir.path()).unwrap();
        s.put("vault", b"previous").unwrap();
        let temp = s.put_interrupted("vault", b"replacement", 4).unwrap();
        assert!(temp.exists(), "the crash leaves a temp file behind");
        assert_eq!(s.get("vault").unwrap().as_deref(), Some(&b"previous"[..]));
        // The next write succeeds despite the leftover.
        s.put("vault", b"next").unwrap();
        assert_eq!(s.get("vault").unwrap().as_deref(), Some(&b"next"[..]));
    }

    #[test]
    fn rejects_path_names() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStorage::new(dir.path()).unwrap();
        assert!(matches!(
            s.put("../escape", b"x"),
            Err(StorageError::InvalidName(_))
        ));
        assert!(s.get(".hidden").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = FileStorage::new(dir.path().join("home")).unwrap();
        s.put("vault", b"x").unwrap();
        let mode = fs::metadata(s.path_of("vault").unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = fs::metadata(s.dir()).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
    }
}
