//! Printing what a phase measured: throughput, latency percentiles, CPU,
//! and (with `--push`) the pushes the relay delivered and the mocks received.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::flow::Ctx;
use crate::phase::{Cpu, PhaseResult};
use crate::push;

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Prints one phase's results; returns its approvals per second.
pub fn report(title: &str, result: &PhaseResult, duration: u64, cpu: Cpu, open: bool) -> f64 {
    let done = result.latency.count();
    let per_sec = done as f64 / duration as f64;
    println!("{title}");
    println!(
        "  approvals: {done} in {duration} s = {per_sec:.0}/s, errors: {}",
        result.errors
    );
    if let Some(e) = &result.first_error {
        println!("  first error: {e}");
    }
    let h = &result.latency;
    println!(
        "  latency{}: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms, mean {:.2} ms",
        if open { " (from scheduled start)" } else { "" },
        ms(h.quantile(0.50)),
        ms(h.quantile(0.99)),
        ms(h.quantile(0.999)),
        ms(h.max()),
        h.mean() / 1000.0
    );
    if open {
        let s = &result.service;
        println!(
            "  service time (from actual start): p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms; largest start lag {:.2} ms",
            ms(s.quantile(0.50)),
            ms(s.quantile(0.99)),
            ms(s.quantile(0.999)),
            result.max_start_lag.as_secs_f64() * 1000.0
        );
    }
    let cores = |ticks: Option<u64>| {
        ticks.map_or("n/a".to_owned(), |t| {
            format!("{:.2}", t as f64 / 100.0 / duration as f64)
        })
    };
    println!(
        "  CPU (cores busy, measured window): relay {}, loadgen {}{}",
        cores(cpu.relay),
        cores(cpu.own),
        cpu.database
            .map(|t| format!(", PostgreSQL {}", cores(Some(t))))
            .unwrap_or_default()
    );
    // One tick is 10 ms of CPU.
    let per_approval = |ticks: Option<u64>| {
        ticks.filter(|_| done > 0).map_or("n/a".to_owned(), |t| {
            format!("{:.0}", t as f64 * 10_000.0 / done as f64)
        })
    };
    println!(
        "  CPU per approval (µs): relay {}{}",
        per_approval(cpu.relay),
        cpu.database
            .map(|t| format!(", PostgreSQL {}", per_approval(Some(t))))
            .unwrap_or_default()
    );
    per_sec
}

/// Reports the pushes the relay delivered in the measured window (its
/// `/metrics`), then waits (up to 10 s) until every push the relay queued so
/// far has reached the mocks, and counts what the mocks received.
pub async fn report_pushes(
    mocks: &push::Mocks,
    ctx: &Ctx,
    window: Option<(push::RelayPush, push::RelayPush)>,
    duration: u64,
) {
    match window {
        Some((before, after)) => {
            let sent = after.sent - before.sent;
            let count = after.count - before.count;
            let mean_ms = if count > 0.0 {
                (after.seconds - before.seconds) / count * 1000.0
            } else {
                0.0
            };
            println!(
                "  pushes delivered to the mocks (200) in the measured window (relay /metrics): {sent:.0} = {:.0}/s; mean push duration (relay: start of push to the mock's answer) {mean_ms:.2} ms",
                sent / duration as f64
            );
        }
        None => println!("  (the relay's /metrics could not be read)"),
    }
    let ended = Instant::now();
    let queued = usize::try_from(ctx.queued.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
    let mut counts = mocks.counts();
    while counts.total() < queued && ended.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        counts = mocks.counts();
    }
    println!(
        "  all pushes so far: relay queued {queued}, mocks received {} (APNs {}, FCM {}; {} after the phase ended, {:.0} ms later), answered non-200: {}",
        counts.total(),
        counts.apns,
        counts.fcm,
        if counts.total() >= queued { "all" } else { "NOT all" },
        ended.elapsed().as_secs_f64() * 1000.0,
        counts.not_ok
    );
}
