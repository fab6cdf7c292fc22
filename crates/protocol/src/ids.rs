//! 16-byte random identifiers. In text (URI, JSON) each is 22 characters of canonical
//! unpadded base64url; anything else is refused.

use rand_core::CryptoRng;

use crate::encoding::{b64_decode_array, b64_encode, text_serde};
use crate::error::Result;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// Makes a fresh random id.
            pub fn make(rng: &mut impl CryptoRng) -> Self {
                let mut bytes = [0u8; 16];
                rng.fill_bytes(&mut bytes);
                $name(bytes)
            }

            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                $name(bytes)
            }

            /// The raw bytes (as they appear inside `enc`).
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses canonical unpadded base64url (22 characters).
            pub fn parse(text: &str) -> Result<Self> {
                b64_decode_array::<16>(text, $field).map($name)
            }

            fn to_text(self) -> String {
                b64_encode(&self.0)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_text())
            }
        }

        text_serde!($name);
    };
}

id_type!(
    /// One enrollment offer (`eid`). Known to the relay; dies after one registration.
    EnrollmentId,
    "eid"
);
id_type!(
    /// One phone's enrollment for one account, assigned by the RP at delivery.
    DeviceId,
    "device_id"
);
id_type!(
    /// One challenge; the phone remembers the ones it has seen.
    ChallengeId,
    "challenge_id"
);
id_type!(
    /// The random per-push identifier, the only thing a push notification carries.
    PushId,
    "push_id"
);
id_type!(
    /// One phone-to-phone handover mailbox (`hid`) at a relay, chosen by the new
    /// phone and shown in its handover QR. The relay sees it; it opens nothing.
    HandoverId,
    "hid"
);
id_type!(
    /// One device-key replacement (`rid`), chosen by the new phone for each push
    /// account it takes over; signed into the handover statement. The RP's sealed
    /// confirmation is fetched by it.
    ReplacementId,
    "rid"
);

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn ids_round_trip_in_canonical_text() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let id = DeviceId::make(&mut rng);
        let text = id.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(text.parse::<DeviceId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<DeviceId>(&json).unwrap(), id);
    }

    #[test]
    fn non_canonical_ids_are_refused() {
        // 16 zero bytes canonically end in "AA"; "AB" sets trailing bits.
        assert!(ChallengeId::parse("AAAAAAAAAAAAAAAAAAAAAA").is_ok());
        assert!(ChallengeId::parse("AAAAAAAAAAAAAAAAAAAAAB").is_err());
        assert!(ChallengeId::parse("AAAAAAAAAAAAAAAAAAAAAA==").is_err());
        assert!(ChallengeId::parse("AAAAAAAAAAAAAAAAAAAA").is_err());
        assert!(ChallengeId::parse("AAAAAAAAAAAAAAAAAAAA+/").is_err());
    }
}
