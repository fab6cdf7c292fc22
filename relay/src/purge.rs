//! The scheduled purge of expired enrollments, challenges and removal
//! records. On PostgreSQL, one instance at a time purges (the store takes an
//! advisory lock); the others' runs find it taken and do nothing.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::ChallengeOutcome;
use crate::state::AppState;
use crate::store::{db_time, PurgeCounts, StoreResult};

/// Purges once: everything that expired more than the retention period ago.
pub async fn purge_once(state: &AppState) -> StoreResult<PurgeCounts> {
    let now = state.clock.now();
    let before = now.saturating_sub(state.config.limits.retention_secs);
    let counts = state.store.purge_expired(db_time(before)).await?;
    if counts != PurgeCounts::default() {
        tracing::info!(
            enrollments = counts.enrollments,
            challenges = counts.challenges,
            unanswered = counts.unanswered_challenges,
            "purged expired records"
        );
    }
    state
        .metrics
        .challenges(ChallengeOutcome::Expired, counts.unanswered_challenges);
    Ok(counts)
}

/// Runs [`purge_once`] every `purge_interval_secs` until `stop` turns true.
pub fn spawn(state: AppState, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let period = Duration::from_secs(state.config.purge_interval_secs.max(1));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    if let Err(e) = purge_once(&state).await {
                        tracing::warn!(error = %e, "purge failed; retrying next period");
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
    })
}
