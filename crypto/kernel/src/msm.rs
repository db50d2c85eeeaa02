//! Multi-scalar multiplication `Σ sᵢ·Gᵢ`, routed by how cheap each scalar is.
//!
//! Witnesses of real circuits are full of 0, 1 and −1 (bits, selectors, constants) and of small
//! counters. Each scalar goes to the cheapest path that handles it: zero → skipped; one / minus
//! one → one mixed addition / subtraction of its base (parallel chunks); below 2⁶⁴ → Pippenger
//! over only the windows those values occupy; anything else → full-width Pippenger
//! (`pippenger.rs`). A dense vector is classified scalar by scalar; a compact vector
//! (`crypto.witness`: tags + the TAG_OTHER values) arrives already classified by its tags.
//!
//! Scalars cross in canonical little-endian 64-bit limbs (four per scalar), which is exactly
//! arkworks' `BigInt` form, so no Montgomery conversion is needed.

use crate::fixed_base::FixedBases;
use crate::group::CycleCurve;
use crate::pippenger;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ff::{BigInt, BigInteger, One, PrimeField, Zero};
use rayon::prelude::*;
use std::time::Instant;

/// Compact-vector tags (fixed by `crypto.witness`).
pub const TAG_ZERO: u8 = 0;
pub const TAG_ONE: u8 = 1;
pub const TAG_MINUS_ONE: u8 = 2;
pub const TAG_OTHER: u8 = 3;

/// Bases summed by one task of the ±1 path.
const SUM_CHUNK: usize = 1024;

/// Why an MSM input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsmError {
    /// Lengths that do not fit together.
    Shape(String),
    /// A scalar limb row that is not below the scalar field modulus.
    NonCanonical(String),
    /// A tag that is none of TAG_ZERO..TAG_OTHER.
    BadTag(String),
}

/// Canonical scalars from `4·n` little-endian limbs; the first one ≥ the modulus is named.
pub fn scalars_from_limbs<F: PrimeField<BigInt = BigInt<4>>>(
    limbs: &[u64],
) -> Result<Vec<BigInt<4>>, MsmError> {
    if !limbs.len().is_multiple_of(4) {
        return Err(MsmError::Shape(format!(
            "scalar limbs come in rows of 4, got {} limbs",
            limbs.len()
        )));
    }
    let scalars: Vec<BigInt<4>> = limbs
        .par_chunks_exact(4)
        .map(|row| BigInt::new([row[0], row[1], row[2], row[3]]))
        .collect();
    match scalars.par_iter().position_first(|s| *s >= F::MODULUS) {
        Some(index) => Err(MsmError::NonCanonical(format!(
            "scalar {index} is not below the scalar field modulus"
        ))),
        None => Ok(scalars),
    }
}

/// The positions of a vector, grouped by the path that multiplies them.
#[derive(Default)]
struct Routes {
    ones: Vec<usize>,
    minus_ones: Vec<usize>,
    small: Vec<usize>,
    small_values: Vec<u64>,
    full: Vec<usize>,
    full_values: Vec<BigInt<4>>,
}

impl Routes {
    /// Files a nonzero scalar that is not ±1 under its path.
    fn push_other(&mut self, index: usize, scalar: BigInt<4>) {
        if scalar.0[1..].iter().all(|limb| *limb == 0) {
            self.small.push(index);
            self.small_values.push(scalar.0[0]);
        } else {
            self.full.push(index);
            self.full_values.push(scalar);
        }
    }

    /// The sum over `bases`, multiplying through `table` (whose first bases they are) where
    /// that is cheaper.
    fn evaluate<P: CycleCurve>(
        self,
        bases: &[Affine<P>],
        table: Option<&FixedBases<P>>,
    ) -> Projective<P> {
        let mut total = sum_at(bases, &self.ones) - sum_at(bases, &self.minus_ones);
        if !self.small.is_empty() {
            let widest = self.small_values.iter().fold(0u64, |acc, s| acc | s);
            let bits = (u64::BITS - widest.leading_zeros()) as usize;
            let values: Vec<BigInt<4>> =
                self.small_values.iter().map(|s| BigInt::from(*s)).collect();
            total += multiply(bases, table, &self.small, &values, bits);
        }
        if !self.full.is_empty() {
            let bits = P::Scalar::MODULUS_BIT_SIZE as usize;
            total += multiply(bases, table, &self.full, &self.full_values, bits);
        }
        total
    }
}

/// `Σₖ values[k]·bases[indices[k]]` for values below `2^bits`: through the table when it pays,
/// else by plain Pippenger.
fn multiply<P: CycleCurve>(
    bases: &[Affine<P>],
    table: Option<&FixedBases<P>>,
    indices: &[usize],
    values: &[BigInt<4>],
    bits: usize,
) -> Projective<P> {
    match table {
        Some(table) if table.pays(indices.len(), bits) => {
            table.msm_at(|k| indices[k], values, bits)
        }
        _ if indices.len() == bases.len() => pippenger::msm(bases, values, bits),
        _ => pippenger::msm(&gather(bases, indices), values, bits),
    }
}

/// Groups canonical scalars by path.
fn routes_of<P: CycleCurve>(scalars: &[BigInt<4>]) -> Routes {
    let one = P::Scalar::one().into_bigint();
    let minus_one = (-P::Scalar::one()).into_bigint();
    let mut routes = Routes::default();
    for (index, scalar) in scalars.iter().enumerate() {
        if scalar.is_zero() {
            continue;
        } else if *scalar == one {
            routes.ones.push(index);
        } else if *scalar == minus_one {
            routes.minus_ones.push(index);
        } else {
            routes.push_other(index, *scalar);
        }
    }
    routes
}

/// `Σ scalars[i]·bases[i]` for canonical scalars.
pub fn msm<P: CycleCurve>(
    bases: &[Affine<P>],
    scalars: &[BigInt<4>],
) -> Result<Projective<P>, MsmError> {
    if bases.len() != scalars.len() {
        return Err(MsmError::Shape(format!(
            "{} bases but {} scalars",
            bases.len(),
            scalars.len()
        )));
    }
    Ok(routes_of::<P>(scalars).evaluate(bases, None))
}

/// `Σ scalars[i]·bases[i]` over the first `scalars.len()` bases of `table`.
pub fn msm_fixed<P: CycleCurve>(
    table: &FixedBases<P>,
    scalars: &[BigInt<4>],
) -> Result<Projective<P>, MsmError> {
    let bases = prefix(table, scalars.len(), "scalars")?;
    Ok(routes_of::<P>(scalars).evaluate(bases, Some(table)))
}

/// `Σ scalars[i]·bases[i]` for scalars given as canonical limbs (what the Python binding calls).
pub fn msm_limbs<P: CycleCurve>(
    bases: &[Affine<P>],
    limbs: &[u64],
) -> Result<Projective<P>, MsmError> {
    msm(bases, &scalars_from_limbs::<P::Scalar>(limbs)?)
}

/// `msm_fixed` for scalars given as canonical limbs.
pub fn msm_limbs_fixed<P: CycleCurve>(
    table: &FixedBases<P>,
    limbs: &[u64],
) -> Result<Projective<P>, MsmError> {
    msm_fixed(table, &scalars_from_limbs::<P::Scalar>(limbs)?)
}

/// The first `n` bases of `table`, refused if it has fewer.
fn prefix<'a, P: CycleCurve>(
    table: &'a FixedBases<P>,
    n: usize,
    what: &str,
) -> Result<&'a [Affine<P>], MsmError> {
    table.bases().get(..n).ok_or_else(|| {
        MsmError::Shape(format!(
            "{n} {what} but the table has only {} bases",
            table.len()
        ))
    })
}

/// `Σ vᵢ·bases[i]` for the compact vector `v`: `tags` and the limbs of its TAG_OTHER values.
pub fn msm_compact<P: CycleCurve>(
    bases: &[Affine<P>],
    tags: &[u8],
    other_limbs: &[u64],
) -> Result<Projective<P>, MsmError> {
    if bases.len() != tags.len() {
        return Err(MsmError::Shape(format!(
            "{} bases but {} tags",
            bases.len(),
            tags.len()
        )));
    }
    Ok(compact_routes::<P>(tags, other_limbs)?.evaluate(bases, None))
}

/// `msm_compact` over the first `tags.len()` bases of `table`.
pub fn msm_compact_fixed<P: CycleCurve>(
    table: &FixedBases<P>,
    tags: &[u8],
    other_limbs: &[u64],
) -> Result<Projective<P>, MsmError> {
    let bases = prefix(table, tags.len(), "tags")?;
    Ok(compact_routes::<P>(tags, other_limbs)?.evaluate(bases, Some(table)))
}

/// Groups a compact vector's entries by path.
fn compact_routes<P: CycleCurve>(tags: &[u8], other_limbs: &[u64]) -> Result<Routes, MsmError> {
    let others = scalars_from_limbs::<P::Scalar>(other_limbs)?;
    let mut others_iter = others.iter();
    let mut routes = Routes::default();
    let mut other_count = 0usize;
    for (index, tag) in tags.iter().enumerate() {
        match *tag {
            TAG_ZERO => {}
            TAG_ONE => routes.ones.push(index),
            TAG_MINUS_ONE => routes.minus_ones.push(index),
            TAG_OTHER => {
                other_count += 1;
                if let Some(value) = others_iter.next() {
                    routes.push_other(index, *value);
                }
            }
            bad => {
                return Err(MsmError::BadTag(format!(
                    "tag {bad} at position {index} is not one of 0 (zero), 1 (one), \
                     2 (minus one), 3 (other)"
                )))
            }
        }
    }
    if other_count != others.len() {
        return Err(MsmError::Shape(format!(
            "{other_count} tags are TAG_OTHER but {} other values were given",
            others.len()
        )));
    }
    Ok(routes)
}

/// The bases at `indices`, in order.
fn gather<P: CycleCurve>(bases: &[Affine<P>], indices: &[usize]) -> Vec<Affine<P>> {
    indices.par_iter().map(|&i| bases[i]).collect()
}

/// `Σ bases[i]` over `indices`, by mixed additions in parallel chunks.
fn sum_at<P: CycleCurve>(bases: &[Affine<P>], indices: &[usize]) -> Projective<P> {
    indices
        .par_chunks(SUM_CHUNK)
        .map(|chunk| {
            chunk.iter().fold(Projective::<P>::zero(), |mut acc, &i| {
                acc += &bases[i];
                acc
            })
        })
        .reduce(Projective::<P>::zero, |a, b| a + b)
}

/// Times `msm_limbs` on `2^log_n` derived bases and uniformly random scalars, generated here so
/// no Python runs between the clock reads: one figure in milliseconds per repeat.
pub fn bench_msm_random<P: CycleCurve>(log_n: u32, repeats: usize) -> Vec<f64> {
    use ark_std::UniformRand;
    let n = 1usize << log_n;
    let bases = crate::hash_to_curve::derive_generators::<P>(b"novanode/bench", n);
    let mut rng = ark_std::test_rng();
    let limbs: Vec<u64> = (0..n)
        .flat_map(|_| P::Scalar::rand(&mut rng).into_bigint().0)
        .collect();
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            let result = msm_limbs(&bases, &limbs).expect("random scalars are canonical");
            let elapsed = start.elapsed().as_secs_f64() * 1e3;
            let _ = std::hint::black_box(result);
            elapsed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_to_curve::derive_generators;
    use ark_std::{rand::Rng, UniformRand};

    /// Σ sᵢ·Gᵢ by one scalar multiplication per term.
    fn naive<P: CycleCurve>(bases: &[Affine<P>], scalars: &[P::Scalar]) -> Projective<P> {
        bases.iter().zip(scalars).map(|(b, s)| *b * s).sum()
    }

    /// A scalar of a random kind: 0, 1, −1, small, or full width.
    fn mixed_scalar<F: PrimeField>(rng: &mut impl Rng) -> F {
        match rng.gen_range(0..5) {
            0 => F::zero(),
            1 => F::one(),
            2 => -F::one(),
            3 => F::from(rng.gen::<u64>() >> rng.gen_range(0..64)),
            _ => F::rand(rng),
        }
    }

    fn limbs_of<F: PrimeField<BigInt = BigInt<4>>>(scalars: &[F]) -> Vec<u64> {
        scalars.iter().flat_map(|s| s.into_bigint().0).collect()
    }

    /// Tags and TAG_OTHER limbs of `scalars`, with ±1 written either as tags or as values.
    fn compact_of<F: PrimeField<BigInt = BigInt<4>>>(
        scalars: &[F],
        tag_units: bool,
    ) -> (Vec<u8>, Vec<u64>) {
        let mut tags = Vec::new();
        let mut others = Vec::new();
        for s in scalars {
            let tag = match s {
                s if s.is_zero() => TAG_ZERO,
                s if tag_units && *s == F::one() => TAG_ONE,
                s if tag_units && *s == -F::one() => TAG_MINUS_ONE,
                _ => TAG_OTHER,
            };
            if tag == TAG_OTHER {
                others.extend(s.into_bigint().0);
            }
            tags.push(tag);
        }
        (tags, others)
    }

    fn agrees_with_naive<P: CycleCurve>() {
        let mut rng = ark_std::test_rng();
        let bases = derive_generators::<P>(b"msm-test", 300);
        let table = FixedBases::new(&bases);
        for n in [0usize, 1, 2, 31, 32, 299, 300] {
            let scalars: Vec<P::Scalar> = (0..n).map(|_| mixed_scalar(&mut rng)).collect();
            let expected = naive(&bases[..n], &scalars);
            let limbs = limbs_of(&scalars);
            assert_eq!(msm_limbs(&bases[..n], &limbs), Ok(expected));
            assert_eq!(msm_limbs_fixed(&table, &limbs), Ok(expected));
            for tag_units in [true, false] {
                let (tags, others) = compact_of(&scalars, tag_units);
                assert_eq!(msm_compact(&bases[..n], &tags, &others), Ok(expected));
                assert_eq!(msm_compact_fixed(&table, &tags, &others), Ok(expected));
            }
        }
    }

    #[test]
    fn msm_agrees_with_naive_sum() {
        agrees_with_naive::<ark_bn254::g1::Config>();
        agrees_with_naive::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn small_scalars_of_every_width() {
        type P = ark_bn254::g1::Config;
        let bases = derive_generators::<P>(b"msm-test", 64);
        for width in [2u32, 13, 40, 63, 64] {
            let scalars: Vec<u64> = (0..64u64)
                .map(|i| (i * 0x9e37_79b9_7f4a_7c15) >> (64 - width))
                .collect();
            let fields: Vec<ark_bn254::Fr> =
                scalars.iter().map(|s| ark_bn254::Fr::from(*s)).collect();
            let limbs: Vec<u64> = scalars.iter().flat_map(|s| [*s, 0, 0, 0]).collect();
            assert_eq!(msm_limbs(&bases, &limbs), Ok(naive(&bases, &fields)));
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        type P = ark_bn254::g1::Config;
        let bases = derive_generators::<P>(b"msm-test", 2);
        let modulus = ark_bn254::Fr::MODULUS.0;
        assert!(matches!(
            msm_limbs(&bases, &[0; 4]),
            Err(MsmError::Shape(_))
        ));
        assert!(matches!(
            msm_limbs(&bases, &[0; 7]),
            Err(MsmError::Shape(_))
        ));
        let mut limbs = vec![0u64; 4];
        limbs.extend(modulus);
        let refused = msm_limbs(&bases, &limbs);
        assert!(matches!(refused, Err(MsmError::NonCanonical(m)) if m.contains("scalar 1 ")));
        assert!(matches!(
            msm_compact(&bases, &[0], &[]),
            Err(MsmError::Shape(_))
        ));
        assert!(matches!(
            msm_compact(&bases, &[0, 4], &[]),
            Err(MsmError::BadTag(_))
        ));
        assert!(matches!(
            msm_compact(&bases, &[3, 0], &[]),
            Err(MsmError::Shape(_))
        ));
        assert!(matches!(
            msm_compact(&bases, &[0, 0], &[1, 0, 0, 0]),
            Err(MsmError::Shape(_))
        ));
        assert!(matches!(
            msm_compact(&bases, &[3, 0], &modulus),
            Err(MsmError::NonCanonical(_))
        ));
        let table = FixedBases::new(&bases);
        assert!(matches!(
            msm_limbs_fixed(&table, &[0; 12]),
            Err(MsmError::Shape(_))
        ));
        assert!(matches!(
            msm_compact_fixed(&table, &[0, 0, 0], &[]),
            Err(MsmError::Shape(_))
        ));
    }

    #[test]
    fn bench_entry_point_times_each_repeat() {
        let times = bench_msm_random::<ark_bn254::g1::Config>(4, 3);
        assert_eq!(times.len(), 3);
        assert!(times.iter().all(|t| *t >= 0.0));
    }

    #[test]
    fn random_full_width_scalars() {
        type P = ark_grumpkin::GrumpkinConfig;
        let mut rng = ark_std::test_rng();
        let bases = derive_generators::<P>(b"msm-test", 100);
        let scalars: Vec<ark_grumpkin::Fr> =
            (0..100).map(|_| ark_grumpkin::Fr::rand(&mut rng)).collect();
        assert_eq!(
            msm_limbs(&bases, &limbs_of(&scalars)),
            Ok(naive(&bases, &scalars))
        );
    }
}
