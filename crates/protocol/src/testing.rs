//! Test support, compiled only in this crate's tests or with the `test-vectors` feature
//! (never in a shipped build): an RNG that replays fixed bytes, which is how fixed nonces
//! and keys reach the ordinary, randomness-injected API.

/// Replays the given bytes as "randomness", then zeros. Not random: tests only.
#[derive(Debug, Clone)]
pub struct FixedRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl FixedRng {
    /// An RNG that yields `bytes` in order, then zeros.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        FixedRng {
            bytes: bytes.into(),
            pos: 0,
        }
    }
}

impl rand_core::RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for byte in dst {
            *byte = self.bytes.get(self.pos).copied().unwrap_or(0);
            self.pos = self.pos.saturating_add(1);
        }
    }
}

impl rand_core::CryptoRng for FixedRng {}
