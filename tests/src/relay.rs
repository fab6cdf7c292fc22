//! [`FakeRelay`]: an in-process relay that serves both sides — the phone's device API
//! ([`RelayTransport`], routed by method and path as in docs/protocol.md §10) and the RP's
//! API ([`RelayApi`]) — and can turn hostile.
//!
//! As an honest relay it checks what a real one checks: only announced eids register,
//! the first registration wins, signed requests come from a known device with a
//! timestamp within ±60 s of the relay's own clock and a signature that verifies with the
//! device key of the registration; every reply carries the relay's time. As a hostile
//! relay, hooks ([`FakeRelay::on_registration`] and friends) rewrite, replace or drop any
//! message in flight, and [`FakeRelay::with_state`] reaches into what it stores.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use assent_core::{DeviceCall, Method, RelayReply, RelayTransport, TransportError};
use assent_protocol::api::{ErrorBody, ErrorCode};
use assent_protocol::{
    api, Answer, Challenge, ChallengeId, DeviceId, DevicePublicKey, EnrollmentAnswer, EnrollmentId,
    Error as P, PushId, PushPayload, Registration, RelayUrl, RequestAuth, UnenrollConfirmation,
    UnenrollRequest,
};
use assent_rp::{Clock, RelayApi, RelayError};

/// A hook on one message kind: gets the message the relay is about to hand over and
/// returns what to hand over instead (`None` drops it).
pub type Hook<T> = Box<dyn FnMut(T) -> Option<T> + Send>;

/// The hostile hooks, one per message the relay forwards.
#[derive(Default)]
pub struct Hooks {
    /// Registration, relay → RP.
    pub registration: Option<Hook<Registration>>,
    /// Enrollment answer, relay → phone.
    pub enrollment_answer: Option<Hook<EnrollmentAnswer>>,
    /// Challenge, relay → phone (fetch by push id and poll).
    pub challenge: Option<Hook<Challenge>>,
    /// Answer, relay → RP.
    pub answer: Option<Hook<Answer>>,
    /// Unenroll requests, relay → RP.
    pub unenroll_request: Option<Hook<UnenrollRequest>>,
    /// Unenroll confirmation, relay → phone.
    pub confirmation: Option<Hook<UnenrollConfirmation>>,
}

/// Runs `hook` (if set) on `value`.
fn apply<T>(hook: &mut Option<Hook<T>>, value: T) -> Option<T> {
    match hook {
        Some(h) => h(value),
        None => Some(value),
    }
}

/// A challenge as the relay stores it.
#[derive(Debug, Clone)]
pub struct StoredChallenge {
    /// The challenge as the RP made it.
    pub challenge: Challenge,
    /// The push id it was pushed with.
    pub push_id: PushId,
    /// The first answer the phone posted.
    pub answer: Option<Answer>,
}

/// A device the relay knows (from a delivered enrollment answer).
#[derive(Debug, Clone)]
pub struct StoredDevice {
    /// The key signed requests must verify with (from the phone's registration).
    pub device_pub: DevicePublicKey,
    /// The RP removed it (only the unenroll confirmation may still be fetched).
    pub removed: bool,
}

/// Everything the relay stores. Tests may read and change it (a hostile relay).
#[derive(Default)]
pub struct RelayState {
    /// Announced eids and their expiry.
    pub announced: HashMap<EnrollmentId, u64>,
    /// Registrations as the phones posted them (first one wins).
    pub registrations: HashMap<EnrollmentId, Registration>,
    /// Sealed enrollment answers delivered by the RP.
    pub enrollment_answers: HashMap<EnrollmentId, EnrollmentAnswer>,
    /// Known devices.
    pub devices: HashMap<DeviceId, StoredDevice>,
    /// Challenges, in creation order.
    pub challenges: Vec<StoredChallenge>,
    /// Every push sent, in order (the push id is the whole payload).
    pub pushes: Vec<PushId>,
    /// Unenroll requests waiting for the RP (latest per device).
    pub unenroll_requests: Vec<UnenrollRequest>,
    /// Unenroll confirmations, per device.
    pub confirmations: HashMap<DeviceId, UnenrollConfirmation>,
    /// Every device call received, in order.
    pub calls: Vec<DeviceCall>,
    /// Hostile: accept a later registration for an eid, replacing the first.
    pub accept_later_registrations: bool,
    /// Seconds added to the relay's clock (what it checks and what it reports).
    pub time_lie: i64,
    /// Every RP API call fails while set.
    pub down: bool,
    /// The phone cannot reach the relay while set (no reply at all).
    pub offline: bool,
}

impl RelayState {
    /// The stored challenge with this id.
    pub fn challenge_mut(&mut self, id: &ChallengeId) -> Option<&mut StoredChallenge> {
        self.challenges
            .iter_mut()
            .find(|c| c.challenge.challenge_id == *id)
    }
}

/// The in-process relay. Share it as `Arc<FakeRelay>` between the RP and the phones.
pub struct FakeRelay {
    origin: RelayUrl,
    clock: Arc<dyn Clock>,
    state: Mutex<RelayState>,
    hooks: Mutex<Hooks>,
}

impl std::fmt::Debug for FakeRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeRelay")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

type Reply = (u16, Vec<u8>);

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    (status, body.into())
}

/// The relay's error body for `code`, with the status the code fixes.
fn error(code: ErrorCode) -> Reply {
    reply(code.status(), ErrorBody::new(code, "fake relay").to_json())
}

/// Returns `Pending` once, so concurrent futures interleave as on a network.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl FakeRelay {
    /// A relay at `origin` whose clock is `clock` (usually the RP's).
    pub fn new(origin: RelayUrl, clock: Arc<dyn Clock>) -> Self {
        Self {
            origin,
            clock,
            state: Mutex::new(RelayState::default()),
            hooks: Mutex::new(Hooks::default()),
        }
    }

    /// The relay's canonical URL.
    pub fn origin(&self) -> &RelayUrl {
        &self.origin
    }

    /// The relay's time (its clock plus any lie).
    pub fn now(&self) -> u64 {
        let lie = self.state().time_lie;
        assent_core::clock::corrected(self.clock.now(), lie)
    }

    /// Locks the state.
    pub fn state(&self) -> MutexGuard<'_, RelayState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut RelayState) -> T) -> T {
        f(&mut self.state())
    }

    fn hooks(&self) -> MutexGuard<'_, Hooks> {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rewrites (or drops) registrations on their way to the RP.
    pub fn on_registration(
        &self,
        f: impl FnMut(Registration) -> Option<Registration> + Send + 'static,
    ) {
        self.hooks().registration = Some(Box::new(f));
    }

    /// Rewrites (or drops) enrollment answers on their way to the phone.
    pub fn on_enrollment_answer(
        &self,
        f: impl FnMut(EnrollmentAnswer) -> Option<EnrollmentAnswer> + Send + 'static,
    ) {
        self.hooks().enrollment_answer = Some(Box::new(f));
    }

    /// Rewrites (or drops) challenges on their way to the phone.
    pub fn on_challenge(&self, f: impl FnMut(Challenge) -> Option<Challenge> + Send + 'static) {
        self.hooks().challenge = Some(Box::new(f));
    }

    /// Rewrites (or drops) answers on their way to the RP.
    pub fn on_answer(&self, f: impl FnMut(Answer) -> Option<Answer> + Send + 'static) {
        self.hooks().answer = Some(Box::new(f));
    }

    /// Rewrites (or drops) unenroll requests on their way to the RP.
    pub fn on_unenroll_request(
        &self,
        f: impl FnMut(UnenrollRequest) -> Option<UnenrollRequest> + Send + 'static,
    ) {
        self.hooks().unenroll_request = Some(Box::new(f));
    }

    /// Rewrites (or drops) unenroll confirmations on their way to the phone.
    pub fn on_confirmation(
        &self,
        f: impl FnMut(UnenrollConfirmation) -> Option<UnenrollConfirmation> + Send + 'static,
    ) {
        self.hooks().confirmation = Some(Box::new(f));
    }

    /// Back to an honest relay (state is kept).
    pub fn clear_hooks(&self) {
        *self.hooks() = Hooks::default();
    }

    /// The last push sent.
    pub fn last_push(&self) -> PushId {
        *self
            .state()
            .pushes
            .last()
            .unwrap_or_else(|| panic!("no push was sent"))
    }

    /// The push notification payload `{"p":"<push id>"}` for `push_id`.
    pub fn payload(push_id: PushId) -> Vec<u8> {
        PushPayload { p: push_id }.to_json().into_bytes()
    }

    /// The payload of the last push sent.
    pub fn last_payload(&self) -> Vec<u8> {
        Self::payload(self.last_push())
    }

    /// The challenge as the RP gave it to the relay.
    pub fn challenge(&self, id: &ChallengeId) -> Challenge {
        self.state()
            .challenge_mut(id)
            .map(|c| c.challenge.clone())
            .unwrap_or_else(|| panic!("no such challenge at the relay"))
    }

    /// The answer the phone posted for `id`, as stored (before any hook).
    pub fn stored_answer(&self, id: &ChallengeId) -> Option<Answer> {
        self.state()
            .challenge_mut(id)
            .and_then(|c| c.answer.clone())
    }

    /// Hostile: stores `challenge` as if the RP had made it and "pushes" it under
    /// `push_id` (see [`FakeRelay::last_payload`]).
    pub fn inject_challenge(&self, challenge: Challenge, push_id: PushId) {
        let mut st = self.state();
        st.pushes.push(push_id);
        st.challenges.push(StoredChallenge {
            challenge,
            push_id,
            answer: None,
        });
    }

    // ----- the device API -----

    fn route(&self, call: &DeviceCall) -> Reply {
        let path = call.path.as_str();
        if call.method == Method::Post && path == api::REGISTER {
            return self.register(&call.body);
        }
        if call.method == Method::Get {
            if let Some(eid) = path
                .strip_prefix("/v1/enrollments/")
                .and_then(|p| p.strip_suffix("/answer"))
            {
                return self.enrollment_answer(eid);
            }
        }
        let device_id = match self.authenticate(call) {
            Ok(id) => id,
            Err(e) => return e,
        };
        match (call.method, path) {
            (Method::Get, api::CHALLENGES) => self.poll(device_id),
            (Method::Get, p) if p.starts_with("/v1/challenges/") => {
                self.fetch(device_id, &p["/v1/challenges/".len()..])
            }
            (Method::Post, api::ANSWER) => self.post_answer(device_id, &call.body),
            (Method::Post, api::PUSH_TOKEN) => reply(200, "{}"),
            (Method::Post, api::UNENROLL) => self.post_unenroll(device_id, &call.body),
            (Method::Get, api::UNENROLL) => self.get_confirmation(device_id),
            _ => error(ErrorCode::RouteNotFound),
        }
    }

    fn register(&self, body: &[u8]) -> Reply {
        let Ok(registration) = Registration::from_json(body) else {
            return error(ErrorCode::InvalidBody);
        };
        let now = self.now();
        let mut st = self.state();
        let Some(&expires_at) = st.announced.get(&registration.eid) else {
            return error(ErrorCode::UnknownEnrollment);
        };
        if let Some(existing) = st.registrations.get(&registration.eid) {
            if *existing == registration {
                return reply(200, r#"{"status":"registered"}"#);
            }
            if !st.accept_later_registrations {
                return error(ErrorCode::AlreadyExists);
            }
        } else if now >= expires_at {
            return error(ErrorCode::Expired);
        }
        st.registrations.insert(registration.eid, registration);
        reply(201, r#"{"status":"registered"}"#)
    }

    fn enrollment_answer(&self, eid: &str) -> Reply {
        let Ok(eid) = EnrollmentId::parse(eid) else {
            return error(ErrorCode::UnknownEnrollment);
        };
        let answer = self.state().enrollment_answers.get(&eid).cloned();
        let Some(answer) = answer else {
            return error(ErrorCode::NotReady);
        };
        match apply(&mut self.hooks().enrollment_answer, answer) {
            Some(a) => reply(200, a.to_json()),
            None => error(ErrorCode::NotReady),
        }
    }

    /// Checks a signed request, cheapest first; returns the signing device.
    fn authenticate(&self, call: &DeviceCall) -> Result<DeviceId, Reply> {
        let Some(auth) = &call.auth else {
            return Err(error(ErrorCode::BadSignature));
        };
        let now = self.now();
        if auth.check_time(now).is_err() {
            return Err(error(ErrorCode::StaleTimestamp));
        }
        let device = self.state().devices.get(&auth.device_id).cloned();
        let Some(device) = device else {
            return Err(error(ErrorCode::UnknownDevice));
        };
        let confirmation_fetch = call.method == Method::Get && call.path == api::UNENROLL;
        if device.removed && !confirmation_fetch {
            return Err(error(ErrorCode::UnknownDevice));
        }
        match RequestAuth::verify(
            auth,
            &device.device_pub,
            &self.origin,
            call.method.as_str(),
            &call.path,
            &call.body,
            now,
        ) {
            Ok(()) => Ok(auth.device_id),
            Err(P::ClockSkew) => Err(error(ErrorCode::StaleTimestamp)),
            Err(_) => Err(error(ErrorCode::BadSignature)),
        }
    }

    fn pending_for(&self, device_id: DeviceId) -> Vec<Challenge> {
        let now = self.now();
        self.state()
            .challenges
            .iter()
            .filter(|c| {
                c.challenge.device_id == device_id
                    && c.answer.is_none()
                    && now < c.challenge.expires_at
            })
            .map(|c| c.challenge.clone())
            .collect()
    }

    fn poll(&self, device_id: DeviceId) -> Reply {
        let listed = self.pending_for(device_id);
        let mut hooks = self.hooks();
        let items: Vec<String> = listed
            .into_iter()
            .filter_map(|c| apply(&mut hooks.challenge, c))
            .map(|c| c.to_json())
            .collect();
        reply(200, format!(r#"{{"challenges":[{}]}}"#, items.join(",")))
    }

    fn fetch(&self, device_id: DeviceId, push_id: &str) -> Reply {
        let Ok(push_id) = PushId::parse(push_id) else {
            return error(ErrorCode::UnknownChallenge);
        };
        let found = self
            .state()
            .challenges
            .iter()
            .find(|c| c.push_id == push_id && c.challenge.device_id == device_id)
            .map(|c| c.challenge.clone());
        let Some(challenge) = found else {
            return error(ErrorCode::UnknownChallenge);
        };
        match apply(&mut self.hooks().challenge, challenge) {
            Some(c) => reply(200, c.to_json()),
            None => error(ErrorCode::UnknownChallenge),
        }
    }

    fn post_answer(&self, device_id: DeviceId, body: &[u8]) -> Reply {
        let Ok(answer) = Answer::from_json(body) else {
            return error(ErrorCode::InvalidBody);
        };
        if answer.device_id != device_id {
            return error(ErrorCode::InvalidBody);
        }
        let now = self.now();
        let mut st = self.state();
        let Some(stored) = st.challenge_mut(&answer.challenge_id) else {
            return error(ErrorCode::UnknownChallenge);
        };
        if stored.challenge.device_id != device_id {
            return error(ErrorCode::UnknownChallenge);
        }
        match &stored.answer {
            Some(first) if *first == answer => reply(200, r#"{"state":"answered"}"#),
            Some(_) => error(ErrorCode::NotPending),
            None if now >= stored.challenge.expires_at => error(ErrorCode::Expired),
            None => {
                stored.answer = Some(answer);
                reply(200, r#"{"state":"answered"}"#)
            }
        }
    }

    fn post_unenroll(&self, device_id: DeviceId, body: &[u8]) -> Reply {
        let Ok(request) = UnenrollRequest::from_json(body) else {
            return error(ErrorCode::InvalidBody);
        };
        if request.device_id != device_id {
            return error(ErrorCode::InvalidBody);
        }
        let mut st = self.state();
        st.unenroll_requests.retain(|r| r.device_id != device_id);
        st.unenroll_requests.push(request);
        reply(200, "{}")
    }

    fn get_confirmation(&self, device_id: DeviceId) -> Reply {
        let found = self.state().confirmations.get(&device_id).cloned();
        let Some(confirmation) = found else {
            return error(ErrorCode::NotReady);
        };
        match apply(&mut self.hooks().confirmation, confirmation) {
            Some(c) => reply(200, c.to_json()),
            None => error(ErrorCode::NotReady),
        }
    }

    fn up(&self) -> Result<MutexGuard<'_, RelayState>, RelayError> {
        let st = self.state();
        if st.down {
            return Err(RelayError::Unavailable("fake relay is down".into()));
        }
        Ok(st)
    }
}

#[async_trait::async_trait]
impl RelayTransport for FakeRelay {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        if relay != &self.origin {
            return Err(TransportError::new("no route to that relay"));
        }
        if self.state().offline {
            return Err(TransportError::new("offline"));
        }
        let (status, body) = self.route(&call);
        self.state().calls.push(call);
        Ok(RelayReply {
            status,
            body,
            relay_time: Some(self.now()),
        })
    }
}

#[async_trait::async_trait]
impl RelayApi for FakeRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        self.up()?.announced.insert(*eid, expires_at);
        Ok(())
    }

    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        let found = self.up()?.registrations.get(eid).cloned();
        Ok(found.and_then(|r| apply(&mut self.hooks().registration, r)))
    }

    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        let mut st = self.up()?;
        if let Some(first) = st.enrollment_answers.get(&answer.eid) {
            // A re-delivery (the RP retries): same device only.
            if first.device_id != answer.device_id {
                return Err(RelayError::refused(ErrorCode::AlreadyExists));
            }
        } else {
            let Some(registration) = st.registrations.get(&answer.eid) else {
                return Err(RelayError::refused(ErrorCode::UnknownEnrollment));
            };
            if registration.device_pub != answer.device_pub {
                return Err(RelayError::refused(ErrorCode::InvalidBody));
            }
        }
        st.devices.insert(
            answer.device_id,
            StoredDevice {
                device_pub: answer.device_pub.clone(),
                removed: false,
            },
        );
        st.enrollment_answers.insert(answer.eid, answer.clone());
        Ok(())
    }

    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        let mut st = self.up()?;
        if !st
            .devices
            .get(&challenge.device_id)
            .is_some_and(|d| !d.removed)
        {
            return Err(RelayError::refused(ErrorCode::UnknownDevice));
        }
        st.pushes.push(*push_id);
        st.challenges.push(StoredChallenge {
            challenge: challenge.clone(),
            push_id: *push_id,
            answer: None,
        });
        Ok(())
    }

    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        _wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        // Yield once, so concurrent polls interleave as they would on a network.
        YieldOnce(false).await;
        let stored = self
            .up()?
            .challenge_mut(challenge_id)
            .and_then(|c| c.answer.clone());
        Ok(stored.and_then(|a| apply(&mut self.hooks().answer, a)))
    }

    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        let mut st = self.up()?;
        if let Some(d) = st.devices.get_mut(device_id) {
            d.removed = true;
        }
        st.challenges
            .retain(|c| c.challenge.device_id != *device_id || c.answer.is_some());
        Ok(())
    }

    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        let list = self.up()?.unenroll_requests.clone();
        let mut hooks = self.hooks();
        Ok(list
            .into_iter()
            .filter_map(|r| apply(&mut hooks.unenroll_request, r))
            .collect())
    }

    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        let mut st = self.up()?;
        let device_id = confirmation.device_id;
        if let Some(d) = st.devices.get_mut(&device_id) {
            d.removed = true;
        }
        st.unenroll_requests.retain(|r| r.device_id != device_id);
        st.confirmations.insert(device_id, confirmation.clone());
        Ok(())
    }
}
