//! Commitment keys that every node derives alike, with no trusted setup.
//!
//! Generator `i` of the key labelled `label` on a curve named `NAME` (`"BN254-G1"` or
//! `"Grumpkin"`, base field modulus `p`, equation `y² = x³ + b`) is found by try-and-increment:
//!
//! ```text
//! for counter = 0, 1, 2, ...:
//!     digest = SHA-512( "novanode/generators/v1"
//!                       ‖ u8(len(NAME)) ‖ NAME
//!                       ‖ u64_le(len(label)) ‖ label
//!                       ‖ u64_le(i) ‖ u32_le(counter) )
//!     x = int_le(digest) mod p
//!     if x³ + b is a square mod p:
//!         return (x, y) with y the smaller of the two square roots (y ≤ p − y)
//! ```
//!
//! The length prefixes make the hashed string injective in (curve, label, i, counter), so no two
//! keys share a generator by construction. The 512-bit digest makes `x` uniform up to 2⁻²⁵⁸; half
//! of all `x` lie under a point, so a generator costs two tries on average. Nobody knows a
//! discrete-log relation between the outputs (they are hash outputs), which is what a Pedersen
//! commitment key needs. Cofactor 1 puts every curve point in the group. Generators are derived
//! in parallel over `i`; the result does not depend on the thread count.

use crate::group::CycleCurve;
use ark_ec::short_weierstrass::Affine;
use ark_ff::PrimeField;
use rayon::prelude::*;
use sha2::{Digest, Sha512};

/// Domain tag that opens every hashed string.
pub const DOMAIN_TAG: &[u8] = b"novanode/generators/v1";

/// The first `n` generators of the key labelled `label` on curve `P`.
pub fn derive_generators<P: CycleCurve>(label: &[u8], n: usize) -> Vec<Affine<P>> {
    (0..n as u64)
        .into_par_iter()
        .map(|index| derive_generator::<P>(label, index))
        .collect()
}

/// Generator `index` of the key labelled `label`.
pub fn derive_generator<P: CycleCurve>(label: &[u8], index: u64) -> Affine<P> {
    let mut prefix = Sha512::new();
    prefix.update(DOMAIN_TAG);
    prefix.update([P::NAME.len() as u8]);
    prefix.update(P::NAME.as_bytes());
    prefix.update((label.len() as u64).to_le_bytes());
    prefix.update(label);
    prefix.update(index.to_le_bytes());
    (0u32..)
        .find_map(|counter| {
            let digest = prefix
                .clone()
                .chain_update(counter.to_le_bytes())
                .finalize();
            let x = P::Base::from_le_bytes_mod_order(&digest);
            Affine::<P>::get_ys_from_x_unchecked(x)
                .map(|(smaller, _)| Affine::new_unchecked(x, smaller))
        })
        .expect("half of all x-coordinates lie under a point")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInteger;

    fn derives_valid_distinct_points<P: CycleCurve>() {
        let key = derive_generators::<P>(b"test", 32);
        assert_eq!(key.len(), 32);
        for (i, point) in key.iter().enumerate() {
            assert!(point.is_on_curve());
            assert!(!point.infinity);
            assert!(point.y <= -point.y, "the smaller root is chosen");
            assert_eq!(*point, derive_generator::<P>(b"test", i as u64));
            assert!(key[..i].iter().all(|earlier| earlier != point));
        }
        assert_ne!(key[0], derive_generator::<P>(b"tesT", 0));
        assert_eq!(derive_generators::<P>(b"test", 8), key[..8].to_vec());
    }

    #[test]
    fn generators_are_valid_distinct_and_stable() {
        derives_valid_distinct_points::<ark_bn254::g1::Config>();
        derives_valid_distinct_points::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn the_two_curves_get_different_keys() {
        let g1 = derive_generator::<ark_bn254::g1::Config>(b"k", 0)
            .x
            .into_bigint();
        let grumpkin = derive_generator::<ark_grumpkin::GrumpkinConfig>(b"k", 0)
            .x
            .into_bigint();
        assert_ne!(g1.to_bytes_le(), grumpkin.to_bytes_le());
    }
}
