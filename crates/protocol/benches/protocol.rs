//! Answer signing/verification and challenge sealing/opening.
#![allow(missing_docs)]
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

use assent_protocol::{
    verify_answer, Answer, ApprovalKind, Challenge, ChallengeParams, ChannelKey, Decision,
    DeviceId, LoginContext, RpId, Signer as _, SoftwareSigner,
};
use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const NOW: u64 = 1_700_000_000;

fn benches(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let rp = RpId::parse("example.com").unwrap();
    let k = ChannelKey::make(&mut rng);
    let signer = SoftwareSigner::make(&mut rng).unwrap();
    let key = signer.public_key();
    let device = DeviceId::make(&mut rng);
    let context = LoginContext::new(
        "Firefox 126 on Windows",
        "203.0.113.7".parse().unwrap(),
        "Bern, CH",
        NOW,
    );
    let params = ChallengeParams {
        device_id: device,
        kind: ApprovalKind::Code,
        uv: true,
        created_at: NOW,
        ttl: 120,
    };
    let challenge = Challenge::make(&rp, &k, &params, &context, &mut rng).unwrap();
    let answer = Answer::make(&signer, &rp, &challenge, Decision::Approve, "123456", true).unwrap();

    c.bench_function("challenge_seal (RP)", |b| {
        b.iter(|| Challenge::make(&rp, &k, &params, &context, &mut rng).unwrap())
    });
    c.bench_function("challenge_open (phone)", |b| {
        b.iter(|| {
            challenge
                .open(&rp, &device, &k, ApprovalKind::Number, NOW + 1)
                .unwrap()
        })
    });
    c.bench_function("answer_sign (phone, software key)", |b| {
        b.iter(|| {
            Answer::make(&signer, &rp, &challenge, Decision::Approve, "123456", true).unwrap()
        })
    });
    c.bench_function("answer_verify (RP)", |b| {
        b.iter(|| verify_answer(&key, &rp, &challenge, &answer, NOW + 1).unwrap())
    });
}

criterion_group!(protocol, benches);
criterion_main!(protocol);
