//! A small HDR-style latency histogram: exact below 128 µs, then 64
//! sub-buckets per power of two (relative error under 1.6 %, reported
//! values are bucket upper bounds, so percentiles err on the slow side).

use std::time::Duration;

const LINEAR: u64 = 128;
const SUB: u64 = 64;
const BUCKETS: usize = (LINEAR + 58 * SUB) as usize;

/// Latencies in microseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let top = 63 - u64::from(v.leading_zeros());
    let shift = top - 6;
    let mantissa = (v >> shift) - SUB;
    let i = LINEAR + (shift - 1) * SUB + mantissa;
    usize::try_from(i).map_or(BUCKETS - 1, |i| i.min(BUCKETS - 1))
}

fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let shift = (i - LINEAR) / SUB + 1;
    let mantissa = (i - LINEAR) % SUB + SUB;
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        if let Some(c) = self.counts.get_mut(index(us)) {
            *c += 1;
        }
        self.total += 1;
        self.sum += u128::from(us);
        self.max = self.max.max(us);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1), in microseconds (bucket upper bound,
    /// never above the largest recorded value).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_bound(i).min(self.max);
            }
        }
        self.max
    }

    /// Mean in microseconds.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// Largest value in microseconds.
    pub fn max(&self) -> u64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..5_000_000u64).step_by(7) {
            let i = index(v);
            assert!(i >= last, "{v}");
            last = i;
            let ub = upper_bound(i);
            assert!(ub >= v, "{v} -> {ub}");
            assert!((ub - v) as f64 <= v as f64 / 60.0 + 1.0, "{v} -> {ub}");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.count(), 1000);
        // Bucket upper bounds: 500 lies in [500, 503].
        assert_eq!(h.quantile(0.5), 503);
        let p99 = h.quantile(0.99);
        assert!((990..=1000).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), 1000);
        let mut g = Histogram::default();
        g.merge(&h);
        g.merge(&h);
        assert_eq!(g.count(), 2000);
        assert_eq!(g.quantile(0.5), 503);
    }
}
