//! The handover QR the new phone shows (docs/protocol.md §11.1):
//!
//! ```text
//! assent://handover?v=1&relay=<https URL>&hid=<b64u 16>&pk=<b64u 65>&sc=<b64u 16>&name=<text>&exp=<unix>
//! ```
//!
//! `pk` is the new phone's ephemeral P-256 key and `sc` a 16-byte secret; neither ever
//! reaches the relay, which sees only the mailbox id `hid`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::{Zeroize, Zeroizing};

use super::keys::{EphemeralPublicKey, HandoverSecret};
use super::HANDOVER_MAX_TTL;
use crate::encoding::b64_encode;
use crate::error::{Error, Result};
use crate::ids::HandoverId;
use crate::offer::{check_display, parse_canonical_u64};
use crate::registration::MAX_DEVICE_NAME;
use crate::relay_url::RelayUrl;

/// The prefix of every handover QR.
pub const HANDOVER_URI_PREFIX: &str = "assent://handover?";
/// The longest handover URI accepted.
pub const MAX_HANDOVER_URI: usize = 1024;

const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What the old phone reads from the new phone's QR. Debug shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct HandoverInvite {
    /// The relay holding the mailbox.
    pub relay: RelayUrl,
    /// The mailbox.
    pub hid: HandoverId,
    /// The new phone's ephemeral key.
    pub pk: EphemeralPublicKey,
    /// The secret mixed into the key schedule.
    pub sc: HandoverSecret,
    /// What the new phone calls itself ("Alice's Pixel"), shown by the old one.
    pub name: String,
    /// Expiry of the invitation (Unix seconds, relay time).
    pub expires_at: u64,
}

impl core::fmt::Debug for HandoverInvite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HandoverInvite")
            .field("relay", &self.relay)
            .field("hid", &self.hid)
            .field("name", &self.name)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl HandoverInvite {
    /// The canonical URI (parameters in the documented order).
    pub fn to_uri(&self) -> Zeroizing<String> {
        let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
        let sc = Zeroizing::new(b64_encode(self.sc.expose_secret()));
        Zeroizing::new(format!(
            "{HANDOVER_URI_PREFIX}v=1&relay={}&hid={}&pk={}&sc={}&name={}&exp={}",
            enc(self.relay.as_str()),
            self.hid,
            self.pk,
            sc.as_str(),
            enc(&self.name),
            self.expires_at
        ))
    }

    /// Parses a scanned URI. Refused: another prefix, more than
    /// [`MAX_HANDOVER_URI`] characters, a fragment, an unknown, duplicate or missing
    /// parameter, bad percent-encoding, non-canonical base64url or decimal, a
    /// non-https relay, a key not on P-256, a bad name, `now >= exp`, or an
    /// expiry more than [`HANDOVER_MAX_TTL`] away.
    pub fn parse_uri(uri: &str, now: u64) -> Result<Self> {
        if uri.len() > MAX_HANDOVER_URI {
            return Err(Error::TooLarge {
                field: "handover",
                limit: MAX_HANDOVER_URI,
            });
        }
        let query = uri
            .strip_prefix(HANDOVER_URI_PREFIX)
            .ok_or(Error::invalid("handover", "not a handover URI"))?;
        if query.contains('#') {
            return Err(Error::invalid("handover", "fragment not allowed"));
        }
        let mut raw = Raw::default();
        for pair in query.split('&') {
            let (name, value) = pair
                .split_once('=')
                .ok_or(Error::invalid("handover", "parameter without '='"))?;
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| Error::invalid("handover", "bad percent-encoding"))?
                .into_owned();
            let slot = match name {
                "v" => &mut raw.v,
                "relay" => &mut raw.relay,
                "hid" => &mut raw.hid,
                "pk" => &mut raw.pk,
                "sc" => &mut raw.sc,
                "name" => &mut raw.name,
                "exp" => &mut raw.exp,
                _ => return Err(Error::invalid("handover", "unknown parameter")),
            };
            if slot.is_some() {
                return Err(Error::DuplicateParameter(name.to_owned()));
            }
            *slot = Some(Zeroizing::new(value));
        }
        raw.into_invite(now)
    }

    /// Refuses an invitation that expired or that claims to live longer than
    /// [`HANDOVER_MAX_TTL`] (relay time `now`).
    pub fn check_fresh(&self, now: u64) -> Result<()> {
        if now >= self.expires_at {
            return Err(Error::Expired);
        }
        if self.expires_at - now > HANDOVER_MAX_TTL {
            return Err(Error::invalid("exp", "too far in the future"));
        }
        Ok(())
    }
}

#[derive(Default)]
struct Raw {
    v: Option<Zeroizing<String>>,
    relay: Option<Zeroizing<String>>,
    hid: Option<Zeroizing<String>>,
    pk: Option<Zeroizing<String>>,
    sc: Option<Zeroizing<String>>,
    name: Option<Zeroizing<String>>,
    exp: Option<Zeroizing<String>>,
}

fn need(slot: Option<Zeroizing<String>>, name: &'static str) -> Result<Zeroizing<String>> {
    slot.ok_or(Error::MissingParameter(name))
}

impl Raw {
    fn into_invite(self, now: u64) -> Result<HandoverInvite> {
        if need(self.v, "v")?.as_str() != "1" {
            return Err(Error::UnsupportedVersion);
        }
        let name = need(self.name, "name")?;
        check_display("name", &name, MAX_DEVICE_NAME)?;
        let invite = HandoverInvite {
            relay: RelayUrl::parse(&need(self.relay, "relay")?)?,
            hid: HandoverId::parse(&need(self.hid, "hid")?)?,
            pk: EphemeralPublicKey::parse(&need(self.pk, "pk")?)?,
            sc: HandoverSecret::parse(&need(self.sc, "sc")?)?,
            name: name.to_string(),
            expires_at: parse_canonical_u64(&need(self.exp, "exp")?, "exp")?,
        };
        invite.check_fresh(now)?;
        Ok(invite)
    }
}

impl Drop for HandoverInvite {
    fn drop(&mut self) {
        self.name.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handover::keys::EphemeralSecret;
    use proptest::prelude::*;
    use rand_chacha::rand_core::SeedableRng;

    pub(crate) fn sample(now: u64) -> HandoverInvite {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let secret = EphemeralSecret::make(&mut rng).unwrap();
        HandoverInvite {
            relay: RelayUrl::parse("https://relay.example.com").unwrap(),
            hid: HandoverId::make(&mut rng),
            pk: secret.public_key(),
            sc: HandoverSecret::make(&mut rng),
            name: "Alice's Pixel".into(),
            expires_at: now + 300,
        }
    }

    #[test]
    fn uri_round_trips() {
        let invite = sample(1000);
        let uri = invite.to_uri();
        assert!(uri.starts_with(HANDOVER_URI_PREFIX));
        assert!(uri.contains("name=Alice%27s%20Pixel"));
        let back = HandoverInvite::parse_uri(&uri, 1000).unwrap();
        assert_eq!(back, invite);
        assert!(!format!("{back:?}").contains(&b64_encode(back.sc.expose_secret())));
    }

    #[test]
    fn bad_invites_are_refused() {
        let uri = sample(1000).to_uri().to_string();
        let parse = |u: &str| HandoverInvite::parse_uri(u, 1000);
        assert_eq!(
            HandoverInvite::parse_uri(&uri, 1300),
            Err(Error::Expired),
            "expired"
        );
        assert!(
            HandoverInvite::parse_uri(&uri, 200).is_err(),
            "too long a life"
        );
        assert!(parse(&uri.replace("v=1", "v=2")).is_err());
        assert!(parse(&format!("{uri}&v=1")).is_err(), "duplicate");
        assert!(parse(&format!("{uri}&x=1")).is_err(), "unknown");
        assert!(parse(&format!("{uri}#f")).is_err(), "fragment");
        assert!(parse(&uri.replace("https%3A", "http%3A")).is_err(), "http");
        assert!(parse(&uri.replace("assent://handover?", "assent://enroll?")).is_err());
        let no_sc: Vec<&str> = uri.split('&').filter(|p| !p.starts_with("sc=")).collect();
        assert_eq!(parse(&no_sc.join("&")), Err(Error::MissingParameter("sc")));
        assert!(parse(&"a".repeat(MAX_HANDOVER_URI + 1)).is_err());
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in ".{0,400}") {
            let _ = HandoverInvite::parse_uri(&s, 0);
        }

        #[test]
        fn parser_never_panics_on_mutations(i in 0usize..300, c in any::<char>()) {
            let mut uri = sample(0).to_uri().to_string();
            if i < uri.len() && uri.is_char_boundary(i) {
                uri.insert(i, c);
            }
            let _ = HandoverInvite::parse_uri(&uri, 0);
        }
    }
}
