//! Signed device requests (fetch, poll, answer, push-token update, unenroll): the device
//! key signs the relay's origin, the device id, method, path, a timestamp and the body's
//! hash. The relay accepts timestamps within ±[`MAX_SKEW`] seconds of its clock.

use serde::{Deserialize, Serialize};

use crate::encoding::{b64_decode, b64_encode, sha256, Enc};
use crate::error::{Error, Result};
use crate::ids::DeviceId;
use crate::keys::{DevicePublicKey, MAX_DER_SIGNATURE};
use crate::offer::parse_canonical_u64;
use crate::relay_url::RelayUrl;
use crate::signer::{sign_der, Signer};

/// Accepted clock skew, in seconds, either way.
pub const MAX_SKEW: u64 = 60;
/// HTTP header carrying the device id.
pub const HEADER_DEVICE: &str = "Assent-Device";
/// HTTP header carrying the timestamp (decimal Unix seconds, the relay's time).
pub const HEADER_TIMESTAMP: &str = "Assent-Timestamp";
/// HTTP header carrying the DER signature in base64url.
pub const HEADER_SIGNATURE: &str = "Assent-Signature";

const MAX_METHOD: usize = 16;
const MAX_PATH: usize = 2048;

fn check_method_path(method: &str, path: &str) -> Result<()> {
    if method.is_empty()
        || method.len() > MAX_METHOD
        || !method.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(Error::invalid("method", "must be uppercase ASCII letters"));
    }
    if !path.starts_with('/')
        || path.len() > MAX_PATH
        || !path.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::invalid(
            "path",
            "must be an origin-form path of printable ASCII",
        ));
    }
    Ok(())
}

/// `enc("assent/v1/request", relay_origin, device_id, method, path, timestamp, SHA-256(body))`.
///
/// `relay_origin` is the relay's canonical public URL (from the offer on the phone, from its
/// configuration on the relay; never the Host header); `path` is the request target as sent
/// (path and query, e.g. `/v1/challenges/AbC?wait=30`), relative to that URL's host.
pub fn request_signing_input(
    relay_origin: &RelayUrl,
    device_id: &DeviceId,
    method: &str,
    path: &str,
    timestamp: u64,
    body: &[u8],
) -> Vec<u8> {
    Enc::new("assent/v1/request")
        .str(relay_origin.as_str())
        .bytes(device_id.as_bytes())
        .str(method)
        .str(path)
        .u64(timestamp)
        .bytes(&sha256(body))
        .finish()
}

/// The authentication of one signed request, carried in the three `Assent-*` headers (or,
/// where headers are awkward, as this JSON object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAuth {
    /// The device (header [`HEADER_DEVICE`]).
    pub device_id: DeviceId,
    /// Unix seconds by the relay's clock as the phone estimates it ([`HEADER_TIMESTAMP`]).
    pub timestamp: u64,
    /// DER signature ([`HEADER_SIGNATURE`], base64url).
    #[serde(with = "crate::encoding::b64_vec")]
    pub signature: Vec<u8>,
}

impl RequestAuth {
    /// Phone: signs a request.
    pub fn sign(
        signer: &impl Signer,
        relay_origin: &RelayUrl,
        device_id: &DeviceId,
        method: &str,
        path: &str,
        timestamp: u64,
        body: &[u8],
    ) -> Result<Self> {
        check_method_path(method, path)?;
        let input = request_signing_input(relay_origin, device_id, method, path, timestamp, body);
        Ok(RequestAuth {
            device_id: *device_id,
            timestamp,
            signature: sign_der(signer, &input)?,
        })
    }

    /// Relay: parses the three header values (cheap; no key needed).
    pub fn from_headers(device: &str, timestamp: &str, signature: &str) -> Result<Self> {
        if signature.len() > 128 {
            return Err(Error::TooLarge {
                field: "signature",
                limit: 128,
            });
        }
        Ok(RequestAuth {
            device_id: DeviceId::parse(device)?,
            timestamp: parse_canonical_u64(timestamp, "timestamp")?,
            signature: b64_decode(signature, "signature")?,
        })
    }

    /// The three header values, in the order device, timestamp, signature.
    pub fn to_headers(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_DEVICE, self.device_id.to_string()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, b64_encode(&self.signature)),
        ]
    }

    /// Relay: refuses a timestamp more than [`MAX_SKEW`] seconds from `now` (cheap; run it
    /// before looking up the device key).
    pub fn check_time(&self, now: u64) -> Result<()> {
        if self.timestamp.abs_diff(now) > MAX_SKEW {
            Err(Error::ClockSkew)
        } else {
            Ok(())
        }
    }

    /// Relay: verifies the request. Cheap checks first (skew, method, path, signature
    /// size), then SHA-256 of the body and the signature.
    pub fn verify(
        &self,
        device_pub: &DevicePublicKey,
        relay_origin: &RelayUrl,
        method: &str,
        path: &str,
        body: &[u8],
        now: u64,
    ) -> Result<()> {
        self.check_time(now)?;
        check_method_path(method, path)?;
        if self.signature.is_empty() || self.signature.len() > MAX_DER_SIGNATURE {
            return Err(Error::BadSignature);
        }
        let input = request_signing_input(
            relay_origin,
            &self.device_id,
            method,
            path,
            self.timestamp,
            body,
        );
        device_pub.verify(&input, &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::SoftwareSigner;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn requests_verify_within_skew_only() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(41);
        let signer = SoftwareSigner::make(&mut rng).unwrap();
        let key = signer.public_key();
        let relay = RelayUrl::parse("https://relay.example.com").unwrap();
        let device = DeviceId::make(&mut rng);
        let t = 1_700_000_000;
        let auth =
            RequestAuth::sign(&signer, &relay, &device, "POST", "/v1/answer", t, b"{}").unwrap();
        let [(_, d), (_, ts), (_, s)] = auth.to_headers();
        let auth = RequestAuth::from_headers(&d, &ts, &s).unwrap();
        auth.verify(&key, &relay, "POST", "/v1/answer", b"{}", t + 60)
            .unwrap();
        auth.verify(&key, &relay, "POST", "/v1/answer", b"{}", t - 60)
            .unwrap();
        assert_eq!(
            auth.verify(&key, &relay, "POST", "/v1/answer", b"{}", t + 61),
            Err(Error::ClockSkew)
        );
        assert_eq!(
            auth.verify(&key, &relay, "POST", "/v1/answer", b"{}", t - 61),
            Err(Error::ClockSkew)
        );
        assert_eq!(
            auth.verify(&key, &relay, "PUT", "/v1/answer", b"{}", t),
            Err(Error::BadSignature)
        );
        assert_eq!(
            auth.verify(&key, &relay, "POST", "/v1/answeR", b"{}", t),
            Err(Error::BadSignature)
        );
        assert_eq!(
            auth.verify(&key, &relay, "POST", "/v1/answer", b"{ }", t),
            Err(Error::BadSignature)
        );
        let other = RelayUrl::parse("https://evil.example.com").unwrap();
        assert_eq!(
            auth.verify(&key, &other, "POST", "/v1/answer", b"{}", t),
            Err(Error::BadSignature)
        );
        let mut moved = auth.clone();
        moved.device_id = DeviceId::make(&mut rng);
        assert_eq!(
            moved.verify(&key, &relay, "POST", "/v1/answer", b"{}", t),
            Err(Error::BadSignature)
        );
        assert!(RequestAuth::from_headers(&d, "0123", &s).is_err());
        assert!(RequestAuth::from_headers(&d, &ts, &format!("{s}=")).is_err());
        assert!(RequestAuth::sign(&signer, &relay, &device, "post", "/x", t, b"").is_err());
        assert!(RequestAuth::sign(&signer, &relay, &device, "GET", "x", t, b"").is_err());
    }
}
