//! Checking an extra CA bundle (PEM) before a relay client trusts it, the one check both
//! clients use (the phone's `HttpsTransport::with_extra_ca`, the RP's
//! `HttpRelay::with_extra_ca`). reqwest reads PEM only when its client is built, skips
//! blocks that are not certificates (a wrong file would leave a client that trusts nothing
//! extra) and reports a certificate that does not parse only as a failure to build. Here
//! every block must be a `CERTIFICATE` that parses as a trust anchor, as rustls will use
//! it; the error names the kind of failure, never the input (a private key put here by
//! mistake is wiped once read).
//!
//! Behind the `ca-pem` feature (rustls-pki-types, rustls-webpki: parsing only, no I/O).

use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::CertificateDer;
use zeroize::Zeroizing;

/// Why a CA bundle is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaPemError {
    /// Nothing but whitespace.
    #[error("extra CA is empty")]
    Empty,
    /// A PEM block is malformed (bad armour or base64).
    #[error("extra CA is not valid PEM")]
    NotPem,
    /// A block of another kind (such as a private key).
    #[error("extra CA holds a {0} block; only CERTIFICATE blocks are allowed")]
    OtherBlock(&'static str),
    /// No `CERTIFICATE` block at all.
    #[error("extra CA is not a PEM certificate (no CERTIFICATE block found)")]
    NoCertificate,
    /// Certificate number `n` (from 1) does not parse as an X.509 trust anchor.
    #[error("extra CA certificate {0} is not a valid X.509 certificate")]
    BadCertificate(usize),
}

/// Checks `pem` (one or more `CERTIFICATE` blocks); returns how many certificates it holds.
pub fn check_ca_pem(pem: &[u8]) -> Result<usize, CaPemError> {
    if pem.iter().all(u8::is_ascii_whitespace) {
        return Err(CaPemError::Empty);
    }
    let mut count = 0usize;
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) = section.map_err(|_| CaPemError::NotPem)?;
        let der = Zeroizing::new(der);
        if kind != SectionKind::Certificate {
            return Err(CaPemError::OtherBlock(kind_name(kind)));
        }
        count += 1;
        let certificate = CertificateDer::from(der.as_slice());
        webpki::anchor_from_trusted_cert(&certificate)
            .map_err(|_| CaPemError::BadCertificate(count))?;
    }
    if count == 0 {
        return Err(CaPemError::NoCertificate);
    }
    Ok(count)
}

fn kind_name(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Certificate => "CERTIFICATE",
        SectionKind::PublicKey => "PUBLIC KEY",
        SectionKind::RsaPrivateKey => "RSA PRIVATE KEY",
        SectionKind::PrivateKey => "PRIVATE KEY",
        SectionKind::EcPrivateKey => "EC PRIVATE KEY",
        SectionKind::Crl => "X509 CRL",
        SectionKind::Csr => "CERTIFICATE REQUEST",
        SectionKind::EchConfigList => "ECHCONFIG",
        _ => "non-certificate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate and its private key, both in PEM.
    fn test_ca() -> (String, String) {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn pem_certificates_pass() {
        let (ca, _) = test_ca();
        assert_eq!(check_ca_pem(ca.as_bytes()), Ok(1));
        let (other, _) = test_ca();
        assert_eq!(check_ca_pem(format!("{ca}{other}").as_bytes()), Ok(2));
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(check_ca_pem(b""), Err(CaPemError::Empty));
        assert_eq!(check_ca_pem(b" \n\t\n"), Err(CaPemError::Empty));
    }

    #[test]
    fn what_is_not_pem_is_refused() {
        assert_eq!(
            check_ca_pem(b"not a certificate"),
            Err(CaPemError::NoCertificate)
        );
        assert_eq!(
            check_ca_pem(&[0x30, 0x82, 0x01, 0x0a, 0xff, 0x00]),
            Err(CaPemError::NoCertificate)
        );
        assert_eq!(
            check_ca_pem(b"-----BEGIN CERTIFICATE-----\nMIIB\n"),
            Err(CaPemError::NotPem)
        );
    }

    #[test]
    fn a_block_that_is_not_a_certificate_is_refused_even_after_a_good_one() {
        let (ca, key) = test_ca();
        assert_eq!(
            check_ca_pem(key.as_bytes()),
            Err(CaPemError::OtherBlock("PRIVATE KEY"))
        );
        assert_eq!(
            check_ca_pem(format!("{ca}{key}").as_bytes()),
            Err(CaPemError::OtherBlock("PRIVATE KEY"))
        );
        let message = CaPemError::OtherBlock("PRIVATE KEY").to_string();
        assert!(message.contains("only CERTIFICATE blocks"), "{message}");
    }

    #[test]
    fn a_certificate_block_that_does_not_parse_is_refused_by_number() {
        // Valid PEM and base64, but the DER inside is not a certificate.
        let pem = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
        assert_eq!(
            check_ca_pem(pem.as_bytes()),
            Err(CaPemError::BadCertificate(1))
        );
        let (ca, _) = test_ca();
        assert_eq!(
            check_ca_pem(format!("{ca}{pem}").as_bytes()),
            Err(CaPemError::BadCertificate(2))
        );
        assert_eq!(
            CaPemError::BadCertificate(2).to_string(),
            "extra CA certificate 2 is not a valid X.509 certificate"
        );
    }
}
