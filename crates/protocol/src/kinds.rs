//! The small enums of the protocol. On the wire (URI, JSON and inside `enc`) each is its
//! lowercase ASCII word.

use crate::encoding::text_serde;
use crate::error::{Error, Result};

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lowercase wire word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Parses the exact lowercase wire word.
            pub fn parse(text: &str) -> Result<Self> {
                match text {
                    $($word => Ok($name::$variant),)+
                    _ => Err(Error::invalid($field, "unknown value")),
                }
            }

            fn to_text(self) -> &'static str {
                self.as_str()
            }
        }

        text_serde!($name);
    };
}

word_enum! {
    /// What the user does on the phone to approve. Ordered: `Simple < Number < Code`.
    /// Only `Code` meets NIST SP 800-63B rev 4 for push.
    ApprovalKind, "kind" {
        /// YES / NO (kAuth parity; only where the RP's policy allows it).
        Simple = "simple",
        /// Type the 2-digit number (10–99) shown on the login page.
        Number = "number",
        /// Type the 6-digit code shown on the login page.
        Code = "code",
    }
}

impl PartialOrd for ApprovalKind {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ApprovalKind {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

impl ApprovalKind {
    /// Whether `entered` has the shape this kind asks for: empty for `Simple`, two ASCII
    /// digits 10–99 for `Number`, six ASCII digits for `Code`.
    pub fn entered_is_well_formed(self, entered: &str) -> bool {
        let digits = entered.bytes().all(|b| b.is_ascii_digit());
        match self {
            ApprovalKind::Simple => entered.is_empty(),
            ApprovalKind::Number => digits && entered.len() == 2 && !entered.starts_with('0'),
            ApprovalKind::Code => digits && entered.len() == 6,
        }
    }
}

word_enum! {
    /// Who holds the RP's keys.
    Custody, "custody" {
        /// End-to-end (default): the Rust RP library holds them; the relay is not trusted.
        Rp = "rp",
        /// Managed mode: the relay holds them for an RP in another language and is trusted
        /// by that RP. The app shows this.
        Relay = "relay",
    }
}

word_enum! {
    /// The user's decision on a challenge.
    Decision, "decision" {
        /// Allow the login.
        Approve = "approve",
        /// Refuse the login.
        Deny = "deny",
        /// "This wasn't me": refuse, mute pushes for a while, tell the RP.
        Fraud = "fraud",
    }
}

word_enum! {
    /// How the relay reaches the phone.
    Platform, "platform" {
        /// APNs.
        Ios = "ios",
        /// FCM HTTP v1.
        Android = "android",
        /// Web Push (RFC 8030) to the endpoint a UnifiedPush distributor gave the app
        /// (Android without Google Play services); the push token is a
        /// [`crate::webpush::WebPushSubscription`].
        WebPush = "webpush",
        /// No push: the phone polls.
        Poll = "poll",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_ordered() {
        assert!(ApprovalKind::Simple < ApprovalKind::Number);
        assert!(ApprovalKind::Number < ApprovalKind::Code);
        assert_eq!(ApprovalKind::ALL.iter().max(), Some(&ApprovalKind::Code));
    }

    #[test]
    fn words_round_trip_and_are_exact() {
        for k in ApprovalKind::ALL {
            assert_eq!(ApprovalKind::parse(k.as_str()).unwrap(), *k);
        }
        for p in Platform::ALL {
            assert_eq!(p.to_string().parse::<Platform>().unwrap(), *p);
        }
        assert!(ApprovalKind::parse("Number").is_err());
        assert!(Custody::parse("").is_err());
        assert_eq!(
            serde_json::to_string(&Decision::Fraud).unwrap(),
            "\"fraud\""
        );
    }

    #[test]
    fn entered_shapes() {
        assert!(ApprovalKind::Simple.entered_is_well_formed(""));
        assert!(!ApprovalKind::Simple.entered_is_well_formed("1"));
        assert!(ApprovalKind::Number.entered_is_well_formed("42"));
        assert!(!ApprovalKind::Number.entered_is_well_formed("07"));
        assert!(!ApprovalKind::Number.entered_is_well_formed("4x"));
        assert!(ApprovalKind::Code.entered_is_well_formed("012345"));
        assert!(!ApprovalKind::Code.entered_is_well_formed("12345"));
        assert!(!ApprovalKind::Code.entered_is_well_formed("١٢٣٤٥٦"));
    }
}
