//! Benchmarks of the RP library's hot paths.
#![allow(missing_docs)]
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use assent_rp::{
    make_totp_secret, BudgetPolicy, LimiterPolicy, ManualClock, MemoryStore, Rp, SqliteStore,
    TotpParams, Verification,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const T: u64 = 1_700_000_000;

fn totp_verification(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let secret = make_totp_secret(&mut rng).unwrap();
    let params = TotpParams::default();
    let totp = params.totp(secret.clone()).unwrap();

    // Accepted: each verification is one step after the previous one, so the replay
    // guard never trips; the right code is computed outside the timing.
    let clock = Arc::new(ManualClock::new(T));
    let rp = Rp::new(MemoryStore::new()).with_clock(clock.clone());
    rt.block_on(rp.set_totp("alice", &secret, params)).unwrap();
    let mut now = T;
    c.bench_function("verify_totp accepted (memory store)", |b| {
        // Criterion runs a whole batch of setups before the routines, so each
        // input carries its own instant and the routine sets the clock to it.
        b.iter_batched(
            || {
                now += 30;
                (now, totp.code_at(now).to_string())
            },
            |(at, code)| {
                clock.set(at);
                let v = rt.block_on(rp.verify_totp("alice", &code)).unwrap();
                assert_eq!(v, Verification::Accepted);
            },
            BatchSize::SmallInput,
        )
    });

    // The same on a SQLite file (WAL, synchronous=FULL): every accepted
    // code commits two writes (the step, the limiter reset) to disk.
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(SqliteStore::open(dir.path().join("rp.sqlite")))
        .unwrap();
    let clock = Arc::new(ManualClock::new(T));
    let rp = Rp::new(store).with_clock(clock.clone());
    rt.block_on(rp.set_totp("alice", &secret, params)).unwrap();
    let mut now = T;
    c.bench_function("verify_totp accepted (sqlite file)", |b| {
        b.iter_batched(
            || {
                now += 30;
                (now, totp.code_at(now).to_string())
            },
            |(at, code)| {
                clock.set(at);
                let v = rt.block_on(rp.verify_totp("alice", &code)).unwrap();
                assert_eq!(v, Verification::Accepted);
            },
            BatchSize::SmallInput,
        )
    });

    // Rejected: a wrong code, with policies that never throttle so every
    // attempt is really checked (and still charged to the source and the budget).
    let rp = Rp::new(MemoryStore::new())
        .with_clock(Arc::new(ManualClock::new(T)))
        .with_limiter_policy(LimiterPolicy {
            free_attempts: u32::MAX,
            ..LimiterPolicy::default()
        })
        .with_budget_policy(BudgetPolicy {
            per_hour: u32::MAX,
            burst: u32::MAX,
        });
    rt.block_on(rp.set_totp("bob", &secret, params)).unwrap();
    c.bench_function("verify_totp rejected (memory store)", |b| {
        b.iter(|| {
            let v = rt.block_on(rp.verify_totp("bob", "000000x")).unwrap();
            assert_eq!(v, Verification::Rejected);
        })
    });
}

criterion_group!(benches, totp_verification);
criterion_main!(benches);
