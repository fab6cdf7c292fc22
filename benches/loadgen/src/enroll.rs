//! Setup: enrolling a set of simulated phones through the API, spread over
//! connection lanes.

use std::sync::Arc;

use assent_protocol::Platform;

use crate::flow::{self, rng, Ctx, Phone};
use crate::target::Target;
use crate::Error;

/// The platform of phone `n` of a set: poll-only, or alternately iOS and
/// Android.
fn platform(push: bool, n: usize) -> Platform {
    match (push, n % 2) {
        (false, _) => Platform::Poll,
        (true, 0) => Platform::Ios,
        (true, _) => Platform::Android,
    }
}

/// Enrolls `phones` phones over up to `lanes` lanes, poll-only or (with
/// `push`) with push tokens; returns them in number order.
pub async fn enroll_all(
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
