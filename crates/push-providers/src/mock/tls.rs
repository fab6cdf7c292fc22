//! A throwaway CA and a `localhost` / `127.0.0.1` server certificate: the one test CA
//! of the workspace (the mock providers serve with it; the cross-crate tests serve the
//! real relay with it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::server::MockError;

/// A test CA with one server certificate for loopback.
pub struct TestCa {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestCa")
    }
}

impl TestCa {
    /// Makes a fresh CA and a server certificate for `localhost` and `127.0.0.1`.
    pub fn make() -> Result<Self, MockError> {
        Self::named("Assent mock provider CA")
    }

    /// The same, with the CA's common name `name`.
    pub fn named(name: &str) -> Result<Self, MockError> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key)?;
        let leaf_key = KeyPair::generate()?;
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?
            .signed_by(&leaf_key, &ca_cert, &ca_key)?;
        Ok(TestCa {
            ca_pem: ca_cert.pem(),
            cert_pem: format!("{}{}", leaf.pem(), ca_cert.pem()),
            key_pem: leaf_key.serialize_pem(),
            chain: vec![leaf.der().clone(), ca_cert.der().clone()],
            key_der: leaf_key.serialize_der(),
        })
    }

    /// The CA certificate in PEM, for the client's extra trusted CA.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server certificate chain (leaf, then CA) in PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The server key (PKCS#8 PEM).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`; returns the CA's path.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::write(dir.join("cert.pem"), &self.cert_pem)?;
        std::fs::write(dir.join("key.pem"), &self.key_pem)?;
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, &self.ca_pem)?;
        Ok(ca)
    }

    /// A rustls server config (ring) offering `alpn`.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, MockError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}
