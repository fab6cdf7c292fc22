//! Randomness for the per-message sender key and salt. The protocol crate takes an
//! infallible `CryptoRng`; [`KeyRandom`] may fail, and [`with_drawn`] throws away
//! whatever was built from a failed draw.

use rand_core::{CryptoRng, RngCore};

/// A cryptographic random source; implemented for every rand_core `TryCryptoRng`
/// (`rand_core::OsRng` in production, a seeded ChaCha in tests).
pub trait KeyRandom: Send {
    /// Fills `dst`; `false` if the source failed.
    fn fill(&mut self, dst: &mut [u8]) -> bool;
}

impl<R: rand_core::TryCryptoRng + Send> KeyRandom for R {
    fn fill(&mut self, dst: &mut [u8]) -> bool {
        self.try_fill_bytes(dst).is_ok()
    }
}

/// A `CryptoRng` drawing from a [`KeyRandom`], remembering failures.
pub(crate) struct Drawn<'a> {
    source: &'a mut dyn KeyRandom,
    failed: bool,
}

impl RngCore for Drawn<'_> {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        if !self.source.fill(dst) {
            self.failed = true;
            dst.fill(0);
        }
    }
}

impl CryptoRng for Drawn<'_> {}

/// Runs `f` with a `CryptoRng` over `source`; `None` if any draw failed.
pub(crate) fn with_drawn<T>(
    source: &mut dyn KeyRandom,
    f: impl FnOnce(&mut Drawn<'_>) -> Option<T>,
) -> Option<T> {
    let mut drawn = Drawn {
        source,
        failed: false,
    };
    let out = f(&mut drawn);
    if drawn.failed {
        None
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl KeyRandom for Broken {
        fn fill(&mut self, _: &mut [u8]) -> bool {
            false
        }
    }

    #[test]
    fn a_failed_draw_discards_the_result() {
        assert_eq!(with_drawn(&mut Broken, |r| Some(r.next_u32())), None);
        let mut ok = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
        use rand_chacha::rand_core::SeedableRng;
        assert!(with_drawn(&mut ok, |r| Some(r.next_u32())).is_some());
    }
}
