//! [`HookedRelay`]: the real relay (`assent_relay`, on an in-memory database) in this
//! process, reached without a socket: phones call it as their [`RelayTransport`], the RP
//! through [`HttpRelay`] over an [`RpWire`], and every request goes through the relay's
//! own router (`oneshot`). So every cross-crate test runs against the real relay's
//! rules: announced eids only, first registration wins, signed requests within ±60 s of
//! the relay's clock, sealed-context length, TTL cap, pending limit, per-device window,
//! answers exactly once.
//!
//! Between the relay and its clients sit the hostile parts: hooks
//! ([`HookedRelay::on_registration`] and friends) rewrite or drop what the relay
//! hands out, forgeries ([`HookedRelay::inject_challenge`] and friends) serve what the
//! relay never stored, and the relay's clock can lie ([`HookedRelay::set_time_lie`]).
//! What went in (announcements, challenges as the RP made them, the answers and unenroll
//! requests the relay accepted, every device call) is recorded for tests to read.
//! Pushes go to a recording provider: [`HookedRelay::pushes`] (each payload exactly as
//! the relay made it, push id and routing tag).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use assent_core::{DeviceCall, Method, RelayReply, RelayTransport, TransportError};
use assent_protocol::api::{self, ErrorBody, ErrorCode, PendingList, PushRoute};
use assent_protocol::{
    Answer, Challenge, ChallengeId, DeviceId, DevicePublicKey, EnrollmentAnswer, EnrollmentId,
    PushId, PushPayload, Registration, RelayUrl, UnenrollConfirmation, UnenrollRequest,
};
use assent_relay::{PushOutcome, PushProvider, PushTarget};
use assent_rp::relay_http::{HttpRelay, RpRequest, RpWire};
use assent_rp::{Clock, RelayError};
use axum::body::Body;
use axum::http::{self, Request, Response};
use tower::ServiceExt as _;

/// A hook on one message kind: gets the message the relay is about to hand over and
/// returns what to hand over instead (`None` drops it).
pub type Hook<T> = Box<dyn FnMut(T) -> Option<T> + Send>;

/// The hostile hooks, one per message the relay hands out.
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
    /// The handover messages (hooks and forgeries, `relay_handover.rs`).
    pub handover: crate::relay_handover::HandoverHooks,
}

/// Runs `hook` (if set) on `value`.
pub(crate) fn apply<T>(hook: &mut Option<Hook<T>>, value: T) -> Option<T> {
    match hook {
        Some(h) => h(value),
        None => Some(value),
    }
}

/// What a hostile relay serves that the real one never stored.
#[derive(Default)]
struct Forgeries {
    /// Served on a fetch by push id, and listed on a poll, to the challenge's device.
    challenges: Vec<(Challenge, PushId)>,
    /// Served to the RP as the answer of a challenge.
    answers: HashMap<ChallengeId, Answer>,
    /// Served to the phone as its unenroll confirmation.
    confirmations: HashMap<DeviceId, UnenrollConfirmation>,
    /// Listed to the RP beside the genuine unenroll requests.
    unenroll_requests: Vec<UnenrollRequest>,
    /// Accept a later registration for an eid (the relay refused it) and serve it.
    accept_later_registrations: bool,
    later_registrations: HashMap<EnrollmentId, Registration>,
}

/// What went into the relay and was accepted.
#[derive(Default)]
struct Seen {
    announced: HashMap<EnrollmentId, u64>,
    enrollment_answers: HashMap<EnrollmentId, EnrollmentAnswer>,
    challenges: Vec<(Challenge, PushId)>,
    answers: HashMap<ChallengeId, Answer>,
    unenroll_requests: Vec<UnenrollRequest>,
    calls: Vec<DeviceCall>,
}

/// The relay's clock: the world's, plus a lie.
struct LyingClock {
    inner: Arc<dyn Clock>,
    lie: AtomicI64,
}

impl Clock for LyingClock {
    fn now(&self) -> u64 {
        assent_core::clock::corrected(self.inner.now(), self.lie.load(Ordering::SeqCst))
    }
}

/// A push provider that wakes nobody and writes down every payload.
#[derive(Default)]
struct RecordingPush(Mutex<Vec<PushPayload>>);

#[async_trait::async_trait]
impl PushProvider for RecordingPush {
    fn name(&self) -> &'static str {
        "recording"
    }

    fn enabled(&self) -> bool {
        true
    }

    async fn notify(
        &self,
        _target: &PushTarget,
        payload: &PushPayload,
        _deadline: u64,
    ) -> PushOutcome {
        lock(&self.0).push(*payload);
        PushOutcome::Sent
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A reply: status and body.
pub(crate) type Reply = (u16, Vec<u8>);

/// An error reply for `code`, as the relay writes it.
pub(crate) fn error(code: ErrorCode) -> Reply {
    (
        code.status(),
        ErrorBody::new(code, "hostile relay").to_json().into_bytes(),
    )
}

/// The real relay in process, with hostile hooks. Share it as `Arc<HookedRelay>`
/// between the RP ([`HookedRelay::rp_api`]) and the phones.
pub struct HookedRelay {
    relay: assent_relay::Relay,
    router: axum::Router,
    api_key: String,
    clock: Arc<LyingClock>,
    push: Arc<RecordingPush>,
    offline: AtomicBool,
    hooks: Mutex<Hooks>,
    forged: Mutex<Forgeries>,
    seen: Mutex<Seen>,
}

impl std::fmt::Debug for HookedRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookedRelay")
            .field("origin", &self.origin().as_str())
            .finish_non_exhaustive()
    }
}

impl HookedRelay {
    /// A relay at `origin` whose clock is `clock` (usually the RP's), with one tenant.
    pub async fn start(origin: &RelayUrl, clock: Arc<dyn Clock>) -> Arc<Self> {
        crate::log_scan::install();
        let clock = Arc::new(LyingClock {
            inner: clock,
            lie: AtomicI64::new(0),
        });
        let push = Arc::new(RecordingPush::default());
        let relay = assent_relay::Relay::builder()
            .public_origin(origin.as_str())
            .clock(clock.clone())
            .push(push.clone())
            .build()
            .await
            .expect("an in-memory relay");
        let api_key = relay
            .create_tenant("example.com")
            .await
            .expect("a tenant")
            .as_str()
            .to_owned();
        crate::log_scan::register("API key", &api_key);
        Arc::new(Self {
            router: relay.router(),
            relay,
            api_key,
            clock,
            push,
            offline: AtomicBool::new(false),
            hooks: Mutex::new(Hooks::default()),
            forged: Mutex::new(Forgeries::default()),
            seen: Mutex::new(Seen::default()),
        })
    }

    /// The RP's client of this relay: the production [`HttpRelay`] over this process.
    pub fn rp_api(self: &Arc<Self>) -> HttpRelay {
        HttpRelay::with_wire(self.origin().clone(), &self.api_key, self.clone())
            .expect("a printable API key")
    }

    /// The relay's canonical URL.
    pub fn origin(&self) -> &RelayUrl {
        self.relay.origin()
    }

    /// The relay's time (its clock plus any lie).
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    // ----- hostile controls -----

    /// Seconds added to the relay's clock (what it checks and what it reports).
    pub fn set_time_lie(&self, seconds: i64) {
        self.clock.lie.store(seconds, Ordering::SeqCst);
    }

    /// The phone cannot reach the relay while set (no reply at all).
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
    }

    fn hooks(&self) -> MutexGuard<'_, Hooks> {
        lock(&self.hooks)
    }

    /// Runs `f` on the handover hooks (under the hooks' lock).
    pub(crate) fn handover_hooks<T>(
        &self,
        f: impl FnOnce(&mut crate::relay_handover::HandoverHooks) -> T,
    ) -> T {
        f(&mut self.hooks().handover)
    }

    fn forged(&self) -> MutexGuard<'_, Forgeries> {
        lock(&self.forged)
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        lock(&self.seen)
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

    /// Hostile: serves `challenge` as if the RP had made it and "pushes" it under
    /// `push_id` (see [`HookedRelay::last_payload`]), tagged for the device the
    /// challenge names, as the relay can (it holds the device's key).
    pub fn inject_challenge(&self, challenge: Challenge, push_id: PushId) {
        let key = self
            .device_key(&challenge.device_id)
            .expect("the challenge names a device of this relay");
        lock(&self.push.0).push(PushPayload::derive(push_id, &key));
        self.forged().challenges.push((challenge, push_id));
    }

    /// The device key of `device_id`, from the enrollment answers the relay carried.
    pub fn device_key(&self, device_id: &DeviceId) -> Option<DevicePublicKey> {
        self.seen()
            .enrollment_answers
            .values()
            .find(|a| a.device_id == *device_id)
            .map(|a| a.device_pub.clone())
    }

    /// Hostile: answers the RP's reads of `challenge_id` with `answer`.
    pub fn serve_answer(&self, challenge_id: ChallengeId, answer: Answer) {
        self.forged().answers.insert(challenge_id, answer);
    }

    /// Hostile: serves `confirmation` to the phone of `device_id` as its unenroll
    /// confirmation.
    pub fn serve_confirmation(&self, device_id: DeviceId, confirmation: UnenrollConfirmation) {
        self.forged().confirmations.insert(device_id, confirmation);
    }

    /// Hostile: lists `request` to the RP beside the genuine unenroll requests.
    pub fn inject_unenroll_request(&self, request: UnenrollRequest) {
        self.forged().unenroll_requests.push(request);
    }

    /// Hostile: a later registration for an eid, which the relay refuses, is answered as
    /// accepted and served to the RP instead of the first.
    pub fn accept_later_registrations(&self) {
        self.forged().accept_later_registrations = true;
    }

    /// Back to an honest relay: no hooks, no forgeries (what the relay stores is kept).
    pub fn clear_hooks(&self) {
        *self.hooks() = Hooks::default();
        *self.forged() = Forgeries::default();
    }

    // ----- what went in -----

    /// Every push sent, in order: the whole payload, push id and routing tag.
    pub fn pushes(&self) -> Vec<PushPayload> {
        lock(&self.push.0).clone()
    }

    /// The last push sent.
    pub fn last_push(&self) -> PushPayload {
        *self.pushes().last().expect("a push was sent")
    }

    /// The last push's JSON payload `{"p":"<push id>","r":"<tag>"}`, as the phone
    /// gets it.
    pub fn last_payload(&self) -> Vec<u8> {
        self.last_push().to_json().into_bytes()
    }

    /// The expiry the RP announced `eid` with, if it did.
    pub fn announced(&self, eid: &EnrollmentId) -> Option<u64> {
        self.seen().announced.get(eid).copied()
    }

    /// The sealed enrollment answer the RP delivered for `eid`.
    pub fn enrollment_answer(&self, eid: &EnrollmentId) -> Option<EnrollmentAnswer> {
        self.seen().enrollment_answers.get(eid).cloned()
    }

    /// The challenge as the RP gave it to the relay.
    pub fn challenge(&self, id: &ChallengeId) -> Challenge {
        self.seen()
            .challenges
            .iter()
            .find(|(c, _)| c.challenge_id == *id)
            .map(|(c, _)| c.clone())
            .expect("the RP created that challenge at the relay")
    }

    /// Every challenge as the RP gave it to the relay, in order.
    pub fn challenges(&self) -> Vec<Challenge> {
        self.seen()
            .challenges
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// The answer the relay accepted for `id` (the first; it refuses others).
    pub fn stored_answer(&self, id: &ChallengeId) -> Option<Answer> {
        self.seen().answers.get(id).cloned()
    }

    /// The unenroll requests the relay accepted from phones, in order.
    pub fn unenroll_requests(&self) -> Vec<UnenrollRequest> {
        self.seen().unenroll_requests.clone()
    }

    /// Every device call that reached the relay, in order.
    pub fn calls(&self) -> Vec<DeviceCall> {
        self.seen().calls.clone()
    }

    // ----- the wire -----

    /// Sends one request through the relay's router.
    async fn send(&self, request: Request<Body>) -> (Reply, Option<u64>) {
        let response: Response<Body> = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let time = response
            .headers()
            .get(api::headers::TIME)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the relay's reply body")
            .to_vec();
        ((status, body), time)
    }

    /// A phone's call, then the hostile rewrite of the reply.
    async fn device_call(&self, call: &DeviceCall) -> (Reply, Option<u64>) {
        let forged = self.forged_device_reply(call);
        let mut request = Request::builder().uri(call.path.as_str());
        request = match call.method {
            Method::Get => request.method(http::Method::GET),
            Method::Post => request
                .method(http::Method::POST)
                .header(http::header::CONTENT_TYPE, "application/json"),
            Method::Put => request
                .method(http::Method::PUT)
                .header(http::header::CONTENT_TYPE, "application/json"),
        };
        if let Some(auth) = &call.auth {
            for (name, value) in auth.to_headers() {
                request = request.header(name, value);
            }
        }
        let request = request
            .body(Body::from(call.body.clone()))
            .expect("a request");
        let (reply, time) = self.send(request).await;
        (
            self.rewrite_device_reply(call, forged.unwrap_or(reply)),
            time,
        )
    }

    /// What a forgery serves instead of the relay's reply to `call`.
    fn forged_device_reply(&self, call: &DeviceCall) -> Option<Reply> {
        if call.method == Method::Get {
            if let Some(reply) = self.forged_handover_reply(&call.path) {
                return Some(reply);
            }
        }
        let device = call.auth.as_ref().map(|a| a.device_id)?;
        let forged = self.forged();
        if call.method != Method::Get {
            return None;
        }
        if call.path == api::UNENROLL {
            let confirmation = forged.confirmations.get(&device)?;
            return Some((200, confirmation.to_json().into_bytes()));
        }
        let push_id = call.path.strip_prefix("/v1/challenges/")?;
        let push_id = PushId::parse(push_id).ok()?;
        let (challenge, _) = forged
            .challenges
            .iter()
            .find(|(c, p)| *p == push_id && c.device_id == device)?;
        Some((200, challenge.to_json().into_bytes()))
    }

    fn rewrite_device_reply(&self, call: &DeviceCall, reply: Reply) -> Reply {
        let (status, body) = reply;
        let path = call.path.as_str();
        if call.method == Method::Post {
            if status == 409 && path == api::REGISTER {
                return self
                    .later_registration(&call.body)
                    .unwrap_or((status, body));
            }
            if status == 200 {
                self.record_device_post(path, &call.body);
            }
            return (status, body);
        }
        if status != 200 {
            return (status, body);
        }
        if let Some(reply) = self.rewrite_handover_device_reply(path, &body) {
            return reply;
        }
        let mut hooks = self.hooks();
        if path == api::CHALLENGES {
            let Ok(mut list) = serde_json::from_slice::<PendingList>(&body) else {
                return (status, body);
            };
            list.challenges.extend(self.forged_pending(call));
            list.challenges = list
                .challenges
                .into_iter()
                .filter_map(|c| apply(&mut hooks.challenge, c))
                .collect();
            return (200, serde_json::to_vec(&list).expect("a list"));
        }
        if path.starts_with("/v1/challenges/") {
            let Ok(challenge) = Challenge::from_json(&body) else {
                return (status, body);
            };
            return match apply(&mut hooks.challenge, challenge) {
                Some(c) => (200, c.to_json().into_bytes()),
                None => error(ErrorCode::UnknownChallenge),
            };
        }
        if path.starts_with("/v1/enrollments/") {
            let Ok(answer) = EnrollmentAnswer::from_json(&body) else {
                return (status, body);
            };
            return match apply(&mut hooks.enrollment_answer, answer) {
                Some(a) => (200, a.to_json().into_bytes()),
                None => error(ErrorCode::NotReady),
            };
        }
        if path == api::UNENROLL {
            let Ok(confirmation) = UnenrollConfirmation::from_json(&body) else {
                return (status, body);
            };
            return match apply(&mut hooks.confirmation, confirmation) {
                Some(c) => (200, c.to_json().into_bytes()),
                None => error(ErrorCode::NotReady),
            };
        }
        (status, body)
    }

    /// The forged challenges a poll of `call`'s device lists: unexpired ones.
    fn forged_pending(&self, call: &DeviceCall) -> Vec<Challenge> {
        let Some(device) = call.auth.as_ref().map(|a| a.device_id) else {
            return Vec::new();
        };
        let now = self.now();
        self.forged()
            .challenges
            .iter()
            .filter(|(c, _)| c.device_id == device && now < c.expires_at)
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Hostile: takes a registration the relay refused as a later one.
    fn later_registration(&self, body: &[u8]) -> Option<Reply> {
        let mut forged = self.forged();
        if !forged.accept_later_registrations {
            return None;
        }
        let registration = Registration::from_json(body).ok()?;
        forged
            .later_registrations
            .insert(registration.eid, registration);
        Some((201, br#"{"status":"registered"}"#.to_vec()))
    }

    fn record_device_post(&self, path: &str, body: &[u8]) {
        let mut seen = self.seen();
        if path == api::ANSWER {
            if let Ok(answer) = Answer::from_json(body) {
                seen.answers.entry(answer.challenge_id).or_insert(answer);
            }
        } else if path == api::UNENROLL {
            if let Ok(request) = UnenrollRequest::from_json(body) {
                seen.unenroll_requests.push(request);
            }
        }
    }

    /// The RP's call, then the hostile rewrite of the reply.
    async fn rp_call(&self, request: RpRequest<'_>) -> Reply {
        let path = request
            .path
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let forged = self.forged_rp_reply(&request.method, &path);
        let body = request.body.clone().unwrap_or_default();
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(request.path)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.api_key),
            );
        if request.body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let (reply, _) = self
            .send(builder.body(Body::from(body.clone())).expect("a request"))
            .await;
        if request.method == http::Method::POST && (200..300).contains(&reply.0) {
            self.record_rp_post(&path, body.as_bytes(), &reply).await;
        }
        let reply = forged.unwrap_or(reply);
        if request.method != http::Method::GET || reply.0 != 200 {
            return reply;
        }
        self.rewrite_rp_reply(&path, reply)
    }

    fn forged_rp_reply(&self, method: &http::Method, path: &str) -> Option<Reply> {
        if method != http::Method::GET {
            return None;
        }
        let forged = self.forged();
        if let Some(eid) = path
            .strip_prefix("/v1/rp/enrollments/")
            .and_then(|p| p.strip_suffix("/registration"))
        {
            let eid = EnrollmentId::parse(eid).ok()?;
            let registration = forged.later_registrations.get(&eid)?;
            return Some((200, registration.to_json().into_bytes()));
        }
        let id = path
            .strip_prefix("/v1/rp/challenges/")
            .and_then(|p| p.strip_suffix("/answer"))?;
        let id = ChallengeId::parse(id).ok()?;
        let answer = forged.answers.get(&id)?;
        Some((200, answer.to_json().into_bytes()))
    }

    async fn record_rp_post(&self, path: &str, body: &[u8], reply: &Reply) {
        if path == api::RP_ENROLLMENTS {
            if let Ok(announce) = serde_json::from_slice::<api::Announce>(body) {
                self.seen()
                    .announced
                    .insert(announce.eid, announce.expires_at);
            }
        } else if path == api::RP_CHALLENGES {
            let Ok(created) = serde_json::from_slice::<api::CreateChallenge>(body) else {
                return;
            };
            self.seen()
                .challenges
                .push((created.challenge, created.push_id));
            // The relay pushes from a task of its own: let it run, so the push is
            // recorded when the RP's call returns (as a provider would have it by then).
            let queued = serde_json::from_slice::<api::ChallengeCreated>(&reply.1)
                .is_ok_and(|c| c.push == PushRoute::Queued);
            for _ in 0..1000 {
                if !queued || self.pushes().iter().any(|p| p.p == created.push_id) {
                    break;
                }
                tokio::task::yield_now().await;
            }
        } else if path.starts_with("/v1/rp/enrollments/") && path.ends_with("/answer") {
            if let Ok(answer) = EnrollmentAnswer::from_json(body) {
                self.seen()
                    .enrollment_answers
                    .entry(answer.eid)
                    .or_insert(answer);
            }
        }
    }

    fn rewrite_rp_reply(&self, path: &str, reply: Reply) -> Reply {
        let (status, body) = reply;
        if let Some(reply) = self.rewrite_handover_rp_reply(path, &body) {
            return reply;
        }
        let mut hooks = self.hooks();
        if path.starts_with("/v1/rp/enrollments/") && path.ends_with("/registration") {
            let Ok(registration) = Registration::from_json(&body) else {
                return (status, body);
            };
            return match apply(&mut hooks.registration, registration) {
                Some(r) => (200, r.to_json().into_bytes()),
                None => error(ErrorCode::NotReady),
            };
        }
        if path.starts_with("/v1/rp/challenges/") && path.ends_with("/answer") {
            let Ok(answer) = Answer::from_json(&body) else {
                return (status, body);
            };
            return match apply(&mut hooks.answer, answer) {
                Some(a) => (200, a.to_json().into_bytes()),
                None => (204, Vec::new()),
            };
        }
        if path == api::RP_UNENROLL_REQUESTS {
            let Some(list) = api::UnenrollList::parse_lenient(&body) else {
                return (status, body);
            };
            let mut requests: Vec<UnenrollRequest> = list
                .into_iter()
                .filter_map(|r| apply(&mut hooks.unenroll_request, r))
                .collect();
            drop(hooks);
            requests.extend(self.forged().unenroll_requests.iter().cloned());
            let list = api::UnenrollList { requests };
            return (200, serde_json::to_vec(&list).expect("a list"));
        }
        (status, body)
    }
}

#[async_trait::async_trait]
impl RelayTransport for HookedRelay {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        if relay != self.origin() {
            return Err(TransportError::new("no route to that relay"));
        }
        if self.offline.load(Ordering::SeqCst) {
            return Err(TransportError::new("offline"));
        }
        let ((status, body), relay_time) = self.device_call(&call).await;
        self.seen().calls.push(call);
        Ok(RelayReply {
            status,
            body,
            relay_time,
        })
    }
}

#[async_trait::async_trait]
impl RpWire for HookedRelay {
    async fn send(
        &self,
        base: &RelayUrl,
        api_key: &str,
        request: RpRequest<'_>,
    ) -> Result<(u16, Vec<u8>), RelayError> {
        if base != self.origin() || api_key != self.api_key {
            return Err(RelayError::Unavailable("no route to that relay".into()));
        }
        Ok(self.rp_call(request).await)
    }
}
