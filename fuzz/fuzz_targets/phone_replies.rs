//! The phone's side of the relay API (`assent-core`'s `PushClient`): what it
//! makes of each reply the relay sends during enrollment, a push and a poll.
//! A fake transport answers every call; for each one the input picks the
//! correct reply (a real registration receipt, an enrollment answer sealed
//! for the phone's channel key, a challenge sealed for its device), that reply
//! with one byte changed, arbitrary status, time and body bytes, or an
//! unreachable relay. The push payload (as APNs/FCM deliver it) is the
//! input's, or the right one when absent.
//!
//! Checks: nothing panics; when every reply is the correct one, enrollment is
//! stored and the pushed challenge opens (so the harness really drives the
//! client down its deep paths); whatever the replies, a challenge the phone
//! shows is the one the RP made.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use arbitrary::Arbitrary;
use assent_core::protocol::testing::FixedRng;
use assent_core::protocol::{
    Algorithm, ApprovalKind, Challenge, ChallengeParams, ChannelKey, Custody, DeviceId,
    DevicePublicKey, Enrolled, EnrollmentAnswer, LoginContext, Offer, OfferParams, OfferSecrets,
    Platform, PushId, PushPayload, Registration, RelayUrl, RpId, Secret, TotpParams,
};
use assent_core::{
    DeviceCall, DeviceInfo, ManualClock, MemoryStorage, PushClient, RelayReply, RelayTransport,
    SoftwareKeyStore, StaticKey, TransportError, Vault, VaultEnv, VaultKey,
};
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_700_000_000;

#[derive(Debug, Arbitrary)]
enum Reply {
    Correct,
    Flipped {
        at: u16,
        xor: u8,
    },
    Raw {
        status: u16,
        relay_time: Option<u64>,
        body: Vec<u8>,
    },
    Unreachable,
}

#[derive(Debug, Arbitrary)]
struct Input {
    json_offer: bool,
    replies: Vec<Reply>,
    payload: Option<Vec<u8>>,
}

struct FakeRelay {
    offer: Offer,
    secrets: OfferSecrets,
    device: DeviceId,
    push_id: PushId,
    replies: Mutex<std::vec::IntoIter<Reply>>,
    /// The channel key and device key of the phone's registration.
    registered: Mutex<Option<(ChannelKey, DevicePublicKey)>>,
    /// The challenge the RP made, once asked for.
    made: Mutex<Option<Challenge>>,
    /// Whether every reply so far was the correct one.
    all_correct: Mutex<bool>,
}

fn rng(seed: u8) -> FixedRng {
    FixedRng::new(vec![seed; 256])
}

fn rp_id() -> Option<RpId> {
    RpId::parse("example.com").ok()
}

impl FakeRelay {
    /// The correct status and body for `call`, `None` where there is none.
    fn correct(&self, call: &DeviceCall) -> Option<(u16, Vec<u8>)> {
        if call.path == "/v1/register" {
            let registration = Registration::from_json(&call.body).ok()?;
            let verified = registration.verify(&self.offer, &self.secrets, NOW).ok()?;
            *self.registered.lock().ok()? = Some((verified.channel_key, verified.device_pub));
            let body = format!(r#"{{"eid":"{}","status":"registered"}}"#, self.offer.eid);
            return Some((201, body.into_bytes()));
        }
        let (k_chan, device_pub) = self.registered.lock().ok()?.clone()?;
        if call.path.starts_with("/v1/enrollments/") {
            let enrolled = Enrolled {
                device_id: self.device,
                totp: TotpParams {
                    secret: Secret::from_bytes(vec![7; 20]).ok()?,
                    algorithm: Algorithm::Sha1,
                    digits: 6,
                    period: 30,
                },
                min: ApprovalKind::Number,
            };
            let answer = EnrollmentAnswer::seal(
                &rp_id()?,
                &self.offer.eid,
                &device_pub,
                &k_chan,
                &enrolled,
                &mut rng(5),
            )
            .ok()?;
            return Some((200, answer.to_json().into_bytes()));
        }
        let challenge = Challenge::make(
            &rp_id()?,
            &k_chan,
            &ChallengeParams {
                device_id: self.device,
                kind: ApprovalKind::Number,
                uv: false,
                created_at: NOW,
                ttl: 120,
            },
            &LoginContext::new(
                "Firefox on Linux",
                IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
                "Bern, CH",
                NOW,
            ),
            &mut rng(6),
        )
        .ok()?;
        *self.made.lock().ok()? = Some(challenge.clone());
        if call.path == format!("/v1/challenges/{}", self.push_id) {
            Some((200, challenge.to_json().into_bytes()))
        } else if call.path.starts_with("/v1/challenges") {
            let list = format!(r#"{{"challenges":[{}]}}"#, challenge.to_json());
            Some((200, list.into_bytes()))
        } else {
            None
        }
    }

    fn not_correct(&self) {
        if let Ok(mut all) = self.all_correct.lock() {
            *all = false;
        }
    }
}

#[async_trait::async_trait]
impl RelayTransport for FakeRelay {
    async fn call(
        &self,
        _relay: &RelayUrl,
        call: DeviceCall,
    ) -> Result<RelayReply, TransportError> {
        let pick = self
            .replies
            .lock()
            .ok()
            .and_then(|mut r| r.next())
            .unwrap_or(Reply::Correct);
        let correct = self.correct(&call);
        let reply = |(status, body): (u16, Vec<u8>)| RelayReply {
            status,
            body,
            relay_time: Some(NOW),
        };
        match (pick, correct) {
            (Reply::Correct, Some(found)) => Ok(reply(found)),
            (Reply::Correct, None) => {
                self.not_correct();
                Ok(reply((404, Vec::new())))
            }
            (Reply::Flipped { at, xor }, found) => {
                self.not_correct();
                let (status, mut body) = found.unwrap_or((200, Vec::new()));
                let len = body.len();
                if let Some(byte) = body.get_mut(usize::from(at) % len.max(1)) {
                    *byte ^= xor.max(1);
                }
                Ok(reply((status, body)))
            }
            (
                Reply::Raw {
                    status,
                    relay_time,
                    body,
                },
                _,
            ) => {
                self.not_correct();
                Ok(RelayReply {
                    status,
                    body,
                    relay_time,
                })
            }
            (Reply::Unreachable, _) => {
                self.not_correct();
                Err(TransportError::new("unreachable"))
            }
        }
    }
}

fn offer() -> Option<(Offer, OfferSecrets)> {
    Offer::make(
        OfferParams {
            rp: rp_id()?,
            issuer: "Example".into(),
            account: "alice".into(),
            relay: RelayUrl::parse("https://relay.example.com").ok()?,
            min: ApprovalKind::Number,
            custody: Custody::Rp,
            uv: false,
            expires_at: NOW + 600,
        },
        &mut rng(1),
    )
    .ok()
}

async fn drive(input: Input) {
    let Some((offer, secrets)) = offer() else {
        panic!("the harness's offer is refused");
    };
    let relay = Arc::new(FakeRelay {
        offer: offer.clone(),
        secrets,
        device: DeviceId::from_bytes([4; 16]),
        push_id: PushId::from_bytes([8; 16]),
        replies: Mutex::new(input.replies.into_iter()),
        registered: Mutex::new(None),
        made: Mutex::new(None),
        all_correct: Mutex::new(true),
    });
    let env = VaultEnv::new(
        Arc::new(MemoryStorage::new()),
        Arc::new(StaticKey(VaultKey::from_bytes([3; 32]))),
    )
    .with_clock(Arc::new(ManualClock::new(NOW)))
    .with_rng(rng(9));
    let Ok(vault) = Vault::create(env) else {
        panic!("an in-memory vault cannot be made");
    };
    let keys = Arc::new(SoftwareKeyStore::new(Arc::new(MemoryStorage::new())));
    let device = DeviceInfo {
        platform: Platform::Poll,
        name: "phone".into(),
        push_token: String::new(),
    };
    let mut client = PushClient::new(vault, relay.clone(), keys, device);

    let pending = if input.json_offer {
        client.enroll_json(offer.to_json().as_bytes()).await
    } else {
        client.enroll_uri(&offer.to_uri()).await
    };
    let all_correct = || relay.all_correct.lock().map(|a| *a).unwrap_or(false);
    let pending = match pending {
        Ok(pending) => pending,
        Err(e) => {
            assert!(
                !all_correct(),
                "correct replies, yet enrollment failed: {e}"
            );
            return;
        }
    };
    let account = client.finish_enrollment(&pending).await;
    if !matches!(account, Ok(Some(_))) {
        assert!(
            !all_correct(),
            "correct replies, yet not enrolled: {account:?}"
        );
        return;
    }
    let device_pub = relay
        .registered
        .lock()
        .ok()
        .and_then(|r| r.as_ref().map(|(_, key)| key.clone()));
    let payload = input.payload.unwrap_or_else(|| match &device_pub {
        Some(key) => PushPayload::derive(relay.push_id, key).to_json().into_bytes(),
        None => Vec::new(),
    });
    let shown = client.handle_push(&payload).await;
    let made = relay.made.lock().ok().and_then(|m| m.clone());
    match &shown {
        Ok(view) => {
            let Some(made) = &made else {
                panic!("a challenge shown that the RP never made");
            };
            assert_eq!(
                view.challenge_id, made.challenge_id,
                "another challenge shown"
            );
        }
        Err(e) => {
            let right_payload = PushPayload::from_json(&payload)
                .map(|p| {
                    p.p == relay.push_id && device_pub.as_ref().is_some_and(|key| p.is_for(key))
                })
                .unwrap_or(false);
            assert!(
                !(all_correct() && right_payload),
                "correct replies, yet the push failed: {e}"
            );
        }
    }
    if let Ok(pending) = client.pending().await {
        let made = relay.made.lock().ok().and_then(|m| m.clone());
        for view in pending.shown {
            let Some(made) = &made else {
                panic!("a polled challenge shown that the RP never made");
            };
            assert_eq!(
                view.challenge_id, made.challenge_id,
                "another challenge polled"
            );
        }
    }
}

fuzz_target!(|input: Input| {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    runtime.block_on(drive(input));
});
