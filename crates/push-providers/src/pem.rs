//! Minimal PEM reading for the two key files we take (.p8 and the service
//! account's `private_key`), both PKCS#8 `PRIVATE KEY` blocks.

use base64::Engine;
use zeroize::Zeroizing;

/// The DER of the first `-----BEGIN PRIVATE KEY-----` block in `pem`.
pub(crate) fn pkcs8_der(pem: &str) -> Option<Zeroizing<Vec<u8>>> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let len = pem.get(start..)?.find(END)?;
    let body: Zeroizing<String> = Zeroizing::new(
        pem.get(start..start + len)?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_block_and_refuses_garbage() {
        let pem = "junk\n-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n";
        assert_eq!(pkcs8_der(pem).unwrap().as_slice(), &[0, 1, 2, 3]);
        assert!(pkcs8_der("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----").is_none());
        assert!(pkcs8_der("no pem").is_none());
    }
}
