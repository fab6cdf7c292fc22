//! The protocol crate takes an infallible `rand_core::CryptoRng`; the core's
//! [`RandomSource`] may fail. [`with_rng`] bridges them: a failure is
//! remembered, and whatever the protocol built from it is thrown away and
//! reported as [`Error::Random`], never used.

use rand_core::{CryptoRng, RngCore};

use crate::error::{Error, Result};
use crate::random::RandomSource;

/// A `CryptoRng` drawing from a [`RandomSource`], remembering failures.
pub(crate) struct Drawn<'a> {
    source: &'a mut dyn RandomSource,
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
        if self.source.fill(dst).is_err() {
            self.failed = true;
            dst.fill(0);
        }
    }
}

impl CryptoRng for Drawn<'_> {}

/// Runs `f` with a `CryptoRng` drawing from `source`; fails with
/// [`Error::Random`] (discarding `f`'s output) if any draw failed.
pub(crate) fn with_rng<T>(
    source: &mut dyn RandomSource,
    f: impl FnOnce(&mut Drawn<'_>) -> T,
) -> Result<T> {
    let mut drawn = Drawn {
        source,
        failed: false,
    };
    let out = f(&mut drawn);
    if drawn.failed {
        Err(Error::Random)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl RandomSource for Broken {
        fn fill(&mut self, _dest: &mut [u8]) -> Result<()> {
            Err(Error::Random)
        }
    }

    #[test]
    fn failure_discards_the_output() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
        let bytes = with_rng(&mut rng, |r| r.next_u64()).unwrap();
        assert_ne!(bytes, 0);
        assert!(matches!(
            with_rng(&mut Broken, |r| r.next_u64()),
            Err(Error::Random)
        ));
    }

    use rand_core::SeedableRng;
}
