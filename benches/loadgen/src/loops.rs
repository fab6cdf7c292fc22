//! The two load shapes. Closed loop: a fixed number of flows, each running
//! approvals back to back. Open loop: approvals start on a fixed schedule
//! whatever the relay's speed, and latency counts from the scheduled start,
//! so a stall is not hidden (no coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::flow::{self, rng, Ctx, Phone};
use crate::phase::{PhaseResult, Window};
use crate::target::Target;
use crate::Error;

/// `flows` flows, each running approvals back to back over its own lane;
/// counts those that finish inside the window.
pub async fn closed_loop(
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

/// `rate` approvals per second over `lanes` lanes; an approval waits for a
/// free lane, and its latency counts from its scheduled start.
pub async fn open_loop(
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
