//! The push half of an account: what push enrollment stored, kept encrypted
//! in the vault beside the account's TOTP secret.

use assent_protocol::handover::{HandoverRequest, HandoverStatement};
use assent_protocol::{
    ApprovalKind, ChannelKey, Custody, DeviceId, DevicePublicKey, EnrollmentId, Platform, RelayUrl,
    RpId,
};

/// The record of a push enrollment. Made by
/// [`PushClient::finish_enrollment`](crate::PushClient::finish_enrollment);
/// the vault stores and returns it.
///
/// The channel key is secret: it has no public accessor, is zeroized on drop
/// and redacted in Debug output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEnrollment {
    pub(crate) rp_id: RpId,
    pub(crate) relay_url: RelayUrl,
    pub(crate) enrollment_id: EnrollmentId,
    pub(crate) device_id: DeviceId,
    pub(crate) device_pub: DevicePublicKey,
    pub(crate) key_alias: String,
    pub(crate) channel_key: ChannelKey,
    pub(crate) min_kind: ApprovalKind,
    pub(crate) user_verification: bool,
    pub(crate) custody: Custody,
    pub(crate) platform: Platform,
    pub(crate) push_token_seq: u64,
    pub(crate) unenroll_requested_at: Option<u64>,
    pub(crate) handover: Option<PushHandover>,
}

/// Where a push account stands in a move to another phone (docs/protocol.md §11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushHandover {
    /// New phone: taken over from the old phone, waiting for the RP to swap in
    /// this phone's key. Codes work; approvals start once the RP confirmed
    /// ([`PushClient::check_handovers`](crate::PushClient::check_handovers)).
    Incoming(HandoverStatement),
    /// Old phone: handed over; the account and its key are deleted once the
    /// RP confirms. `sent` is false while the request has not reached the relay.
    Outgoing {
        /// The signed request (resent until the relay took it).
        request: HandoverRequest,
        /// The relay acknowledged it.
        sent: bool,
    },
}

impl PushHandover {
    /// The statement of the key swap.
    pub fn statement(&self) -> &HandoverStatement {
        match self {
            Self::Incoming(s) => s,
            Self::Outgoing { request, .. } => &request.statement,
        }
    }
}

impl PushEnrollment {
    /// The RP's id (host name).
    pub fn rp_id(&self) -> &RpId {
        &self.rp_id
    }
    /// The relay's canonical HTTPS URL.
    pub fn relay_url(&self) -> &RelayUrl {
        &self.relay_url
    }
    /// The offer's enrollment id.
    pub fn enrollment_id(&self) -> &EnrollmentId {
        &self.enrollment_id
    }
    /// The device id the RP assigned.
    pub fn device_id(&self) -> &DeviceId {
        &self.device_id
    }
    /// The device's public key (pinned by the RP).
    pub fn device_public_key(&self) -> &DevicePublicKey {
        &self.device_pub
    }
    /// The alias of the device key in the [`KeyStore`](crate::keys::KeyStore).
    pub fn key_alias(&self) -> &str {
        &self.key_alias
    }
    /// The weakest approval kind this phone accepts for the account (the
    /// stronger of the offer's and the enrollment answer's).
    pub fn min_kind(&self) -> ApprovalKind {
        self.min_kind
    }
    /// Whether the RP requires user verification (the device key was created
    /// with user-authentication access control where the platform has it).
    pub fn user_verification(&self) -> bool {
        self.user_verification
    }
    /// Who holds the RP's keys: [`Custody::Relay`] (managed mode) means the
    /// relay is trusted by the RP; the app should say so.
    pub fn custody(&self) -> Custody {
        self.custody
    }
    /// How the relay reaches the phone.
    pub fn platform(&self) -> Platform {
        self.platform
    }
    /// The last push-token update sequence number sent.
    pub fn push_token_seq(&self) -> u64 {
        self.push_token_seq
    }
    /// When removal was requested (relay time), while it awaits the RP's
    /// confirmation.
    pub fn unenroll_requested_at(&self) -> Option<u64> {
        self.unenroll_requested_at
    }
    /// The account's handover to or from another phone, while one is under way.
    pub fn handover(&self) -> Option<&PushHandover> {
        self.handover.as_ref()
    }
    /// Whether approvals work on this phone: false while a handover to this
    /// phone waits for the RP's confirmation.
    pub fn can_approve(&self) -> bool {
        !matches!(self.handover, Some(PushHandover::Incoming(_)))
    }
}

/// Phone-wide push state, persisted in the vault: the relay clock offset,
/// the authenticated clock samples behind the TOTP offset, and the
/// challenge ids seen (kept until they expire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PushState {
    /// Relay time minus local time, from the last reply's `Assent-Time`.
    pub relay_offset: i64,
    /// Recent `created_at − local receipt time` of opened challenges, newest last.
    pub clock_samples: Vec<i64>,
    /// Challenge ids already shown, with their expiry.
    pub seen: Vec<SeenChallenge>,
}

/// A challenge id the phone has opened, remembered until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeenChallenge {
    /// The id.
    pub id: assent_protocol::ChallengeId,
    /// The RP's deadline.
    pub expires_at: u64,
    /// The user answered it: it is never shown again.
    pub answered: bool,
}

#[cfg(test)]
pub(crate) fn sample_enrollment() -> PushEnrollment {
    // A fixed valid P-256 point (the RFC 6979 A.2.5 key used by docs/protocol.md §9).
    const DEVICE_PUB: &str =
        "BGD-1LolWp0xyWHrdMY1bWjASbiSO2H6bOZpYi5g8p-2eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk";
    PushEnrollment {
        rp_id: RpId::parse("example.com").unwrap_or_else(|_| unreachable!()),
        relay_url: RelayUrl::parse("https://relay.example.com").unwrap_or_else(|_| unreachable!()),
        enrollment_id: EnrollmentId::from_bytes([1; 16]),
        device_id: DeviceId::from_bytes([2; 16]),
        device_pub: DevicePublicKey::parse(DEVICE_PUB).unwrap_or_else(|_| unreachable!()),
        key_alias: "k1".into(),
        channel_key: ChannelKey::from_bytes([0x4b; 32]),
        min_kind: ApprovalKind::Number,
        user_verification: true,
        custody: Custody::Rp,
        platform: Platform::Ios,
        push_token_seq: 3,
        unenroll_requested_at: Some(1_700_000_000),
        handover: None,
    }
}
