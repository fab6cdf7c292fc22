//! Test support for enrollment and challenges: an in-memory fake relay, a software phone
//! built from `assent-protocol` alone, a recording event sink, and a fixture wiring them
//! to an [`Rp`] with a manual clock.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assent_protocol::{
    Answer, ApprovalKind, Challenge, ChallengeId, ChannelKey, Decision, DeviceId, Enrolled,
    EnrollmentAnswer, EnrollmentId, LoginContext, Offer, Platform, PushId, Registration, RelayUrl,
    RpId, SoftwareSigner, UnenrollConfirmation, UnenrollRequest,
};
use rand_chacha::ChaCha20Rng;

use crate::test_support::{fixture, rng};
use crate::{
    ActivationResult, EnrollmentAuthorization, Event, EventSink, ManualClock, OfferRequest,
    RegistrationStatus, RelayApi, RelayError, Rp, RpStore,
};

/// What the fake relay holds. Tests reach in to play a hostile relay.
#[derive(Default)]
pub(crate) struct RelayState {
    pub announced: Vec<(EnrollmentId, u64)>,
    pub registrations: HashMap<EnrollmentId, Registration>,
    pub enrollment_answers: HashMap<EnrollmentId, EnrollmentAnswer>,
    pub challenges: Vec<(Challenge, PushId)>,
    /// Served front first; the last one stays.
    pub answers: HashMap<ChallengeId, VecDeque<Answer>>,
    pub removed: Vec<DeviceId>,
    pub unenroll_requests: Vec<UnenrollRequest>,
    pub confirmations: Vec<UnenrollConfirmation>,
    pub handover_requests: Vec<assent_protocol::handover::HandoverRequest>,
    pub handover_confirmations: Vec<assent_protocol::handover::HandoverConfirmation>,
    /// Every call fails with `Unavailable` while set.
    pub down: bool,
    pub answer_calls: usize,
}

/// An in-memory relay: stores and forwards, nothing else.
#[derive(Default)]
pub(crate) struct FakeRelay {
    pub state: Mutex<RelayState>,
}

impl FakeRelay {
    pub fn with<T>(&self, f: impl FnOnce(&mut RelayState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
    fn up(&self) -> Result<std::sync::MutexGuard<'_, RelayState>, RelayError> {
        let s = self.state.lock().unwrap();
        if s.down {
            return Err(RelayError::Unavailable("fake relay is down".into()));
        }
        Ok(s)
    }
    pub fn last_challenge(&self) -> Challenge {
        self.with(|s| s.challenges.last().unwrap().0.clone())
    }
    /// Replaces whatever answer the relay holds for that challenge.
    pub fn put_answer(&self, answer: &Answer) {
        self.put_answer_for(&answer.challenge_id, answer);
    }
    /// Serves `answer` as the answer to `id` (a hostile relay may misfile it).
    pub fn put_answer_for(&self, id: &ChallengeId, answer: &Answer) {
        self.with(|s| s.answers.insert(*id, VecDeque::from([answer.clone()])));
    }
    /// Serves these answers one per call, in order.
    pub fn queue_answers(&self, answers: &[Answer]) {
        let id = answers[0].challenge_id;
        self.with(|s| s.answers.insert(id, answers.iter().cloned().collect()));
    }
}

#[async_trait::async_trait]
impl RelayApi for FakeRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        self.up()?.announced.push((*eid, expires_at));
        Ok(())
    }
    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        Ok(self.up()?.registrations.get(eid).cloned())
    }
    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        self.up()?
            .enrollment_answers
            .insert(answer.eid, answer.clone());
        Ok(())
    }
    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        self.up()?.challenges.push((challenge.clone(), *push_id));
        Ok(())
    }
    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        _wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        // Yield once, so concurrent polls interleave as they would on a network.
        tokio::task::yield_now().await;
        let mut s = self.up()?;
        s.answer_calls += 1;
        let Some(queue) = s.answers.get_mut(challenge_id) else {
            return Ok(None);
        };
        if queue.len() > 1 {
            return Ok(queue.pop_front());
        }
        Ok(queue.front().cloned())
    }
    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        self.up()?.removed.push(*device_id);
        Ok(())
    }
    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        Ok(self.up()?.unenroll_requests.clone())
    }
    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        self.up()?.confirmations.push(confirmation.clone());
        Ok(())
    }
    async fn handover_requests(
        &self,
    ) -> Result<Vec<assent_protocol::handover::HandoverRequest>, RelayError> {
        Ok(self.up()?.handover_requests.clone())
    }
    async fn confirm_handover(
        &self,
        confirmation: &assent_protocol::handover::HandoverConfirmation,
    ) -> Result<(), RelayError> {
        self.up()?.handover_confirmations.push(confirmation.clone());
        Ok(())
    }
}

/// Records every event.
#[derive(Default)]
pub(crate) struct RecordingEvents(pub Mutex<Vec<Event>>);

impl EventSink for RecordingEvents {
    fn deliver(&self, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl RecordingEvents {
    pub fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
}

/// A phone in software: one device key, the offer, the channel key, what it enrolled.
pub(crate) struct Phone {
    pub signer: SoftwareSigner,
    pub offer: Option<Offer>,
    pub k_chan: Option<ChannelKey>,
    pub enrolled: Option<Enrolled>,
    pub rng: ChaCha20Rng,
}

impl Phone {
    pub fn new(seed: u64) -> Self {
        let mut rng = rng(seed);
        Phone {
            signer: SoftwareSigner::make(&mut rng).unwrap(),
            offer: None,
            k_chan: None,
            enrolled: None,
            rng,
        }
    }

    /// Scans the offer URI and makes its registration (not yet posted).
    pub fn registration(&mut self, uri: &str, now: u64) -> Registration {
        let offer = Offer::parse_uri(uri, now).unwrap();
        let (reg, k) = Registration::make(
            &offer,
            &self.signer,
            Platform::Ios,
            "Alice's iPhone",
            "apns-token",
            &mut self.rng,
        )
        .unwrap();
        self.offer = Some(offer);
        self.k_chan = Some(k);
        reg
    }

    /// Scans and posts its registration to the relay.
    pub fn register(&mut self, relay: &FakeRelay, uri: &str, now: u64) {
        let reg = self.registration(uri, now);
        relay.with(|s| s.registrations.insert(reg.eid, reg));
    }

    /// Fetches and opens the enrollment answer.
    pub fn open_answer(&mut self, relay: &FakeRelay) -> Enrolled {
        let offer = self.offer.as_ref().unwrap();
        let answer = relay
            .with(|s| s.enrollment_answers.get(&offer.eid).cloned())
            .expect("answer delivered");
        let enrolled = answer
            .open(
                &offer.rp,
                &offer.eid,
                &assent_protocol::Signer::public_key(&self.signer),
                self.k_chan.as_ref().unwrap(),
            )
            .unwrap();
        self.enrolled = Some(enrolled.clone());
        enrolled
    }

    /// The current TOTP code the phone shows.
    pub fn code(&self, now: u64) -> String {
        let e = self.enrolled.as_ref().unwrap();
        e.totp.totp().unwrap().code_at(now).to_string()
    }

    pub fn device_id(&self) -> DeviceId {
        self.enrolled.as_ref().unwrap().device_id
    }

    /// Opens the challenge (checking authenticity and the minimum kind) and answers it.
    pub fn answer(
        &self,
        challenge: &Challenge,
        decision: Decision,
        entered: &str,
        uv_done: bool,
    ) -> Answer {
        let offer = self.offer.as_ref().unwrap();
        let enrolled = self.enrolled.as_ref().unwrap();
        challenge
            .open(
                &offer.rp,
                &enrolled.device_id,
                self.k_chan.as_ref().unwrap(),
                enrolled.min.max(offer.min),
                challenge.created_at,
            )
            .unwrap();
        Answer::make(
            &self.signer,
            &offer.rp,
            challenge,
            decision,
            entered,
            uv_done,
        )
        .unwrap()
    }
}

pub(crate) const T0: u64 = 1_700_000_010;

pub(crate) fn rp_id() -> RpId {
    RpId::parse("example.com").unwrap()
}

pub(crate) fn relay_url() -> RelayUrl {
    RelayUrl::parse("https://relay.example.com").unwrap()
}

pub(crate) fn context() -> LoginContext {
    LoginContext::new(
        "Firefox 126 on Windows",
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        "Bern, CH",
        T0,
    )
}

/// An RP with push on a fake relay, a manual clock at [`T0`] and a recording sink.
pub(crate) struct PushFixture {
    pub rp: Rp,
    pub clock: Arc<ManualClock>,
    pub relay: Arc<FakeRelay>,
    pub events: Arc<RecordingEvents>,
    pub rng: ChaCha20Rng,
}

pub(crate) fn push_fixture(store: Arc<dyn RpStore>) -> PushFixture {
    let f = fixture(store, T0);
    let relay = Arc::new(FakeRelay::default());
    let events = Arc::new(RecordingEvents::default());
    let rp =
        f.rp.with_push(rp_id(), relay.clone())
            .with_events(events.clone());
    PushFixture {
        rp,
        clock: f.clock,
        relay,
        events,
        rng: rng(7),
    }
}

impl PushFixture {
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Makes an offer for `account` on the test relay.
    pub async fn try_offer(
        &mut self,
        account: &str,
        request: &OfferRequest,
        auth: EnrollmentAuthorization,
    ) -> crate::Result<crate::NewOffer> {
        let relay = relay_url();
        (self.rp)
            .make_offer(account, request, &relay, auth, &mut self.rng)
            .await
    }

    /// Makes an offer for `account` as its first second factor.
    pub async fn offer(&mut self, account: &str, min: ApprovalKind) -> crate::NewOffer {
        let mut request = OfferRequest::new("Example", "alice@example.com");
        request.min = min;
        let auth = EnrollmentAuthorization::NoSecondFactorYet;
        self.try_offer(account, &request, auth).await.unwrap()
    }

    pub async fn complete(&mut self, eid: &EnrollmentId) -> crate::Result<RegistrationStatus> {
        self.rp.complete_registration(eid, &mut self.rng).await
    }

    pub async fn activate(
        &mut self,
        account: &str,
        eid: &EnrollmentId,
        code: &str,
    ) -> ActivationResult {
        self.rp
            .activate(account, eid, code, &mut self.rng)
            .await
            .unwrap()
    }

    /// The whole enrollment of a new phone for `account` (its first second factor).
    pub async fn enroll(&mut self, account: &str, min: ApprovalKind, seed: u64) -> Phone {
        let offer = self.offer(account, min).await;
        let mut phone = Phone::new(seed);
        phone.register(&self.relay, &offer.uri, self.now());
        let status = self.complete(&offer.offer.eid).await.unwrap();
        assert!(matches!(status, RegistrationStatus::AwaitingActivation(_)));
        phone.open_answer(&self.relay);
        let code = phone.code(self.now());
        match self.activate(account, &offer.offer.eid, &code).await {
            ActivationResult::Activated(_) => phone,
            ActivationResult::Rejected => panic!("right code rejected"),
        }
    }
}

use crate::Clock as _;

/// The async API's futures are `Send` (login servers run them on multi-threaded
/// runtimes, e.g. in axum handlers). Compile-time check.
#[allow(dead_code, clippy::let_underscore_future)]
fn futures_are_send(
    rp: &Rp,
    eid: &EnrollmentId,
    handle: &crate::SessionHandle,
    rng: &mut ChaCha20Rng,
) {
    fn send<T: Send>(_: T) {}
    send(rp.make_offer(
        "a",
        &OfferRequest::new("i", "a"),
        &relay_url(),
        EnrollmentAuthorization::NoSecondFactorYet,
        rng,
    ));
    send(rp.complete_registration(eid, rng));
    send(rp.start_challenge("a", &context(), rng));
    send(rp.poll_challenge(handle, Duration::ZERO));
    send(rp.check(handle));
    send(rp.remove_device("a", &DeviceId::from_bytes([0; 16]), rng));
    send(rp.process_unenroll_requests(rng));
    send(rp.set_totp(
        "a",
        &assent_otp::Secret::from_bytes(vec![0; 20]).unwrap(),
        crate::TotpParams::default(),
    ));
    send(rp.verify_totp("a", "123456"));
    send(rp.verify_backup_code("a", "x"));
    send(rp.generate_backup_codes("a", rng));
    send(rp.create_app_password("a", "n", rng));
    send(rp.verify_app_password("a", "x"));
    send(rp.prove_with_totp("a", "123456"));
    send(rp.activate("a", eid, "123456", rng));
    send(rp.redeem(handle));
    send(rp.delete_account("a"));
    send(crate::SqliteStore::open("rp.sqlite"));
    send(crate::SqliteStore::open_in_memory());
}
