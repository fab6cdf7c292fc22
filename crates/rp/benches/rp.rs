//! Benchmarks of the RP library's hot paths.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use assent_otp::Totp;
use assent_rp::{make_totp_secret, Clock, MemoryStore, Rp, TotpParams, Verification};
use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A clock that moves one TOTP period per reading, so every verification
/// sees a fresh step and is accepted (the replay guard never trips).
struct SteppingClock(AtomicU64);

impl Clock for SteppingClock {
    fn now(&self) -> u64 {
        self.0.fetch_add(30, Ordering::Relaxed)
    }
}

fn totp_verification(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let secret = make_totp_secret(&mut rng).unwrap();
    let params = TotpParams::default();
    let totp = Totp::new(
        secret.clone(),
        params.algorithm,
        params.digits,
        params.period,
    )
    .unwrap();

    // Accepted codes: the clock is read once by `set_totp` and once per
    // verification, so the n-th verification runs at 1_700_000_000 + 30 n.
    let clock = Arc::new(SteppingClock(AtomicU64::new(1_700_000_000)));
    let rp = Rp::new(MemoryStore::new()).with_clock(clock.clone());
    rp.set_totp("alice", &secret, params).unwrap();
    c.bench_function("verify_totp accepted (memory store)", |b| {
        b.iter(|| {
            let now = clock.0.load(Ordering::Relaxed);
            let code = totp.code_at(now).to_string();
            assert_eq!(
                rp.verify_totp("alice", &code).unwrap(),
                Verification::Accepted
            );
        })
    });

    // Rejected codes (wrong code, limiter reset each time so it never throttles).
    let rp = Rp::new(MemoryStore::new());
    rp.set_totp("bob", &secret, params).unwrap();
    c.bench_function("verify_totp rejected (memory store)", |b| {
        b.iter(|| {
            let v = rp.verify_totp("bob", "12345x").unwrap();
            rp.store().reset_limiter("bob").unwrap();
            v
        })
    });
}

criterion_group!(benches, totp_verification);
criterion_main!(benches);
