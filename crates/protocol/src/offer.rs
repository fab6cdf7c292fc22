//! The enrollment offer: an `assent://enroll?…` URI (QR code) or the same fields as JSON
//! (in-app flow over the app's authenticated session).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::ids::EnrollmentId;
use crate::keys::{EnrollmentSecret, RpKeyPair, RpPublicKey};
use crate::kinds::{ApprovalKind, Custody};
use crate::relay_url::RelayUrl;
use crate::rp_id::RpId;

/// The URI prefix of every offer.
pub const OFFER_URI_PREFIX: &str = "assent://enroll?";
/// Longest accepted offer URI.
pub const MAX_OFFER_URI: usize = 2048;
/// Longest `issuer`, in bytes of UTF-8.
pub const MAX_ISSUER: usize = 64;
/// Longest `account`, in bytes of UTF-8.
pub const MAX_ACCOUNT: usize = 128;

/// Everything but the RFC 3986 unreserved characters is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An enrollment offer, as the RP makes it and the phone parses it.
///
/// It is not authenticated by itself: it reaches the phone over the RP's TLS page (QR) or
/// the app's authenticated session. `es` is secret; Debug redacts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The RP's id (`rp`).
    pub rp: RpId,
    /// Display name of the RP (`issuer`), e.g. "Example".
    pub issuer: String,
    /// Display name of the account (`account`), e.g. "alice".
    pub account: String,
    /// The relay's base URL (`relay`).
    pub relay: RelayUrl,
    /// The enrollment id (`eid`).
    pub eid: EnrollmentId,
    /// The one-time enrollment secret (`es`).
    pub es: EnrollmentSecret,
    /// The per-offer RP key (`rpk`).
    pub rpk: RpPublicKey,
    /// The weakest approval kind the phone will ever accept for this account (`min`).
    pub min: ApprovalKind,
    /// Who holds the RP's keys (`custody`).
    pub custody: Custody,
    /// The RP requires user verification (`uv`): the phone creates the device key with
    /// user-authentication access control where the platform has it.
    pub uv: bool,
    /// Unix seconds after which the offer is dead (`exp`).
    pub expires_at: u64,
}

/// What the RP keeps, secretly, for an offer until its registration arrives or it expires.
#[derive(Debug, Clone)]
pub struct OfferSecrets {
    /// The per-offer RP key pair (its public half is the offer's `rpk`).
    pub rp_key: RpKeyPair,
}

/// The RP's choices for a new offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferParams {
    /// The RP's id.
    pub rp: RpId,
    /// Display name of the RP.
    pub issuer: String,
    /// Display name of the account.
    pub account: String,
    /// The relay's base URL.
    pub relay: RelayUrl,
    /// Minimum approval kind.
    pub min: ApprovalKind,
    /// Key custody.
    pub custody: Custody,
    /// User verification required.
    pub uv: bool,
    /// Expiry, Unix seconds (e.g. now + 600).
    pub expires_at: u64,
}

impl Offer {
    /// RP: makes a fresh offer (eid, es, per-offer key pair).
    pub fn make(params: OfferParams, rng: &mut impl CryptoRng) -> Result<(Offer, OfferSecrets)> {
        check_display("issuer", &params.issuer, MAX_ISSUER)?;
        check_display("account", &params.account, MAX_ACCOUNT)?;
        let rp_key = RpKeyPair::make(rng);
        let offer = Offer {
            rp: params.rp,
            issuer: params.issuer,
            account: params.account,
            relay: params.relay,
            eid: EnrollmentId::make(rng),
            es: EnrollmentSecret::make(rng),
            rpk: rp_key.public_key().clone(),
            min: params.min,
            custody: params.custody,
            uv: params.uv,
            expires_at: params.expires_at,
        };
        Ok((offer, OfferSecrets { rp_key }))
    }

    /// The canonical URI: parameters in the order
    /// `v rp issuer account relay eid es rpk min custody [uv] exp`, `uv=1` only when set,
    /// everything but unreserved characters percent-encoded.
    pub fn to_uri(&self) -> Zeroizing<String> {
        let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
        let mut uri = Zeroizing::new(String::with_capacity(400));
        uri.push_str(OFFER_URI_PREFIX);
        uri.push_str("v=1&rp=");
        uri.push_str(self.rp.as_str());
        uri.push_str("&issuer=");
        uri.push_str(&enc(&self.issuer));
        uri.push_str("&account=");
        uri.push_str(&enc(&self.account));
        uri.push_str("&relay=");
        uri.push_str(&enc(self.relay.as_str()));
        uri.push_str("&eid=");
        uri.push_str(&self.eid.to_string());
        uri.push_str("&es=");
        uri.push_str(&self.es.to_base64url());
        uri.push_str("&rpk=");
        uri.push_str(&self.rpk.to_string());
        uri.push_str("&min=");
        uri.push_str(self.min.as_str());
        uri.push_str("&custody=");
        uri.push_str(self.custody.as_str());
        if self.uv {
            uri.push_str("&uv=1");
        }
        uri.push_str("&exp=");
        uri.push_str(&self.expires_at.to_string());
        uri
    }

    /// Phone: parses an offer URI and refuses it if expired at `now` (Unix seconds).
    ///
    /// Refused: another scheme or path, a URI over [`MAX_OFFER_URI`], `v` other than `1`,
    /// a duplicate, unknown or missing parameter, bad percent-encoding, non-canonical
    /// base64url, a non-https relay, an `rp` that is not a canonical host, `now >= exp`.
    pub fn parse_uri(uri: &str, now: u64) -> Result<Offer> {
        if uri.len() > MAX_OFFER_URI {
            return Err(Error::TooLarge {
                field: "offer",
                limit: MAX_OFFER_URI,
            });
        }
        let query = uri
            .strip_prefix(OFFER_URI_PREFIX)
            .ok_or(Error::NotAnOffer)?;
        if query.contains('#') {
            return Err(Error::invalid("offer", "fragment not allowed"));
        }
        let mut fields = RawOffer::default();
        for pair in query.split('&') {
            let (name, raw) = pair
                .split_once('=')
                .ok_or(Error::invalid("offer", "parameter without '='"))?;
            let value = percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| Error::invalid("offer", "bad percent-encoding"))?
                .into_owned();
            let slot = match name {
                "v" => &mut fields.v,
                "rp" => &mut fields.rp,
                "issuer" => &mut fields.issuer,
                "account" => &mut fields.account,
                "relay" => &mut fields.relay,
                "eid" => &mut fields.eid,
                "es" => &mut fields.es,
                "rpk" => &mut fields.rpk,
                "min" => &mut fields.min,
                "custody" => &mut fields.custody,
                "uv" => &mut fields.uv,
                "exp" => &mut fields.exp,
                _ => return Err(Error::invalid("offer", "unknown parameter")),
            };
            if slot.is_some() {
                return Err(Error::DuplicateParameter(name.to_owned()));
            }
            *slot = Some(Zeroizing::new(value));
        }
        fields.into_offer(now)
    }

    /// The offer as a JSON object (in-app flow), same names as the URI parameters;
    /// `v` and `exp` are numbers, `uv` a boolean.
    pub fn to_json(&self) -> Zeroizing<String> {
        let json = OfferJson {
            v: crate::VERSION,
            rp: self.rp.as_str().to_owned(),
            issuer: self.issuer.clone(),
            account: self.account.clone(),
            relay: self.relay.as_str().to_owned(),
            eid: self.eid.to_string(),
            es: self.es.to_base64url().to_string(),
            rpk: self.rpk.to_string(),
            min: self.min.as_str().to_owned(),
            custody: self.custody.as_str().to_owned(),
            uv: self.uv,
            exp: self.expires_at,
        };
        Zeroizing::new(crate::encoding::to_json(&json))
    }

    /// Phone: parses the JSON form, with the same checks as [`Offer::parse_uri`].
    pub fn from_json(json: &[u8], now: u64) -> Result<Offer> {
        let mut j: OfferJson = crate::encoding::from_json(json)?;
        let take = |s: &mut String| Some(Zeroizing::new(std::mem::take(s)));
        if j.v != crate::VERSION {
            return Err(Error::UnsupportedVersion);
        }
        let raw = RawOffer {
            v: Some(Zeroizing::new("1".to_owned())),
            rp: take(&mut j.rp),
            issuer: take(&mut j.issuer),
            account: take(&mut j.account),
            relay: take(&mut j.relay),
            eid: take(&mut j.eid),
            es: take(&mut j.es),
            rpk: take(&mut j.rpk),
            min: take(&mut j.min),
            custody: take(&mut j.custody),
            uv: Some(Zeroizing::new(if j.uv { "1" } else { "0" }.to_owned())),
            exp: Some(Zeroizing::new(j.exp.to_string())),
        };
        raw.into_offer(now)
    }

    /// Refuses the offer if `now >= expires_at`.
    pub fn check_fresh(&self, now: u64) -> Result<()> {
        if now >= self.expires_at {
            Err(Error::OfferExpired)
        } else {
            Ok(())
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferJson {
    v: u32,
    rp: String,
    issuer: String,
    account: String,
    relay: String,
    eid: String,
    es: String,
    rpk: String,
    min: String,
    custody: String,
    #[serde(default)]
    uv: bool,
    exp: u64,
}

impl Drop for OfferJson {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.es);
    }
}

#[derive(Default)]
struct RawOffer {
    v: Option<Zeroizing<String>>,
    rp: Option<Zeroizing<String>>,
    issuer: Option<Zeroizing<String>>,
    account: Option<Zeroizing<String>>,
    relay: Option<Zeroizing<String>>,
    eid: Option<Zeroizing<String>>,
    es: Option<Zeroizing<String>>,
    rpk: Option<Zeroizing<String>>,
    min: Option<Zeroizing<String>>,
    custody: Option<Zeroizing<String>>,
    uv: Option<Zeroizing<String>>,
    exp: Option<Zeroizing<String>>,
}

fn need(slot: Option<Zeroizing<String>>, name: &'static str) -> Result<Zeroizing<String>> {
    slot.ok_or(Error::MissingParameter(name))
}

impl RawOffer {
    fn into_offer(self, now: u64) -> Result<Offer> {
        if need(self.v, "v")?.as_str() != "1" {
            return Err(Error::UnsupportedVersion);
        }
        let issuer = need(self.issuer, "issuer")?;
        check_display("issuer", &issuer, MAX_ISSUER)?;
        let account = need(self.account, "account")?;
        check_display("account", &account, MAX_ACCOUNT)?;
        let uv = match self.uv.as_deref().map(String::as_str) {
            None | Some("0") => false,
            Some("1") => true,
            Some(_) => return Err(Error::invalid("uv", "must be 0 or 1")),
        };
        let offer = Offer {
            rp: RpId::parse(&need(self.rp, "rp")?)?,
            issuer: issuer.to_string(),
            account: account.to_string(),
            relay: RelayUrl::parse(&need(self.relay, "relay")?)?,
            eid: EnrollmentId::parse(&need(self.eid, "eid")?)?,
            es: EnrollmentSecret::parse(&need(self.es, "es")?)?,
            rpk: RpPublicKey::parse(&need(self.rpk, "rpk")?)?,
            min: ApprovalKind::parse(&need(self.min, "min")?)?,
            custody: Custody::parse(&need(self.custody, "custody")?)?,
            uv,
            expires_at: parse_canonical_u64(&need(self.exp, "exp")?, "exp")?,
        };
        offer.check_fresh(now)?;
        Ok(offer)
    }
}

/// Decimal without sign, spaces or leading zeros.
pub(crate) fn parse_canonical_u64(text: &str, field: &'static str) -> Result<u64> {
    if text.is_empty()
        || (text.len() > 1 && text.starts_with('0'))
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Error::invalid(field, "not a canonical decimal integer"));
    }
    text.parse()
        .map_err(|_| Error::invalid(field, "out of range"))
}

/// A display string: non-empty, at most `max` bytes, no control characters.
pub(crate) fn check_display(field: &'static str, text: &str, max: usize) -> Result<()> {
    if text.is_empty() {
        return Err(Error::invalid(field, "empty"));
    }
    if text.len() > max {
        return Err(Error::TooLarge { field, limit: max });
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_chacha::rand_core::SeedableRng;

    pub(crate) fn sample() -> Offer {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        Offer::make(
            OfferParams {
                rp: RpId::parse("example.com").unwrap(),
                issuer: "Example Inc.".into(),
                account: "alice@example.com".into(),
                relay: RelayUrl::parse("https://relay.example.com").unwrap(),
                min: ApprovalKind::Number,
                custody: Custody::Rp,
                uv: false,
                expires_at: 1_700_000_600,
            },
            &mut rng,
        )
        .unwrap()
        .0
    }

    #[test]
    fn uri_round_trips() {
        let offer = sample();
        let uri = offer.to_uri();
        assert!(uri.starts_with("assent://enroll?v=1&rp=example.com&issuer=Example%20Inc.&account=alice%40example.com&relay=https%3A%2F%2Frelay.example.com&eid="));
        assert_eq!(Offer::parse_uri(&uri, 1_700_000_000).unwrap(), offer);
        let json = offer.to_json();
        assert_eq!(
            Offer::from_json(json.as_bytes(), 1_700_000_000).unwrap(),
            offer
        );
        assert!(uri.len() < 400, "QR-friendly size, got {}", uri.len());
    }

    #[test]
    fn bad_offers_are_refused() {
        let uri = sample().to_uri().to_string();
        let now = 1_700_000_000;
        assert_eq!(
            Offer::parse_uri(&format!("{uri}&min=simple"), now),
            Err(Error::DuplicateParameter("min".into()))
        );
        assert_eq!(
            Offer::parse_uri(&uri, 1_700_000_600),
            Err(Error::OfferExpired)
        );
        assert_eq!(
            Offer::parse_uri(&uri.replace("v=1", "v=2"), now),
            Err(Error::UnsupportedVersion)
        );
        assert_eq!(
            Offer::parse_uri(&uri.replace("https%3A", "http%3A"), now),
            Err(Error::NotHttps)
        );
        assert!(Offer::parse_uri(&uri.replace("rp=example.com", "rp=Example.COM."), now).is_err());
        assert!(Offer::parse_uri(&uri.replace("assent://", "https://"), now).is_err());
        assert!(Offer::parse_uri(&format!("{uri}&extra=1"), now).is_err());
        assert!(Offer::parse_uri(&format!("{uri}#frag"), now).is_err());
        assert!(Offer::parse_uri(&uri.replace("&exp=", "&exp=0"), now).is_err());
        assert!(
            Offer::parse_uri(&uri.replace("issuer=Example%20Inc.", "issuer=%FF"), now).is_err()
        );
        assert!(
            Offer::parse_uri(&uri.replace("issuer=Example%20Inc.", "issuer=a%0Ab"), now).is_err()
        );
        // Non-canonical base64url: change the last char of eid so trailing bits are set.
        let offer = sample();
        let eid = offer.eid.to_string();
        let mut bent = eid.clone().into_bytes();
        let last = bent.len() - 1;
        // The last of 22 characters carries 2 data bits and 4 zero trailing bits: set one.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = ALPHABET.iter().position(|c| *c == bent[last]).unwrap();
        bent[last] = ALPHABET[index | 1];
        let bent = String::from_utf8(bent).unwrap();
        let e = Offer::parse_uri(&uri.replace(&eid, &bent), now).unwrap_err();
        assert!(
            matches!(e, Error::Base64 { field: "eid" } | Error::Length { .. }),
            "{e:?}"
        );
        let missing = uri.replace(&format!("&rpk={}", offer.rpk), "");
        assert_eq!(
            Offer::parse_uri(&missing, now),
            Err(Error::MissingParameter("rpk"))
        );
    }

    #[test]
    fn json_offer_refuses_unknown_fields_and_versions() {
        let json = sample().to_json().to_string();
        let now = 1_700_000_000;
        assert!(Offer::from_json(json.replace("\"v\":1", "\"v\":2").as_bytes(), now).is_err());
        assert!(Offer::from_json(json.replace("{", "{\"x\":1,").as_bytes(), now).is_err());
        let e = Offer::from_json(json.replace("\"es\":\"", "\"es\":\"A").as_bytes(), now);
        assert!(e.is_err());
        assert!(!format!("{e:?}").contains(&sample().es.to_base64url()[..]));
    }

    proptest! {
        #[test]
        fn uri_parser_never_panics(s in ".{0,600}") {
            let _ = Offer::parse_uri(&s, 0);
            let _ = Offer::parse_uri(&format!("{OFFER_URI_PREFIX}{s}"), 0);
        }

        #[test]
        fn uri_parser_never_panics_on_mutations(i in 0usize..400, c in any::<char>()) {
            let uri = sample().to_uri().to_string();
            let mut chars: Vec<char> = uri.chars().collect();
            let i = i % chars.len();
            chars[i] = c;
            let _ = Offer::parse_uri(&chars.into_iter().collect::<String>(), 0);
        }

        #[test]
        fn json_parser_never_panics(s in ".{0,600}") {
            let _ = Offer::from_json(s.as_bytes(), 0);
        }

        #[test]
        fn offers_round_trip(
            issuer in "[^\\p{Cc}]{1,20}",
            account in "[^\\p{Cc}]{1,40}",
            seed in any::<u64>(),
            exp in 1u64..,
            min in 0usize..3,
            uv in any::<bool>(),
            relay_port in proptest::option::of(1u16..),
        ) {
            prop_assume!(relay_port != Some(443));
            let relay = match relay_port {
                Some(p) => format!("https://relay.example.com:{p}"),
                None => "https://relay.example.com".to_owned(),
            };
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
            let params = OfferParams {
                rp: RpId::parse("login.example.com").unwrap(),
                issuer, account,
                relay: RelayUrl::parse(&relay).unwrap(),
                min: ApprovalKind::ALL[min],
                custody: Custody::Relay,
                uv,
                expires_at: exp,
            };
            if let Ok((offer, _)) = Offer::make(params, &mut rng) {
                prop_assert_eq!(&Offer::parse_uri(&offer.to_uri(), exp - 1).unwrap(), &offer);
                prop_assert_eq!(&Offer::from_json(offer.to_json().as_bytes(), exp - 1).unwrap(), &offer);
            }
        }
    }
}
