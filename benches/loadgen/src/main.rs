//! `assent-loadgen`: drives complete push approvals through an Assent relay
//! over loopback and reports approvals per second and latency percentiles.
//!
//! Each approval is the real exchange with genuine messages: the RP makes a
//! challenge (`Challenge::make`) and posts it; the phone fetches it by push
//! id with a signed request, opens it, signs an `Answer` and posts it
//! (signed); the RP reads the signed answer and verifies it
//! (`verify_answer`). Setup enrolls the simulated phones through the real
//! API (announce, register, verify, deliver, open).
//!
//! Closed loop: `--concurrency` flows, each running approvals back to back
//! (maximum throughput). Open loop: approvals start on a fixed schedule
//! (`--rate` per second) whatever the relay's speed, and latency counts from
//! the scheduled start, so a stall is not hidden (no coordinated omission).
//!
//! `--push`: mock APNs and mock FCM run in this process and the relay is
//! started with `--apns-*`/`--fcm-*` flags pointing at them. Twice the
//! phones are enrolled: poll-only ones (push off) and ones with push tokens
//! (half iOS, half Android; push on). Each phase runs first with the
//! poll-only phones, then with the push phones, on the same relay, and the
//! push phases also report the pushes the mocks received. The phone still
//! learns the push id from the RP, not from the mock (the mocks' recording
//! API copies every request so far on each read, too slow per approval), so
//! push delivery is measured beside the approval flow, not inside it.

mod flow;
mod hist;
mod http;
mod push;
mod relay;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assent_protocol::{Platform, RelayUrl, RpId};
use clap::{Parser, ValueEnum};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

use crate::flow::{Ctx, Lane, Phone};
use crate::hist::Histogram;
use crate::http::{Conn, Tls};

/// Any failure; the tool prints it and exits non-zero.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Which load phases to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Maximum throughput with `--concurrency` flows.
    Closed,
    /// Fixed rate (`--rate`), latency percentiles.
    Open,
    /// Closed loop, then open loop at `--rate` or half the closed-loop rate.
    Both,
}

/// Load generator for the Assent relay: complete approvals (RP creates a
/// challenge, the phone fetches and answers it, the RP reads and verifies
/// the signed answer) with many simulated phones over loopback.
///
/// By default it starts the relay binary found next to itself (build it with
/// `cargo build --release -p assent-relay`) on a free loopback port with a
/// fresh SQLite database, creates a tenant and an API key with
/// `assent-relay admin`, and reports the relay's peak memory (VmHWM) and the
/// CPU both processes used.
#[derive(Debug, Parser)]
#[command(name = "assent-loadgen", version)]
struct Args {
    /// The relay binary to start [default: assent-relay next to this binary].
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// An extra argument for the started relay (repeatable), e.g.
    /// `--relay-arg=--db-max-connections=4`.
    #[arg(long = "relay-arg", allow_hyphen_values = true)]
    relay_args: Vec<String>,
    /// Drive a relay that is already running at this address instead
    /// (needs --api-key; --origin defaults to https://ADDR).
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// API key for --addr.
    #[arg(long, env = "ASSENT_LOADGEN_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The relay's public origin that signed requests cover (with --addr).
    #[arg(long)]
    origin: Option<String>,
    /// Speak HTTPS: to the started relay with its zero-config development
    /// CA, or (with --addr) trusting --ca. Without it the started relay
    /// serves plain HTTP, as behind a TLS-terminating proxy.
    #[arg(long)]
    tls: bool,
    /// CA certificate (PEM) to trust for --addr over HTTPS.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Process id of the relay at --addr, to report its memory and CPU.
    #[arg(long)]
    relay_pid: Option<u32>,
    /// Simulated phones to enroll.
    #[arg(long, default_value_t = 1000)]
    phones: usize,
    /// Concurrent flows in the closed loop (and lanes used for enrollment).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Connection lanes for the open loop (an approval waits for a free lane;
    /// that wait counts in its latency).
    #[arg(long, default_value_t = 256)]
    lanes: usize,
    /// Phases to run.
    #[arg(long, value_enum, default_value = "both")]
    mode: Mode,
    /// Open-loop rate, approvals per second [default with --mode both: half
    /// the closed-loop rate; with --push, half the lower of the two].
    #[arg(long)]
    rate: Option<f64>,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Warm-up seconds before each measured phase (not counted).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// The RP long-polls the answer (`?wait=10`) while the phone works,
    /// instead of reading it once the phone has answered.
    #[arg(long)]
    long_poll: bool,
    /// Tokio worker threads of the generator [default: one per core].
    #[arg(long)]
    threads: Option<usize>,
    /// Push on: start mock APNs and FCM in this process, start the relay
    /// with them, and run every phase with poll-only phones and then with
    /// push phones (half iOS, half Android), reporting both and the pushes
    /// the mocks received.
    #[arg(long)]
    push: bool,
}

#[derive(Default)]
struct PhaseResult {
    latency: Histogram,
    service: Histogram,
    errors: u64,
    first_error: Option<String>,
    max_start_lag: Duration,
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
    fn record(&mut self, outcome: Result<(), Error>, latency: Duration, service: Duration) {
        match outcome {
            Ok(()) => {
                self.latency.record(latency);
                self.service.record(service);
            }
            Err(e) => self.error(&e),
        }
    }

    /// The merged results of the phase's tasks.
    async fn join(
        tasks: Vec<tokio::task::JoinHandle<Result<PhaseResult, Error>>>,
    ) -> Result<PhaseResult, Error> {
        let mut total = PhaseResult::default();
        for task in tasks {
            total.merge(task.await??);
        }
        Ok(total)
    }
}

fn rng() -> Result<ChaCha20Rng, Error> {
    ChaCha20Rng::try_from_os_rng().map_err(|e| format!("OS random source failed: {e}").into())
}

struct Target {
    addr: SocketAddr,
    pid: Option<String>,
    tls: Option<Tls>,
}

impl Target {
    fn lane(&self) -> Result<Lane, Error> {
        let host = self.addr.to_string();
        Ok(Lane {
            rp: Conn::new(self.addr, &host, self.tls.clone())?,
            phone: Conn::new(self.addr, &host, self.tls.clone())?,
        })
    }
}

/// The platform of phone `n` of a set: poll-only, or alternately iOS and
/// Android.
fn platform(push: bool, n: usize) -> Platform {
    match (push, n % 2) {
        (false, _) => Platform::Poll,
        (true, 0) => Platform::Ios,
        (true, _) => Platform::Android,
    }
}

async fn enroll_all(
    target: &Target,
    ctx: &Arc<Ctx>,
    phones: usize,
    lanes: usize,
    push: bool,
) -> Result<Vec<Phone>, Error> {
    // Push phones get numbers after the poll-only ones (distinct accounts).
    let offset = if push { phones } else { 0 };
    let lanes = lanes.clamp(1, phones.max(1));
    let mut tasks = Vec::with_capacity(lanes);
    for first in 0..lanes {
        let mut lane = target.lane()?;
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rng()?;
            let mut out = Vec::new();
            for n in (first..phones).step_by(lanes) {
                let phone =
                    flow::enroll(&mut lane, &ctx, n + offset, platform(push, n), &mut rng).await?;
                out.push((n, phone));
            }
            Ok::<_, Error>(out)
        }));
    }
    let mut all = Vec::with_capacity(phones);
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort_by_key(|(n, _)| *n);
    Ok(all.into_iter().map(|(_, p)| p).collect())
}

struct Window {
    measure_from: Instant,
    end: Instant,
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

async fn closed_loop(
    target: &Target,
    ctx: &Arc<Ctx>,
    phones: &Arc<Vec<Phone>>,
    flows: usize,
    window: Window,
) -> Result<PhaseResult, Error> {
    let window = Arc::new(window);
    let mut tasks = Vec::with_capacity(flows);
    for first in 0..flows {
        let mut lane = target.lane()?;
        let (ctx, phones, window) = (ctx.clone(), phones.clone(), window.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rng()?;
            let mut result = PhaseResult::default();
            let mut n = first % phones.len();
            loop {
                let start = Instant::now();
                if start >= window.end {
                    break;
                }
                let Some(phone) = phones.get(n) else { break };
                n = (n + flows) % phones.len();
                let outcome = flow::approval(&mut lane, &ctx, phone, &mut rng).await;
                let done = Instant::now();
                if done < window.measure_from || done > window.end {
                    continue;
                }
                result.record(outcome, done - start, done - start);
            }
            Ok::<_, Error>(result)
        }));
    }
    PhaseResult::join(tasks).await
}

async fn open_loop(
    target: &Target,
    ctx: &Arc<Ctx>,
    phones: &Arc<Vec<Phone>>,
    lanes: usize,
    rate: f64,
    window: Window,
) -> Result<PhaseResult, Error> {
    let t0 = Instant::now();
    let window = Arc::new(window);
    let tickets = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(lanes);
    for _ in 0..lanes {
        let mut lane = target.lane()?;
        let (ctx, phones, window, tickets) =
            (ctx.clone(), phones.clone(), window.clone(), tickets.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rng()?;
            let mut result = PhaseResult::default();
            loop {
                let i = tickets.fetch_add(1, Ordering::Relaxed);
                let scheduled = t0 + Duration::from_secs_f64(i as f64 / rate);
                if scheduled >= window.end {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                let start = Instant::now();
                let n = usize::try_from(i).unwrap_or(0) % phones.len();
                let Some(phone) = phones.get(n) else { break };
                let outcome = flow::approval(&mut lane, &ctx, phone, &mut rng).await;
                let done = Instant::now();
                if scheduled < window.measure_from {
                    continue;
                }
                result.max_start_lag = result.max_start_lag.max(start - scheduled);
                result.record(outcome, done - scheduled, done - start);
            }
            Ok::<_, Error>(result)
        }));
    }
    PhaseResult::join(tasks).await
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn report(
    title: &str,
    result: &PhaseResult,
    duration: u64,
    cpu: (Option<u64>, Option<u64>),
    open: bool,
) -> f64 {
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
        "  CPU (cores busy, measured window): relay {}, loadgen {}",
        cores(cpu.0),
        cores(cpu.1)
    );
    per_sec
}

fn delta(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    Some(after?.saturating_sub(before?))
}

/// What a phase measured: the approvals, the CPU ticks of relay and
/// generator, and (with push) the mocks' counts at the window's edges.
struct PhaseOut {
    result: PhaseResult,
    cpu: (Option<u64>, Option<u64>),
    pushes: Option<(push::RelayPush, push::RelayPush)>,
}

async fn run_phase<F, Fut>(
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
        let pid = target.pid.clone();
        async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let relay = pid.as_deref().and_then(relay::cpu_ticks);
            let own = relay::cpu_ticks("self");
            let pushes = match &mut metrics {
                Some(conn) => push::scrape(conn).await,
                None => None,
            };
            tokio::time::sleep(Duration::from_secs(duration)).await;
            let relay_after = pid.as_deref().and_then(relay::cpu_ticks);
            let own_after = relay::cpu_ticks("self");
            let pushes_after = match &mut metrics {
                Some(conn) => push::scrape(conn).await,
                None => None,
            };
            (
                (delta(relay, relay_after), delta(own, own_after)),
                pushes.zip(pushes_after),
            )
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

/// Reports the pushes the relay delivered in the measured window (its
/// `/metrics`), then waits (up to 10 s) until every push the relay queued so
/// far has reached the mocks, and counts what the mocks received.
async fn report_pushes(
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

async fn run(args: Args) -> Result<(), Error> {
    if args.phones == 0 || args.concurrency == 0 || args.lanes == 0 || args.duration == 0 {
        return Err("--phones, --concurrency, --lanes and --duration must be positive".into());
    }
    let mocks = if args.push {
        if args.addr.is_some() {
            return Err("--push starts its own relay; it does not go with --addr".into());
        }
        let mocks = push::Mocks::start().await?;
        println!(
            "push: mock APNs and mock FCM in this process; relay flags {}",
            mocks.relay_args.join(" ")
        );
        Some(Arc::new(mocks))
    } else {
        None
    };
    let mut relay_args = args.relay_args.clone();
    if let Some(m) = &mocks {
        relay_args.extend(m.relay_args.iter().cloned());
    }
    let spawned;
    let (target, api_key, origin) = match args.addr {
        Some(addr) => {
            let key = args.api_key.clone().ok_or("--addr needs --api-key")?;
            let origin = args.origin.clone().unwrap_or(format!("https://{addr}"));
            let pid = args.relay_pid.map(|p| p.to_string());
            let tls = match &args.ca {
                Some(ca) => Some(Tls::new(ca, &addr.ip().to_string())?),
                None if args.tls => return Err("--tls with --addr needs --ca".into()),
                None => None,
            };
            (Target { addr, pid, tls }, key, origin)
        }
        None => {
            let bin = args
                .relay_bin
                .clone()
                .unwrap_or_else(relay::default_relay_bin);
            spawned = relay::Spawned::start(&bin, &relay_args, args.tls).await?;
            println!(
                "relay: {} (pid {}) on {} over {}",
                bin.display(),
                spawned.pid(),
                spawned.addr,
                if args.tls {
                    "HTTPS (development CA)"
                } else {
                    "plain HTTP"
                }
            );
            let target = Target {
                addr: spawned.addr,
                pid: Some(spawned.pid().to_string()),
                tls: spawned.tls.clone(),
            };
            (
                target,
                spawned.api_key.clone(),
                format!("https://{}", spawned.addr),
            )
        }
    };
    let ctx = Arc::new(Ctx {
        rp_id: RpId::parse("loadgen.example")?,
        origin: RelayUrl::parse(&origin)?,
        bearer: format!("Bearer {api_key}"),
        long_poll: args.long_poll,
        queued: AtomicU64::new(0),
    });

    let started = Instant::now();
    let mut sets = vec![(
        "",
        Arc::new(enroll_all(&target, &ctx, args.phones, args.concurrency, false).await?),
        None,
    )];
    if let Some(m) = &mocks {
        sets.push((
            "push on: ",
            Arc::new(enroll_all(&target, &ctx, args.phones, args.concurrency, true).await?),
            Some(m.clone()),
        ));
        sets[0].0 = "push off: ";
    }
    println!(
        "setup: enrolled {} phones through the API in {:.1} s{}",
        sets.iter().map(|(_, p, _)| p.len()).sum::<usize>(),
        started.elapsed().as_secs_f64(),
        if mocks.is_some() {
            " (poll-only, then with push tokens: half iOS, half Android)"
        } else {
            ""
        }
    );
    println!(
        "flow: RP create -> phone fetch (signed) -> phone answer (signed) -> RP {} + verify{}",
        if args.long_poll {
            "long-poll read"
        } else {
            "read"
        },
        if args.long_poll { " (concurrent)" } else { "" }
    );

    let mut closed_rates = Vec::new();
    if matches!(args.mode, Mode::Closed | Mode::Both) {
        for (label, phones, mocks) in &sets {
            let out = run_phase(&target, mocks.clone(), args.warmup, args.duration, |w| {
                closed_loop(&target, &ctx, phones, args.concurrency, w)
            })
            .await?;
            let title = format!(
                "{label}closed loop: {} concurrent flows over {} phones, {} s after {} s warm-up",
                args.concurrency,
                phones.len(),
                args.duration,
                args.warmup
            );
            closed_rates.push(report(&title, &out.result, args.duration, out.cpu, false));
            if let Some(m) = mocks {
                report_pushes(m, &ctx, out.pushes, args.duration).await;
            }
        }
        if let [off, on] = closed_rates[..] {
            println!("closed loop, push on / push off: {:.2}", on / off);
        }
    }
    if matches!(args.mode, Mode::Open | Mode::Both) {
        let lowest = closed_rates.iter().copied().reduce(f64::min);
        let rate = match (args.rate, lowest) {
            (Some(rate), _) => rate,
            (None, Some(closed)) => (closed / 2.0).floor(),
            (None, None) => return Err("--mode open needs --rate".into()),
        };
        if !rate.is_finite() || rate <= 0.0 {
            return Err("the open-loop rate must be positive".into());
        }
        let mut p99 = Vec::new();
        for (label, phones, mocks) in &sets {
            let out = run_phase(&target, mocks.clone(), args.warmup, args.duration, |w| {
                open_loop(&target, &ctx, phones, args.lanes, rate, w)
            })
            .await?;
            let title = format!(
                "{label}open loop: {rate:.0} approvals/s scheduled over {} phones, {} lanes, {} s after {} s warm-up",
                phones.len(),
                args.lanes,
                args.duration,
                args.warmup
            );
            report(&title, &out.result, args.duration, out.cpu, true);
            p99.push(out.result.latency.quantile(0.99));
            if let Some(m) = mocks {
                report_pushes(m, &ctx, out.pushes, args.duration).await;
            }
        }
        if let [off, on] = p99[..] {
            println!(
                "open loop, p99 latency push on / push off: {:.2}",
                on as f64 / off.max(1) as f64
            );
        }
    }
    if let Some((hwm, rss)) = target.pid.as_deref().and_then(relay::memory_kib) {
        println!(
            "relay memory: peak (VmHWM) {:.1} MiB, now (VmRSS) {:.1} MiB",
            hwm as f64 / 1024.0,
            rss as f64 / 1024.0
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("assent-loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assent-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
