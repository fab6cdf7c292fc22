//! The small enums of the API, mirrored from the protocol crate (which
//! knows nothing of uniffi).

use assent_core::protocol;

/// How the relay reaches this phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Platform {
    /// Apple Push Notification service.
    Ios,
    /// Firebase Cloud Messaging (HTTP v1).
    Android,
    /// Web Push to a UnifiedPush distributor's endpoint (Android without Google
    /// Play services); register it with `useWebpushEndpoint`.
    WebPush,
    /// No push: the app polls with `pending()`.
    Poll,
}

/// What the user does on the phone to approve. Ordered from weakest to
/// strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ApprovalKind {
    /// YES / NO.
    Simple,
    /// Type the 2-digit number shown on the login page.
    Number,
    /// Type the 6-digit code shown on the login page.
    Code,
}

/// The user's answer to a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Decision {
    /// Allow the login.
    Approve,
    /// Refuse the login.
    Deny,
    /// "This wasn't me": refuse, mute pushes for a while, tell the RP.
    Fraud,
}

/// Who holds the login server's (RP's) keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Custody {
    /// End-to-end: the RP holds them; the relay is not trusted.
    Rp,
    /// Managed mode: the relay holds them and is trusted by the RP. Show
    /// this to the user.
    Relay,
}

/// What the user must type on the phone to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Entry {
    /// Nothing: YES / NO.
    Nothing,
    /// The 2-digit number (10–99) shown on the login page.
    Number,
    /// The 6-digit code shown on the login page.
    Code,
}

macro_rules! mirror {
    ($ours:ident <=> $theirs:path { $($v:ident),+ }) => {
        impl From<$theirs> for $ours {
            fn from(x: $theirs) -> Self {
                use $theirs as T;
                match x { $(T::$v => Self::$v),+ }
            }
        }
        impl From<$ours> for $theirs {
            fn from(x: $ours) -> Self {
                use $theirs as T;
                match x { $($ours::$v => T::$v),+ }
            }
        }
    };
}

mirror!(Platform <=> protocol::Platform { Ios, Android, WebPush, Poll });
mirror!(ApprovalKind <=> protocol::ApprovalKind { Simple, Number, Code });
mirror!(Decision <=> protocol::Decision { Approve, Deny, Fraud });
mirror!(Custody <=> protocol::Custody { Rp, Relay });
mirror!(Entry <=> assent_core::Entry { Nothing, Number, Code });
