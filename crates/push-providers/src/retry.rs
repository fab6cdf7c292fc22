//! Retries: exponential backoff with jitter, honouring `Retry-After`, never past
//! the challenge's deadline.
//!
//! A provider client runs each attempt through [`Retrier::run`]. An attempt either
//! ends the push (delivered, dead token, a non-retryable failure) or asks for a
//! retry with the failure it saw and the provider's `Retry-After`, if any. The next
//! attempt waits `max(backoff with jitter, Retry-After)`; when that wait would end at
//! or after the deadline, or the attempts run out, the push fails with the last
//! failure seen.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand_core::TryRngCore;

use crate::clock::Clock;
use crate::metrics::PushMetrics;
use crate::outcome::{Failure, Outcome, ProviderKind};

/// Backoff settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles for each further one.
    pub base_delay: Duration,
    /// The backoff never grows beyond this (a longer `Retry-After` is still honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// Random numbers for jitter; implemented for every rand_core `TryRngCore`
/// (`rand_core::OsRng` in production, a seeded ChaCha in tests).
pub trait JitterSource: Send {
    /// A random `u32`, or `None` if the source failed (then there is no jitter).
    fn next_u32(&mut self) -> Option<u32>;
}

impl<R: TryRngCore + Send> JitterSource for R {
    fn next_u32(&mut self) -> Option<u32> {
        self.try_next_u32().ok()
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The push is over with this outcome.
    Done(Outcome),
    /// A transient failure: try again if time allows.
    Retry {
        failure: Failure,
        retry_after: Option<Duration>,
    },
}

/// Runs attempts with backoff. Shared by all sends of one provider client.
pub(crate) struct Retrier {
    policy: RetryPolicy,
    rng: Mutex<Box<dyn JitterSource>>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn PushMetrics>,
    kind: ProviderKind,
}

impl Retrier {
    pub(crate) fn new(
        kind: ProviderKind,
        policy: RetryPolicy,
        rng: Box<dyn JitterSource>,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn PushMetrics>,
    ) -> Self {
        Retrier {
            policy,
            rng: Mutex::new(rng),
            clock,
            metrics,
            kind,
        }
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn metrics(&self) -> &Arc<dyn PushMetrics> {
        &self.metrics
    }

    /// The wait before retry number `retry` (0 for the first retry): "equal jitter",
    /// uniform in `[cap/2, cap]` with `cap = min(max_delay, base * 2^retry)`, and at
    /// least `retry_after`.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        let cap = self
            .policy
            .base_delay
            .saturating_mul(factor)
            .min(self.policy.max_delay);
        let fraction = self
            .rng
            .lock()
            .ok()
            .and_then(|mut r| r.next_u32())
            .map(|x| f64::from(x) / f64::from(u32::MAX))
            .unwrap_or(1.0);
        let jittered = cap / 2 + (cap / 2).mul_f64(fraction);
        jittered.max(retry_after.unwrap_or(Duration::ZERO))
    }

    /// Runs `attempt` (given the attempt number, from 0) until it is done, the
    /// attempts run out, or the next try would not start before `deadline`.
    pub(crate) async fn run<F, Fut>(&self, deadline: SystemTime, mut attempt: F) -> Outcome
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Step>,
    {
        let mut n = 0u32;
        loop {
            if self.clock.now() >= deadline {
                return Outcome::Failed(Failure::DeadlinePassed);
            }
            match attempt(n).await {
                Step::Done(outcome) => return outcome,
                Step::Retry {
                    failure,
                    retry_after,
                } => {
                    n += 1;
                    if n >= self.policy.max_attempts {
                        return Outcome::Failed(failure);
                    }
                    let wait = self.delay(n - 1, retry_after);
                    let resume = self.clock.now().checked_add(wait);
                    if resume.map_or(true, |t| t >= deadline) {
                        tracing::debug!(
                            provider = self.kind.as_str(),
                            reason = failure.as_str(),
                            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            "no retry: it would end after the challenge's deadline"
                        );
                        return Outcome::Failed(failure);
                    }
                    self.metrics.retried(self.kind);
                    self.clock.sleep(wait).await;
                }
            }
        }
    }
}

/// Parses a `Retry-After` header given in seconds. (HTTP dates are ignored: then
/// only the backoff applies.)
pub(crate) fn parse_retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    text.parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::metrics::PushCounters;
    use rand_chacha::rand_core::SeedableRng;

    fn retrier(clock: Arc<ManualClock>, metrics: Arc<PushCounters>) -> Retrier {
        Retrier::new(
            ProviderKind::Fcm,
            RetryPolicy::default(),
            Box::new(rand_chacha::ChaCha20Rng::seed_from_u64(7)),
            clock,
            metrics,
        )
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let r = retrier(
            Arc::new(ManualClock::at_unix(0)),
            Arc::new(PushCounters::new()),
        );
        for retry in 0..10 {
            let cap =
                (Duration::from_millis(250) * 2u32.pow(retry.min(10))).min(Duration::from_secs(8));
            let d = r.delay(retry, None);
            assert!(d >= cap / 2 && d <= cap, "{retry}: {d:?} vs {cap:?}");
        }
        assert_eq!(
            r.delay(0, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn retry_after_parsing() {
        use reqwest::header::HeaderValue;
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("7"))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static(
                "Wed, 21 Oct 2015 07:28:00 GMT"
            ))),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }

    #[tokio::test]
    async fn stops_before_the_deadline_and_counts_retries() {
        let clock = Arc::new(ManualClock::at_unix(1000));
        let metrics = Arc::new(PushCounters::new());
        let r = retrier(clock.clone(), metrics.clone());
        let deadline = clock.now() + Duration::from_secs(10);
        let out = r
            .run(deadline, |_| async {
                Step::Retry {
                    failure: Failure::RateLimited,
                    retry_after: Some(Duration::from_secs(4)),
                }
            })
            .await;
        assert_eq!(out, Outcome::Failed(Failure::RateLimited));
        // 4 s + 4 s, then a third wait would end at 12 s > 10 s.
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(4); 2]);
        assert_eq!(metrics.snapshot(ProviderKind::Fcm).retries, 2);
    }

    #[tokio::test]
    async fn attempts_run_out_and_done_ends_at_once() {
        let clock = Arc::new(ManualClock::at_unix(1000));
        let r = retrier(clock.clone(), Arc::new(PushCounters::new()));
        let deadline = clock.now() + Duration::from_secs(3600);
        let mut calls = 0;
        let out = r
            .run(deadline, |_| {
                calls += 1;
                async {
                    Step::Retry {
                        failure: Failure::Unavailable,
                        retry_after: None,
                    }
                }
            })
            .await;
        assert_eq!(out, Outcome::Failed(Failure::Unavailable));
        assert_eq!(calls, 5);
        let out = r
            .run(deadline, |_| async { Step::Done(Outcome::Sent) })
            .await;
        assert_eq!(out, Outcome::Sent);
        let past = clock.now() - Duration::from_secs(1);
        let out = r.run(past, |_| async { Step::Done(Outcome::Sent) }).await;
        assert_eq!(out, Outcome::Failed(Failure::DeadlinePassed));
    }
}
