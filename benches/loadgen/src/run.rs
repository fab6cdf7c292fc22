//! One run of the tool: reach the relay (starting it, and with `--push` the
//! mock providers, if asked), enroll the phones, run the requested phases in
//! order and report each.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use assent_protocol::{RelayUrl, RpId};

use crate::cli::{Args, Mode};
use crate::enroll::enroll_all;
use crate::flow::Ctx;
use crate::loops::{closed_loop, open_loop};
use crate::phase::run_phase;
use crate::push;
use crate::relay;
use crate::report::{report, report_pushes};
use crate::target::Target;
use crate::Error;

/// Runs the tool as `args` ask.
pub async fn run(args: Args) -> Result<(), Error> {
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
    let target = Target::reach(&args, &relay_args).await?;
    let ctx = Arc::new(Ctx {
        rp_id: RpId::parse("loadgen.example")?,
        origin: RelayUrl::parse(&target.origin)?,
        bearer: format!("Bearer {}", target.api_key),
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
    for (i, pid) in target.pids.iter().enumerate() {
        if let Some((hwm, rss)) = relay::memory_kib(pid) {
            println!(
                "relay {} memory: peak (VmHWM) {:.1} MiB, now (VmRSS) {:.1} MiB",
                i + 1,
                hwm as f64 / 1024.0,
                rss as f64 / 1024.0
            );
        }
    }
    Ok(())
}
