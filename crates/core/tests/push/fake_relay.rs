//! An in-memory relay that also plays the RP, built directly on the
//! assent-protocol builders. Tests reach in to alter what it serves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use assent_core::protocol::api::{ErrorBody, ErrorCode};
use assent_core::protocol::{
    api, Algorithm, Answer, ApprovalKind, Challenge, ChallengeParams, ChannelKey, Custody,
    DeviceId, DevicePublicKey, Enrolled, EnrollmentAnswer, EnrollmentId, Error as P, LoginContext,
    Offer, OfferParams, OfferSecrets, PushId, PushPayload, PushTokenUpdate, Registration, RelayUrl,
    RequestAuth, RpId, Secret, TotpParams, UnenrollConfirmation, UnenrollRequest,
};
use assent_core::{
    Clock, DeviceCall, ManualClock, Method, RelayReply, RelayTransport, TransportError,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const RP: &str = "example.com";
pub const RELAY: &str = "https://relay.example.com";
pub const T0: u64 = 1_700_000_000;
pub const TOTP_SECRET: [u8; 20] = *b"12345678901234567890";

/// What the RP keeps about an enrolled device.
#[derive(Clone)]
pub struct RpDevice {
    pub device_pub: DevicePublicKey,
    pub channel_key: ChannelKey,
}

#[derive(Default)]
pub struct State {
    pub offers: HashMap<EnrollmentId, (Offer, OfferSecrets)>,
    pub registrations: HashMap<EnrollmentId, Registration>,
    /// Served as-is at GET enrollment answer.
    pub enrollment_answers: HashMap<EnrollmentId, String>,
    pub devices: HashMap<DeviceId, RpDevice>,
    /// Served as-is at GET challenge by push id: (device, JSON).
    pub challenges: HashMap<PushId, (DeviceId, String)>,
    /// Served at poll, per device.
    pub pending: HashMap<DeviceId, Vec<String>>,
    pub answers: Vec<Answer>,
    pub push_tokens: HashMap<DeviceId, PushTokenUpdate>,
    pub unenroll_requests: Vec<UnenrollRequest>,
    /// Served at GET unenroll, per device.
    pub confirmations: HashMap<DeviceId, String>,
    /// Every call received.
    pub calls: Vec<DeviceCall>,
    /// Added to the relay's clock (header and timestamp check): a lying relay.
    pub time_lie: i64,
    /// Refuse every signed request as stale, whatever its timestamp.
    pub always_stale: bool,
}

pub struct FakeRelay {
    pub rp: RpId,
    pub relay: RelayUrl,
    /// The RP's and the relay's clock: the true time.
    pub clock: Arc<ManualClock>,
    pub state: Mutex<State>,
    rng: Mutex<ChaCha20Rng>,
}

fn reply(status: u16, body: impl Into<Vec<u8>>) -> (u16, Vec<u8>) {
    (status, body.into())
}

/// The relay's error body for `code`, with the status the code fixes.
fn error(code: ErrorCode) -> (u16, Vec<u8>) {
    reply(code.status(), ErrorBody::new(code, "test").to_json())
}

impl FakeRelay {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            rp: RpId::parse(RP).unwrap(),
            relay: RelayUrl::parse(RELAY).unwrap(),
            clock: Arc::new(ManualClock::new(T0)),
            state: Mutex::new(State::default()),
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(99)),
        })
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn relay_now(&self) -> u64 {
        let lie = self.state().time_lie;
        assent_core::clock::corrected(self.clock.now(), lie)
    }

    // ----- RP side -----

    /// Makes an offer valid for 10 minutes.
    pub fn make_offer(&self, min: ApprovalKind, uv: bool) -> Offer {
        let params = OfferParams {
            rp: self.rp.clone(),
            issuer: "Example".into(),
            account: "alice@example.com".into(),
            relay: self.relay.clone(),
            min,
            custody: Custody::Rp,
            uv,
            expires_at: self.clock.now() + 600,
        };
        let (offer, secrets) = Offer::make(params, &mut *self.rng.lock().unwrap()).unwrap();
        self.state()
            .offers
            .insert(offer.eid, (offer.clone(), secrets));
        offer
    }

    /// Verifies the registration of `eid` and publishes the sealed answer.
    pub fn deliver(&self, eid: &EnrollmentId, min: ApprovalKind) -> DeviceId {
        let mut rng = self.rng.lock().unwrap();
        let mut st = self.state();
        let (offer, secrets) = st.offers.get(eid).unwrap().clone();
        let registration = st.registrations.get(eid).unwrap().clone();
        let verified = registration
            .verify(&offer, &secrets, self.clock.now())
            .unwrap();
        let device_id = DeviceId::make(&mut *rng);
        let enrolled = Enrolled {
            device_id,
            totp: totp_params(),
            min,
        };
        let answer = EnrollmentAnswer::seal(
            &self.rp,
            eid,
            &verified.device_pub,
            &verified.channel_key,
            &enrolled,
            &mut *rng,
        )
        .unwrap();
        st.enrollment_answers.insert(*eid, answer.to_json());
        st.devices.insert(
            device_id,
            RpDevice {
                device_pub: verified.device_pub,
                channel_key: verified.channel_key,
            },
        );
        device_id
    }

    /// Makes a challenge created now (RP time) and publishes it under a new
    /// push id (fetch) and in the device's poll list.
    pub fn challenge(
        &self,
        device_id: DeviceId,
        kind: ApprovalKind,
        uv: bool,
    ) -> (PushId, Challenge) {
        let mut rng = self.rng.lock().unwrap();
        let key = self
            .state()
            .devices
            .get(&device_id)
            .unwrap()
            .channel_key
            .clone();
        let context = LoginContext::new(
            "Firefox 126 on Windows",
            "203.0.113.7".parse().unwrap(),
            "Bern, CH",
            self.clock.now(),
        );
        let params = ChallengeParams {
            device_id,
            kind,
            uv,
            created_at: self.clock.now(),
            ttl: 120,
        };
        let challenge = Challenge::make(&self.rp, &key, &params, &context, &mut *rng).unwrap();
        let push_id = PushId::make(&mut *rng);
        drop(rng);
        self.publish(push_id, device_id, challenge.to_json());
        (push_id, challenge)
    }

    /// Serves `json` at the push id and in `device`'s poll list.
    pub fn publish(&self, push_id: PushId, device: DeviceId, json: String) {
        let mut st = self.state();
        st.challenges.insert(push_id, (device, json.clone()));
        st.pending.entry(device).or_default().push(json);
    }

    /// A push id the relay has not used yet.
    pub fn push_id(&self) -> PushId {
        PushId::make(&mut *self.rng.lock().unwrap())
    }

    /// The push notification for `push_id`, tagged for the device whose
    /// challenge was published under it (as the relay would send it).
    pub fn payload(&self, push_id: PushId) -> Vec<u8> {
        let device = self.state().challenges.get(&push_id).unwrap().0;
        self.payload_for(push_id, device)
    }

    /// The push notification for `push_id`, tagged for `device`.
    pub fn payload_for(&self, push_id: PushId, device: DeviceId) -> Vec<u8> {
        let key = self
            .state()
            .devices
            .get(&device)
            .unwrap()
            .device_pub
            .clone();
        PushPayload::derive(push_id, &key).to_json().into_bytes()
    }

    /// Confirms the last unenroll request of `device_id` under its channel
    /// key, for `requested_at` (the request's own, or an older one).
    pub fn confirm_unenroll(&self, device_id: DeviceId, requested_at: Option<u64>) {
        let mut rng = self.rng.lock().unwrap();
        let mut st = self.state();
        let device = st.devices.get(&device_id).unwrap().clone();
        let mut request = st
            .unenroll_requests
            .iter()
            .rev()
            .find(|r| r.device_id == device_id)
            .unwrap()
            .clone();
        request.verify(&device.device_pub, &self.rp).unwrap();
        if let Some(at) = requested_at {
            request.requested_at = at;
        }
        let confirmation = UnenrollConfirmation::seal(
            &self.rp,
            &device.channel_key,
            &request,
            self.clock.now(),
            &mut *rng,
        )
        .unwrap();
        st.confirmations.insert(device_id, confirmation.to_json());
    }

    /// Forges a confirmation for the last request under a key of the relay's own.
    pub fn forge_unenroll(&self, device_id: DeviceId) {
        let mut rng = self.rng.lock().unwrap();
        let mut st = self.state();
        let request = st.unenroll_requests.last().unwrap().clone();
        let key = ChannelKey::make(&mut *rng);
        let forged =
            UnenrollConfirmation::seal(&self.rp, &key, &request, self.clock.now(), &mut *rng)
                .unwrap();
        st.confirmations.insert(device_id, forged.to_json());
    }

    // ----- relay side -----

    fn route(&self, call: &DeviceCall) -> (u16, Vec<u8>) {
        let path = call.path.as_str();
        if call.method == Method::Post && path == api::REGISTER {
            let Ok(registration) = Registration::from_json(&call.body) else {
                return error(ErrorCode::InvalidBody);
            };
            let mut st = self.state();
            if !st.offers.contains_key(&registration.eid) {
                return error(ErrorCode::UnknownEnrollment);
            }
            st.registrations.insert(registration.eid, registration);
            return reply(200, r#"{"status":"registered"}"#);
        }
        if call.method == Method::Get {
            if let Some(eid) = path
                .strip_prefix("/v1/enrollments/")
                .and_then(|p| p.strip_suffix("/answer"))
            {
                let eid = EnrollmentId::parse(eid).unwrap();
                return match self.state().enrollment_answers.get(&eid) {
                    Some(json) => reply(200, json.clone()),
                    None => error(ErrorCode::UnknownEnrollment),
                };
            }
        }
        let device_id = match self.authenticate(call) {
            Ok(id) => id,
            Err(e) => return e,
        };
        let mut st = self.state();
        match (call.method, path) {
            (Method::Get, api::CHALLENGES) => {
                let list = st.pending.get(&device_id).cloned().unwrap_or_default();
                reply(200, format!(r#"{{"challenges":[{}]}}"#, list.join(",")))
            }
            (Method::Get, p) if p.starts_with("/v1/challenges/") => {
                let push_id = PushId::parse(&p["/v1/challenges/".len()..]).unwrap();
                match st.challenges.get(&push_id) {
                    Some((d, json)) if *d == device_id => reply(200, json.clone()),
                    _ => error(ErrorCode::UnknownChallenge),
                }
            }
            (Method::Post, api::ANSWER) => {
                let answer = Answer::from_json(&call.body).unwrap();
                st.answers.push(answer);
                reply(200, r#"{"state":"answered"}"#)
            }
            (Method::Post, api::PUSH_TOKEN) => {
                let update = PushTokenUpdate::from_json(&call.body).unwrap();
                let newer = st
                    .push_tokens
                    .get(&device_id)
                    .map_or(true, |old| update.is_newer_than(old.seq));
                if newer {
                    st.push_tokens.insert(device_id, update);
                }
                reply(200, "{}")
            }
            (Method::Post, api::UNENROLL) => {
                let request = UnenrollRequest::from_json(&call.body).unwrap();
                st.unenroll_requests.push(request);
                reply(200, "{}")
            }
            (Method::Get, api::UNENROLL) => match st.confirmations.get(&device_id) {
                Some(json) => reply(200, json.clone()),
                None => error(ErrorCode::UnknownDevice),
            },
            _ => error(ErrorCode::RouteNotFound),
        }
    }

    fn authenticate(&self, call: &DeviceCall) -> Result<DeviceId, (u16, Vec<u8>)> {
        let Some(auth) = &call.auth else {
            return Err(error(ErrorCode::BadSignature));
        };
        let (device, stale) = {
            let st = self.state();
            (st.devices.get(&auth.device_id).cloned(), st.always_stale)
        };
        let Some(device) = device else {
            return Err(error(ErrorCode::UnknownDevice));
        };
        if stale {
            return Err(error(ErrorCode::StaleTimestamp));
        }
        match RequestAuth::verify(
            auth,
            &device.device_pub,
            &self.relay,
            call.method.as_str(),
            &call.path,
            &call.body,
            self.relay_now(),
        ) {
            Ok(()) => Ok(auth.device_id),
            Err(P::ClockSkew) => Err(error(ErrorCode::StaleTimestamp)),
            Err(_) => Err(error(ErrorCode::BadSignature)),
        }
    }
}

pub fn totp_params() -> TotpParams {
    TotpParams {
        secret: Secret::from_bytes(TOTP_SECRET.to_vec()).unwrap(),
        algorithm: Algorithm::Sha1,
        digits: 6,
        period: 30,
    }
}

#[async_trait::async_trait]
impl RelayTransport for FakeRelay {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        assert_eq!(relay, &self.relay, "phone called another relay");
        let (status, body) = self.route(&call);
        self.state().calls.push(call);
        Ok(RelayReply {
            status,
            body,
            relay_time: Some(self.relay_now()),
        })
    }
}
