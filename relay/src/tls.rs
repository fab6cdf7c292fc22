//! The relay's TLS identity: rustls (ring provider) with ALPN `h2` and `http/1.1`,
//! from the operator's PEM files or from a development CA that the relay makes at
//! its first zero-config start and reuses afterwards. Serving is `connections.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// File of the development CA certificate, in the working directory: phones
/// (and RPs) must trust it, e.g. `assent phone --ca assent-relay-ca.pem`.
pub const DEV_CA_FILE: &str = "assent-relay-ca.pem";
/// Directory of the development server certificate and key.
pub const DEV_TLS_DIR: &str = "assent-relay-tls";
/// The development server certificate chain (leaf, then CA), inside [`DEV_TLS_DIR`].
pub const DEV_CERT_FILE: &str = "cert.pem";
/// The development server key (mode 0600), inside [`DEV_TLS_DIR`].
pub const DEV_KEY_FILE: &str = "key.pem";

/// How the relay speaks to its clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// HTTPS with a development CA kept in the working directory (the
    /// zero-config default).
    Dev,
    /// HTTPS with the operator's certificate chain and key (PEM files).
    Files {
        /// Certificate chain, leaf first.
        cert: PathBuf,
        /// Private key (PKCS#8, SEC1 or PKCS#1).
        key: PathBuf,
    },
    /// Plain HTTP, for a relay behind a TLS-terminating proxy.
    Plain,
}

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        message: &'static str,
    },
    /// Certificate generation or the rustls configuration failed.
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A certificate chain and key, ready for rustls.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Identity {
    /// Reads a PEM certificate chain and a PEM private key.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_pem = std::fs::read(cert).map_err(io_error(cert))?;
        let key_pem = zeroize::Zeroizing::new(std::fs::read(key).map_err(io_error(key))?);
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|_| TlsError::Pem {
                path: cert.to_owned(),
                message: "not a PEM certificate chain",
            })?;
        if chain.is_empty() {
            return Err(TlsError::Pem {
                path: cert.to_owned(),
                message: "no CERTIFICATE block",
            });
        }
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::Pem {
            path: key.to_owned(),
            message: "no PRIVATE KEY block (PKCS#8, SEC1 or PKCS#1 PEM)",
        })?;
        Ok(Self {
            chain,
            key: key_der,
        })
    }

    /// The rustls server configuration (ring provider, TLS 1.2 and 1.3,
    /// ALPN `h2` then `http/1.1`).
    pub fn server_config(self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .map_err(|e| TlsError::Setup(format!("certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The development CA and server certificate in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevFiles {
    /// The CA certificate clients must trust.
    pub ca: PathBuf,
    /// The server certificate chain.
    pub cert: PathBuf,
    /// The server key.
    pub key: PathBuf,
    /// Whether they were made now (first start) rather than reused.
    pub created: bool,
}

impl DevFiles {
    /// The paths in `dir`, without touching the file system.
    pub fn paths(dir: &Path) -> Self {
        let tls = dir.join(DEV_TLS_DIR);
        Self {
            ca: dir.join(DEV_CA_FILE),
            cert: tls.join(DEV_CERT_FILE),
            key: tls.join(DEV_KEY_FILE),
            created: false,
        }
    }

    /// Reuses the development CA and certificate in `dir`, or makes them
    /// there when none exist: a CA (whose key is thrown away once it has
    /// signed, so it can vouch for nothing else) and a server certificate for
    /// `127.0.0.1`, `localhost` and `::1`. A partial set is an error rather
    /// than silently replaced (phones may trust the old CA).
    pub fn ensure(dir: &Path) -> Result<Self, TlsError> {
        let mut files = Self::paths(dir);
        let present = [&files.ca, &files.cert, &files.key].map(|p| p.exists());
        if present.iter().all(|p| *p) {
            return Ok(files);
        }
        if present.iter().any(|p| *p) {
            return Err(TlsError::Setup(format!(
                "incomplete development TLS files in {}: remove {} and {} to make new ones \
                 (phones must then trust the new CA)",
                dir.display(),
                DEV_CA_FILE,
                DEV_TLS_DIR
            )));
        }
        let (ca_pem, chain_pem, key_pem) = make_dev_certificates()?;
        let tls_dir = dir.join(DEV_TLS_DIR);
        std::fs::create_dir_all(&tls_dir).map_err(io_error(&tls_dir))?;
        write_private(&files.key, key_pem.as_bytes())?;
        std::fs::write(&files.cert, chain_pem).map_err(io_error(&files.cert))?;
        std::fs::write(&files.ca, ca_pem).map_err(io_error(&files.ca))?;
        files.created = true;
        Ok(files)
    }

    /// The server identity from these files.
    pub fn identity(&self) -> Result<Identity, TlsError> {
        Identity::from_pem_files(&self.cert, &self.key)
    }
}

/// (CA PEM, chain PEM, key PEM).
fn make_dev_certificates() -> Result<(String, String, zeroize::Zeroizing<String>), TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let setup = |e: rcgen::Error| TlsError::Setup(e.to_string());
    let ca_key = KeyPair::generate().map_err(setup)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(setup)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "Assent relay development CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(setup)?;
    let leaf_key = KeyPair::generate().map_err(setup)?;
    let mut leaf = CertificateParams::new(vec![
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(setup)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "Assent relay (development)");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(setup)?;
    let ca_pem = ca_cert.pem();
    let chain_pem = format!("{}{}", leaf_cert.pem(), ca_pem);
    Ok((
        ca_pem,
        chain_pem,
        zeroize::Zeroizing::new(leaf_key.serialize_pem()),
    ))
}

/// Writes a secret file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_files_are_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = DevFiles::ensure(dir.path()).unwrap();
        assert!(first.created);
        let cert = std::fs::read(&first.cert).unwrap();
        let ca = std::fs::read(&first.ca).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        first.identity().unwrap().server_config().unwrap();
        let again = DevFiles::ensure(dir.path()).unwrap();
        assert!(!again.created);
        assert_eq!(std::fs::read(&again.cert).unwrap(), cert);
        assert_eq!(std::fs::read(&again.ca).unwrap(), ca);

        std::fs::remove_file(&again.key).unwrap();
        let err = DevFiles::ensure(dir.path()).unwrap_err().to_string();
        assert!(err.contains("incomplete"), "{err}");
    }

    #[test]
    fn bad_pem_files_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not pem").unwrap();
        std::fs::write(&key, "not pem").unwrap();
        let err = Identity::from_pem_files(&cert, &key)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cert.pem"), "{err}");
        let missing = Identity::from_pem_files(&dir.path().join("nope.pem"), &key)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.pem"), "{missing}");
    }
}
