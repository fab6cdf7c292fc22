//! [`SimRelay`]: an honest in-process relay for the demo's simulated mode. It
//! serves the RP side ([`RelayApi`]) and the phone side ([`RelayTransport`],
//! routed by method and path as in docs/protocol.md §10) from memory, and
//! checks what a real relay checks: only announced enrollments register, the
//! first registration wins, signed device requests come from a known device
//! within ±60 s and verify with its key. Answers wake the RP's long-poll at
//! once.
//!
//! Known devices (from delivered enrollment answers) are kept in a file, so
//! pushes still reach the simulated phone after a restart. Everything else
//! (pending challenges, offers) lives in memory only. Use the real relay
//! (`assent-relay`) for anything but the demo.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use assent_core::{DeviceCall, Method, RelayReply, RelayTransport, TransportError};
use assent_protocol::api::{ErrorBody, ErrorCode};
use assent_protocol::{
    api, Answer, Challenge, ChallengeId, DeviceId, DevicePublicKey, EnrollmentAnswer, EnrollmentId,
    Error as P, PushId, Registration, RelayUrl, RequestAuth, UnenrollConfirmation, UnenrollRequest,
};
use assent_rp::{Clock, RelayApi, RelayError};
use tokio::sync::Notify;

struct Device {
    device_pub: DevicePublicKey,
    removed: bool,
}

struct Stored {
    challenge: Challenge,
    push_id: PushId,
    answer: Option<Answer>,
}

#[derive(Default)]
struct State {
    announced: HashMap<EnrollmentId, u64>,
    registrations: HashMap<EnrollmentId, Registration>,
    enrollment_answers: HashMap<EnrollmentId, EnrollmentAnswer>,
    devices: HashMap<DeviceId, Device>,
    challenges: Vec<Stored>,
    unenroll_requests: Vec<UnenrollRequest>,
    confirmations: HashMap<DeviceId, UnenrollConfirmation>,
}

/// The in-process relay of the simulated mode.
pub struct SimRelay {
    origin: RelayUrl,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    answered: Notify,
    devices_file: Option<PathBuf>,
}

impl std::fmt::Debug for SimRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRelay")
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
    reply(
        code.status(),
        ErrorBody::new(code, "simulated relay").to_json(),
    )
}

impl SimRelay {
    /// A relay at `origin` on `clock`, remembering devices in `devices_file`
    /// (one enrollment answer per line) when given.
    pub fn new(origin: RelayUrl, clock: Arc<dyn Clock>, devices_file: Option<PathBuf>) -> Self {
        let mut state = State::default();
        if let Some(text) = devices_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
        {
            for answer in text
                .lines()
                .filter_map(|l| EnrollmentAnswer::from_json(l.as_bytes()).ok())
            {
                state.devices.insert(
                    answer.device_id,
                    Device {
                        device_pub: answer.device_pub.clone(),
                        removed: false,
                    },
                );
            }
        }
        Self {
            origin,
            clock,
            state: Mutex::new(state),
            answered: Notify::new(),
            devices_file,
        }
    }

    /// The relay's URL (what offers name).
    pub fn origin(&self) -> &RelayUrl {
        &self.origin
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remember(&self, answer: &EnrollmentAnswer) {
        let Some(path) = &self.devices_file else {
            return;
        };
        let line = format!("{}\n", answer.to_json());
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(error = %e, "simulated relay: could not save the device list");
        }
    }

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
        let now = self.clock.now();
        let mut st = self.state();
        let Some(&expires_at) = st.announced.get(&registration.eid) else {
            return error(ErrorCode::UnknownEnrollment);
        };
        if let Some(existing) = st.registrations.get(&registration.eid) {
            if *existing == registration {
                return reply(200, r#"{"status":"registered"}"#);
            }
            return error(ErrorCode::AlreadyExists);
        }
        if now >= expires_at {
            return error(ErrorCode::Expired);
        }
        st.registrations.insert(registration.eid, registration);
        reply(201, r#"{"status":"registered"}"#)
    }

    fn enrollment_answer(&self, eid: &str) -> Reply {
        let Ok(eid) = EnrollmentId::parse(eid) else {
            return error(ErrorCode::UnknownEnrollment);
        };
        match self.state().enrollment_answers.get(&eid) {
            Some(a) => reply(200, a.to_json()),
            None => error(ErrorCode::NotReady),
        }
    }

    /// Checks a signed request, cheapest first; returns the signing device.
    fn authenticate(&self, call: &DeviceCall) -> Result<DeviceId, Reply> {
        let Some(auth) = &call.auth else {
            return Err(error(ErrorCode::BadSignature));
        };
        let now = self.clock.now();
        if auth.check_time(now).is_err() {
            return Err(error(ErrorCode::StaleTimestamp));
        }
        let st = self.state();
        let Some(device) = st.devices.get(&auth.device_id) else {
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

    fn poll(&self, device_id: DeviceId) -> Reply {
        let now = self.clock.now();
        let items: Vec<String> = self
            .state()
            .challenges
            .iter()
            .filter(|c| {
                c.challenge.device_id == device_id
                    && c.answer.is_none()
                    && now < c.challenge.expires_at
            })
            .map(|c| c.challenge.to_json())
            .collect();
        reply(200, format!(r#"{{"challenges":[{}]}}"#, items.join(",")))
    }

    fn fetch(&self, device_id: DeviceId, push_id: &str) -> Reply {
        let Ok(push_id) = PushId::parse(push_id) else {
            return error(ErrorCode::UnknownChallenge);
        };
        match self
            .state()
            .challenges
            .iter()
            .find(|c| c.push_id == push_id && c.challenge.device_id == device_id)
        {
            Some(c) => reply(200, c.challenge.to_json()),
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
        let now = self.clock.now();
        let mut st = self.state();
        let Some(stored) = st
            .challenges
            .iter_mut()
            .find(|c| c.challenge.challenge_id == answer.challenge_id)
        else {
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
                drop(st);
                self.answered.notify_waiters();
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
        match self.state().confirmations.get(&device_id) {
            Some(c) => reply(200, c.to_json()),
            None => error(ErrorCode::NotReady),
        }
    }

    fn stored_answer(&self, id: &ChallengeId) -> Option<Answer> {
        self.state()
            .challenges
            .iter()
            .find(|c| c.challenge.challenge_id == *id)
            .and_then(|c| c.answer.clone())
    }

    fn purge(&self, now: u64) {
        let mut st = self.state();
        st.challenges
            .retain(|c| now < c.challenge.expires_at.saturating_add(300));
        st.announced.retain(|_, exp| now < exp.saturating_add(300));
    }
}

#[async_trait::async_trait]
impl RelayTransport for SimRelay {
    async fn call(&self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply, TransportError> {
        if relay != &self.origin {
            return Err(TransportError::new(
                "the simulated phone only reaches the demo's simulated relay",
            ));
        }
        let (status, body) = self.route(&call);
        Ok(RelayReply {
            status,
            body,
            relay_time: Some(self.clock.now()),
        })
    }
}

#[async_trait::async_trait]
impl RelayApi for SimRelay {
    async fn announce_enrollment(
        &self,
        eid: &EnrollmentId,
        expires_at: u64,
    ) -> Result<(), RelayError> {
        self.purge(self.clock.now());
        self.state().announced.insert(*eid, expires_at);
        Ok(())
    }

    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        Ok(self.state().registrations.get(eid).cloned())
    }

    async fn deliver_enrollment_answer(&self, answer: &EnrollmentAnswer) -> Result<(), RelayError> {
        let fresh = {
            let mut st = self.state();
            let fresh = match st.enrollment_answers.get(&answer.eid) {
                Some(first) if first.device_id != answer.device_id => {
                    return Err(RelayError::refused(ErrorCode::AlreadyExists))
                }
                Some(_) => false,
                None => {
                    let Some(registration) = st.registrations.get(&answer.eid) else {
                        return Err(RelayError::refused(ErrorCode::UnknownEnrollment));
                    };
                    if registration.device_pub != answer.device_pub {
                        return Err(RelayError::refused(ErrorCode::InvalidBody));
                    }
                    true
                }
            };
            st.devices.insert(
                answer.device_id,
                Device {
                    device_pub: answer.device_pub.clone(),
                    removed: false,
                },
            );
            st.enrollment_answers.insert(answer.eid, answer.clone());
            fresh
        };
        if fresh {
            self.remember(answer);
        }
        Ok(())
    }

    async fn create_challenge(
        &self,
        challenge: &Challenge,
        push_id: &PushId,
    ) -> Result<(), RelayError> {
        let mut st = self.state();
        if !st
            .devices
            .get(&challenge.device_id)
            .is_some_and(|d| !d.removed)
        {
            return Err(RelayError::refused(ErrorCode::UnknownDevice));
        }
        st.challenges.push(Stored {
            challenge: challenge.clone(),
            push_id: *push_id,
            answer: None,
        });
        Ok(())
    }

    async fn answer(
        &self,
        challenge_id: &ChallengeId,
        wait: Duration,
    ) -> Result<Option<Answer>, RelayError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.answered.notified();
            if let Some(a) = self.stored_answer(challenge_id) {
                return Ok(Some(a));
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(self.stored_answer(challenge_id));
            }
        }
    }

    async fn remove_device(&self, device_id: &DeviceId) -> Result<(), RelayError> {
        let mut st = self.state();
        if let Some(d) = st.devices.get_mut(device_id) {
            d.removed = true;
        }
        st.challenges
            .retain(|c| c.challenge.device_id != *device_id || c.answer.is_some());
        Ok(())
    }

    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        Ok(self.state().unenroll_requests.clone())
    }

    async fn confirm_unenroll(
        &self,
        confirmation: &UnenrollConfirmation,
    ) -> Result<(), RelayError> {
        let mut st = self.state();
        let device_id = confirmation.device_id;
        if let Some(d) = st.devices.get_mut(&device_id) {
            d.removed = true;
        }
        st.unenroll_requests.retain(|r| r.device_id != device_id);
        st.confirmations.insert(device_id, confirmation.clone());
        Ok(())
    }
}
