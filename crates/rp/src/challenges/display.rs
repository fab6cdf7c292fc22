//! The number or code the login page shows, drawn uniformly from the injected CSPRNG.

use assent_protocol::ApprovalKind;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// A uniform integer in `0..n` (rejection sampling; `n > 0`).
fn below<R: CryptoRng>(rng: &mut R, n: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = rng.next_u32();
        if v < zone {
            return v % n;
        }
    }
}

/// `number`: 10–99; `code`: 6 digits (leading zeros kept); `simple`: empty.
pub(super) fn draw_display<R: CryptoRng>(rng: &mut R, kind: ApprovalKind) -> Zeroizing<String> {
    Zeroizing::new(match kind {
        ApprovalKind::Simple => String::new(),
        ApprovalKind::Number => (10 + below(rng, 90)).to_string(),
        ApprovalKind::Code => format!("{:06}", below(rng, 1_000_000)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::rng;

    #[test]
    fn values_have_the_shape_of_their_kind_and_cover_the_range() {
        let mut r = rng(9);
        let mut seen = [false; 100];
        for _ in 0..5000 {
            let n = draw_display(&mut r, ApprovalKind::Number);
            assert!(
                ApprovalKind::Number.entered_is_well_formed(&n),
                "{}",
                n.as_str()
            );
            seen[n.parse::<usize>().unwrap_or(0)] = true;
            let c = draw_display(&mut r, ApprovalKind::Code);
            assert!(ApprovalKind::Code.entered_is_well_formed(&c));
        }
        assert!(
            seen[10..100].iter().all(|s| *s),
            "every number 10..=99 drawn"
        );
        assert!(seen[..10].iter().all(|s| !*s));
        assert!(draw_display(&mut r, ApprovalKind::Simple).is_empty());
    }
}
