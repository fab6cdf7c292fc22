//! Benchmark of answer verification end to end in the RP: fetch the signed answer from
//! an in-memory relay, verify it (ids, deadline, ECDSA P-256 with the pinned key,
//! constant-time entered value), and resolve the challenge on the in-memory store.
#![allow(missing_docs)]
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assent_protocol::{
    Answer, Challenge, ChallengeId, Decision, DeviceId, EnrollmentAnswer, EnrollmentId, Offer,
    Platform, PushId, Registration, Signer as _, SoftwareSigner, UnenrollConfirmation,
    UnenrollRequest,
};
use assent_rp::{
    ActivationResult, ChallengeStatus, EnrollmentAuthorization, LoginContext, ManualClock,
    MemoryStore, OfferRequest, PushPolicy, RegistrationStatus, RelayApi, RelayError, RelayUrl, Rp,
    RpId,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const T: u64 = 1_700_000_010;

#[derive(Default)]
struct Relay {
    registrations: Mutex<HashMap<EnrollmentId, Registration>>,
    enrollment_answers: Mutex<HashMap<EnrollmentId, EnrollmentAnswer>>,
    last_challenge: Mutex<Option<Challenge>>,
    answers: Mutex<HashMap<ChallengeId, Answer>>,
}

#[async_trait::async_trait]
impl RelayApi for Relay {
    async fn announce_enrollment(&self, _: &EnrollmentId, _: u64) -> Result<(), RelayError> {
        Ok(())
    }
    async fn registration(&self, eid: &EnrollmentId) -> Result<Option<Registration>, RelayError> {
        Ok(self.registrations.lock().unwrap().get(eid).cloned())
    }
    async fn deliver_enrollment_answer(&self, a: &EnrollmentAnswer) -> Result<(), RelayError> {
        self.enrollment_answers
            .lock()
            .unwrap()
            .insert(a.eid, a.clone());
        Ok(())
    }
    async fn create_challenge(&self, c: &Challenge, _: &PushId) -> Result<(), RelayError> {
        *self.last_challenge.lock().unwrap() = Some(c.clone());
        Ok(())
    }
    async fn answer(&self, id: &ChallengeId, _: Duration) -> Result<Option<Answer>, RelayError> {
        Ok(self.answers.lock().unwrap().remove(id))
    }
    async fn remove_device(&self, _: &DeviceId) -> Result<(), RelayError> {
        Ok(())
    }
    async fn unenroll_requests(&self) -> Result<Vec<UnenrollRequest>, RelayError> {
        Ok(Vec::new())
    }
    async fn confirm_unenroll(&self, _: &UnenrollConfirmation) -> Result<(), RelayError> {
        Ok(())
    }
    async fn handover_requests(
        &self,
    ) -> Result<Vec<assent_protocol::handover::HandoverRequest>, RelayError> {
        Ok(Vec::new())
    }
    async fn confirm_handover(
        &self,
        _: &assent_protocol::handover::HandoverConfirmation,
    ) -> Result<(), RelayError> {
        Ok(())
    }
}

fn answer_verification(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let relay = Arc::new(Relay::default());
    let rp_id = RpId::parse("example.com").unwrap();
    let rp = Rp::new(MemoryStore::new())
        .with_clock(ManualClock::new(T))
        .with_push(rp_id.clone(), relay.clone())
        .with_push_policy(PushPolicy {
            max_pending: u32::MAX,
            max_per_window: u32::MAX,
            ..PushPolicy::default()
        });

    // Enroll one software phone.
    let offer = rt
        .block_on(rp.make_offer(
            "alice",
            &OfferRequest::new("Example", "alice@example.com"),
            &RelayUrl::parse("https://relay.example.com").unwrap(),
            EnrollmentAuthorization::NoSecondFactorYet,
            &mut rng,
        ))
        .unwrap();
    let parsed = Offer::parse_uri(&offer.uri, T).unwrap();
    let signer = SoftwareSigner::make(&mut rng).unwrap();
    let (reg, k_chan) = Registration::make(
        &parsed,
        &signer,
        Platform::Poll,
        "bench phone",
        "",
        &mut rng,
    )
    .unwrap();
    relay.registrations.lock().unwrap().insert(reg.eid, reg);
    let status = rt
        .block_on(rp.complete_registration(&parsed.eid, &mut rng))
        .unwrap();
    assert!(matches!(status, RegistrationStatus::AwaitingActivation(_)));
    let enrolled = relay.enrollment_answers.lock().unwrap()[&parsed.eid]
        .open(&rp_id, &parsed.eid, &signer.public_key(), &k_chan)
        .unwrap();
    let code = enrolled.totp.totp().unwrap().code_at(T).to_string();
    assert!(matches!(
        rt.block_on(rp.activate("alice", &parsed.eid, &code, &mut rng))
            .unwrap(),
        ActivationResult::Activated(_)
    ));

    let context = LoginContext::new(
        "Firefox 126 on Windows",
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        "Bern, CH",
        T,
    );
    c.bench_function(
        "poll_challenge: verify answer + resolve (memory store)",
        |b| {
            b.iter_batched(
                || {
                    // Untimed: start a challenge and have the phone approve it.
                    let started = rt
                        .block_on(rp.start_challenge("alice", &context, &mut rng))
                        .unwrap();
                    let challenge = relay.last_challenge.lock().unwrap().clone().unwrap();
                    let answer = Answer::make(
                        &signer,
                        &rp_id,
                        &challenge,
                        Decision::Approve,
                        &started.display,
                        false,
                    )
                    .unwrap();
                    relay
                        .answers
                        .lock()
                        .unwrap()
                        .insert(challenge.challenge_id, answer);
                    started.handle
                },
                |handle| {
                    let status = rt.block_on(rp.check(&handle)).unwrap();
                    assert_eq!(status, ChallengeStatus::Approved);
                    handle
                },
                BatchSize::SmallInput,
            )
        },
    );
}

criterion_group!(benches, answer_verification);
criterion_main!(benches);
