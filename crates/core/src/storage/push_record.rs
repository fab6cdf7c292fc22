//! The stored form of push enrollments and of the phone-wide push state.
//!
//! The channel key is written as base64url inside the encrypted payload;
//! the text is zeroized after use on both paths.

use assent_protocol::{
    b64_decode, b64_encode, ApprovalKind, ChallengeId, ChannelKey, Custody, DeviceId,
    DevicePublicKey, EnrollmentId, Platform, RelayUrl, RpId,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::vault::{PushEnrollment, PushHandover, PushState, SeenChallenge};
use assent_protocol::handover::{HandoverRequest, HandoverStatement};

#[derive(Serialize, Deserialize)]
pub(super) struct PushRecord {
    rp_id: RpId,
    relay_url: RelayUrl,
    enrollment_id: EnrollmentId,
    device_id: DeviceId,
    device_pub: DevicePublicKey,
    key_alias: String,
    #[serde(serialize_with = "ser_key", deserialize_with = "de_key")]
    channel_key: ChannelKey,
    min_kind: ApprovalKind,
    user_verification: bool,
    custody: Custody,
    platform: Platform,
    push_token_seq: u64,
    unenroll_requested_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    handover: Option<HandoverRecord>,
}

/// A handover under way (absent in vaults written before handovers existed).
#[derive(Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase", deny_unknown_fields)]
enum HandoverRecord {
    Incoming {
        statement: HandoverStatement,
    },
    Outgoing {
        request: HandoverRequest,
        sent: bool,
    },
}

impl From<&PushHandover> for HandoverRecord {
    fn from(h: &PushHandover) -> Self {
        match h {
            PushHandover::Incoming(statement) => Self::Incoming {
                statement: statement.clone(),
            },
            PushHandover::Outgoing { request, sent } => Self::Outgoing {
                request: request.clone(),
                sent: *sent,
            },
        }
    }
}

impl From<HandoverRecord> for PushHandover {
    fn from(r: HandoverRecord) -> Self {
        match r {
            HandoverRecord::Incoming { statement } => Self::Incoming(statement),
            HandoverRecord::Outgoing { request, sent } => Self::Outgoing { request, sent },
        }
    }
}

fn ser_key<S: Serializer>(key: &ChannelKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&Zeroizing::new(b64_encode(key.expose_secret())))
}

fn de_key<'de, D: Deserializer<'de>>(d: D) -> Result<ChannelKey, D::Error> {
    let text = Zeroizing::new(String::deserialize(d)?);
    let bytes = Zeroizing::new(
        b64_decode(&text, "channel_key").map_err(|_| serde::de::Error::custom("bad key"))?,
    );
    let array: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| serde::de::Error::custom("bad key"))?;
    Ok(ChannelKey::from_bytes(array))
}

impl From<&PushEnrollment> for PushRecord {
    fn from(p: &PushEnrollment) -> Self {
        Self {
            rp_id: p.rp_id.clone(),
            relay_url: p.relay_url.clone(),
            enrollment_id: p.enrollment_id,
            device_id: p.device_id,
            device_pub: p.device_pub.clone(),
            key_alias: p.key_alias.clone(),
            channel_key: p.channel_key.clone(),
            min_kind: p.min_kind,
            user_verification: p.user_verification,
            custody: p.custody,
            platform: p.platform,
            push_token_seq: p.push_token_seq,
            unenroll_requested_at: p.unenroll_requested_at,
            handover: p.handover.as_ref().map(HandoverRecord::from),
        }
    }
}

impl From<PushRecord> for PushEnrollment {
    fn from(r: PushRecord) -> Self {
        Self {
            rp_id: r.rp_id,
            relay_url: r.relay_url,
            enrollment_id: r.enrollment_id,
            device_id: r.device_id,
            device_pub: r.device_pub,
            key_alias: r.key_alias,
            channel_key: r.channel_key,
            min_kind: r.min_kind,
            user_verification: r.user_verification,
            custody: r.custody,
            platform: r.platform,
            push_token_seq: r.push_token_seq,
            unenroll_requested_at: r.unenroll_requested_at,
            handover: r.handover.map(PushHandover::from),
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
pub(super) struct PushStateRecord {
    #[serde(default)]
    relay_offset: i64,
    #[serde(default)]
    clock_samples: Vec<i64>,
    #[serde(default)]
    seen: Vec<SeenRecord>,
}

#[derive(Serialize, Deserialize)]
struct SeenRecord {
    id: ChallengeId,
    expires_at: u64,
    #[serde(default)]
    answered: bool,
}

impl From<&PushState> for PushStateRecord {
    fn from(s: &PushState) -> Self {
        Self {
            relay_offset: s.relay_offset,
            clock_samples: s.clock_samples.clone(),
            seen: s
                .seen
                .iter()
                .map(|c| SeenRecord {
                    id: c.id,
                    expires_at: c.expires_at,
                    answered: c.answered,
                })
                .collect(),
        }
    }
}

impl From<PushStateRecord> for PushState {
    fn from(r: PushStateRecord) -> Self {
        Self {
            relay_offset: r.relay_offset,
            clock_samples: r.clock_samples,
            seen: r
                .seen
                .into_iter()
                .map(|c| SeenChallenge {
                    id: c.id,
                    expires_at: c.expires_at,
                    answered: c.answered,
                })
                .collect(),
        }
    }
}
