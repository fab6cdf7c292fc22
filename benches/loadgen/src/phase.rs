//! One measured phase: its window (warm-up, then the measured seconds), the
//! approvals its tasks counted, and the CPU and push counters sampled at the
//! window's edges.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::hist::Histogram;
use crate::push;
use crate::relay;
use crate::target::Target;
use crate::Error;

/// The approvals a phase (or one of its tasks) counted in the measured
/// window.
#[derive(Default)]
pub struct PhaseResult {
    /// From each approval's start (scheduled start in the open loop).
    pub latency: Histogram,
    /// From each approval's actual start.
    pub service: Histogram,
    /// Failed approvals.
    pub errors: u64,
    /// The first failure's message.
    pub first_error: Option<String>,
    /// The open loop's largest delay between scheduled and actual start.
    pub max_start_lag: Duration,
}

impl PhaseResult {
    fn merge(&mut self, other: PhaseResult) {
        self.latency.merge(&other.latency);
        self.service.merge(&other.service);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.max_start_lag = self.max_start_lag.max(other.max_start_lag);
    }

    fn error(&mut self, e: &Error) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }

    /// Counts one approval: its latency (from its start, or its scheduled
    /// start in the open loop) and service time, or its error.
    pub fn record(&mut self, outcome: Result<(), Error>, latency: Duration, service: Duration) {
        match outcome {
            Ok(()) => {
                self.latency.record(latency);
                self.service.record(service);
            }
            Err(e) => self.error(&e),
        }
    }

    /// The merged results of the phase's tasks.
    pub async fn join(
        tasks: Vec<tokio::task::JoinHandle<Result<PhaseResult, Error>>>,
    ) -> Result<PhaseResult, Error> {
        let mut total = PhaseResult::default();
        for task in tasks {
            total.merge(task.await??);
        }
        Ok(total)
    }
}

/// When a phase counts: approvals finishing (closed loop) or scheduled
/// (open loop) from `measure_from` until `end`.
pub struct Window {
    /// The end of the warm-up.
    pub measure_from: Instant,
    /// The end of the phase.
    pub end: Instant,
}

impl Window {
    fn new(warmup: u64, duration: u64) -> Self {
        let now = Instant::now();
        let measure_from = now + Duration::from_secs(warmup);
        Self {
            measure_from,
            end: measure_from + Duration::from_secs(duration),
        }
    }
}

fn delta(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    Some(after?.saturating_sub(before?))
}

/// CPU ticks used in a measured window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// All relay instances together.
    pub relay: Option<u64>,
    /// This process (the generator).
    pub own: Option<u64>,
    /// The PostgreSQL server's processes (when the relays use one).
    pub database: Option<u64>,
}

/// What a phase measured: the approvals, the CPU ticks of relay, generator and
/// database, and (with push) the mocks' counts at the window's edges.
pub struct PhaseOut {
    /// The approvals.
    pub result: PhaseResult,
    /// CPU ticks in the measured window.
    pub cpu: Cpu,
    /// The relay's push counters at the start and the end of the window.
    pub pushes: Option<(push::RelayPush, push::RelayPush)>,
}

/// Runs `phase` over a fresh window, sampling CPU (and with `mocks` the
/// relay's push counters) at the window's edges.
pub async fn run_phase<F, Fut>(
    target: &Target,
    mocks: Option<Arc<push::Mocks>>,
    warmup: u64,
    duration: u64,
    phase: F,
) -> Result<PhaseOut, Error>
where
    F: FnOnce(Window) -> Fut,
    Fut: std::future::Future<Output = Result<PhaseResult, Error>>,
{
    let window = Window::new(warmup, duration);
    let measure_from = window.measure_from;
    // With push, the relay's push counters are read at the window's edges
    // (the mocks' own record is read only between phases: each read copies
    // every request so far, under the lock their handlers take).
    let mut metrics = match mocks {
        Some(_) => Some(target.lane()?.rp),
        None => None,
    };
    let sampler = tokio::spawn({
        let token = target.metrics_token.clone();
        let sample = {
            let pids = target.pids.clone();
            let postgres = target.postgres;
            move || {
                let relay: Option<u64> = if pids.is_empty() {
                    None
                } else {
                    pids.iter().map(|pid| relay::cpu_ticks(pid)).sum()
                };
                let database = if postgres {
                    relay::postgres_cpu_ticks()
                } else {
                    None
                };
                (relay, relay::cpu_ticks("self"), database)
            }
        };
        async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let before = sample();
            let pushes = match &mut metrics {
                Some(conn) => push::scrape(conn, token.as_deref()).await,
                None => None,
            };
            tokio::time::sleep(Duration::from_secs(duration)).await;
            let after = sample();
            let pushes_after = match &mut metrics {
                Some(conn) => push::scrape(conn, token.as_deref()).await,
                None => None,
            };
            let cpu = Cpu {
                relay: delta(before.0, after.0),
                own: delta(before.1, after.1),
                database: delta(before.2, after.2),
            };
            (cpu, pushes.zip(pushes_after))
        }
    });
    let result = phase(window).await?;
    let (cpu, pushes) = sampler.await?;
    Ok(PhaseOut {
        result,
        cpu,
        pushes,
    })
}
