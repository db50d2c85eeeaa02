//! The generator fold of the inner-product argument: `G'ᵢ = G_lo,ᵢ + x·G_hi,ᵢ`.
//!
//! Each round of the argument halves the generator vector, its low half plus `x` times its high
//! half, so a round costs one scalar multiplication per output point. The multiplications are
//! independent, so they run in parallel; the outputs are made affine with one shared inversion,
//! the form the next round's MSMs want. Double-and-add skips the scalar's leading zeros, so a
//! 128-bit challenge costs half the doublings of a full-width one.

use crate::group::{self, CycleCurve};
use crate::msm::{scalars_from_limbs, MsmError};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::AffineRepr;
use rayon::prelude::*;

/// `bases[i] + x·bases[i + n/2]` for `i < n/2`, with `x` given as four canonical limbs.
///
/// Refused (as an MSM input would be) when `bases` has an odd length or `x` is not below the
/// scalar field modulus.
pub fn fold_generators<P: CycleCurve>(
    bases: &[Affine<P>],
    x_limbs: &[u64; 4],
) -> Result<Vec<Affine<P>>, MsmError> {
    if !bases.len().is_multiple_of(2) {
        return Err(MsmError::Shape(format!(
            "a generator fold halves its vector, which needs an even length, got {}",
            bases.len()
        )));
    }
    let x = scalars_from_limbs::<P::Scalar>(x_limbs)?[0];
    let significant =
        x.0.iter()
            .rposition(|limb| *limb != 0)
            .map_or(0, |top| top + 1);
    let (low, high) = bases.split_at(bases.len() / 2);
    let folded: Vec<Projective<P>> = low
        .par_iter()
        .zip(high.par_iter())
        .map(|(lo, hi)| hi.mul_bigint(&x.0[..significant]) + lo)
        .collect();
    Ok(group::normalize_batch(&folded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_to_curve::derive_generators;
    use ark_ec::CurveGroup;
    use ark_ff::{PrimeField, UniformRand};

    fn agrees_with_scalar_multiplication<P: CycleCurve>() {
        let mut rng = ark_std::test_rng();
        let bases = derive_generators::<P>(b"fold-test", 16);
        let full = P::Scalar::rand(&mut rng);
        let short = P::Scalar::from(u128::MAX - 12345);
        for x in [P::Scalar::from(0u64), P::Scalar::from(1u64), short, full] {
            let folded = fold_generators(&bases, &x.into_bigint().0).unwrap();
            assert_eq!(folded.len(), 8);
            for (i, point) in folded.iter().enumerate() {
                assert_eq!(*point, (bases[i + 8] * x + bases[i]).into_affine());
            }
        }
        assert_eq!(fold_generators::<P>(&[], &[0; 4]), Ok(vec![]));
    }

    #[test]
    fn fold_agrees_with_scalar_multiplication() {
        agrees_with_scalar_multiplication::<ark_bn254::g1::Config>();
        agrees_with_scalar_multiplication::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn bad_inputs_are_refused() {
        type P = ark_bn254::g1::Config;
        let bases = derive_generators::<P>(b"fold-test", 3);
        assert!(matches!(
            fold_generators(&bases, &[1, 0, 0, 0]),
            Err(MsmError::Shape(_))
        ));
        let modulus = ark_bn254::Fr::MODULUS;
        assert!(matches!(
            fold_generators(&bases[..2], &modulus.0),
            Err(MsmError::NonCanonical(_))
        ));
    }
}
