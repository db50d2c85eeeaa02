//! The generator fold of the inner-product argument: `G'ᵢ = G_lo,ᵢ + x·G_hi,ᵢ` for a challenge
//! given as two 64-bit halves, `x = x₀ + x₁·λ`.
//!
//! Both curves have j-invariant 0, so `φ(x, y) = (β·x, y)`, with β a cube root of unity of the
//! base field, is an endomorphism that multiplies every point by a cube root of unity λ of the
//! scalar field. Hence `x·P = x₀·P + x₁·φ(P)`: two 64-bit multiplications that share their 64
//! doublings, the GLV method with the decomposition chosen by the protocol instead of computed.
//! Each half is recoded once into width-4 NAF digits shared by every point; each point gets a
//! table of its odd multiples `P, 3P, 5P, 7P`, made affine in one batch per chunk so the main
//! loop's additions are mixed, and `φ` of the table costs one multiplication per entry. Chunks
//! run in parallel and each is normalised to affine with one shared inversion, the form the
//! next round's MSMs want.

use crate::group::{self, CycleCurve};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::AdditiveGroup;
use ark_ff::{MontFp, Zero};
use rayon::prelude::*;

/// A curve of the cycle with its cube-root endomorphism.
pub trait Endomorphism: CycleCurve {
    /// The cube root of unity of the base field with `φ(x, y) = (BETA·x, y)`.
    const BETA: Self::Base;
    /// The cube root of unity of the scalar field with `φ(P) = LAMBDA·P`.
    const LAMBDA: Self::Scalar;
}

impl Endomorphism for ark_bn254::g1::Config {
    const BETA: ark_bn254::Fq =
        MontFp!("2203960485148121921418603742825762020974279258880205651966");
    const LAMBDA: ark_bn254::Fr =
        MontFp!("4407920970296243842393367215006156084916469457145843978461");
}

impl Endomorphism for ark_grumpkin::GrumpkinConfig {
    const BETA: ark_grumpkin::Fq =
        MontFp!("4407920970296243842393367215006156084916469457145843978461");
    const LAMBDA: ark_grumpkin::Fr =
        MontFp!("2203960485148121921418603742825762020974279258880205651966");
}

/// NAF window: digits are odd and in (−2^(WINDOW−1), 2^(WINDOW−1)).
const WINDOW: u32 = 4;
/// Odd multiples per table: `P, 3P, …, (2·TABLE − 1)P`.
const TABLE: usize = 1 << (WINDOW - 2);
/// Points per parallel task (and per batch inversion).
const CHUNK: usize = 256;

/// `bases[i] + (x₀ + x₁·λ)·bases[i + n/2]` for `i < n/2`.
///
/// Refused, with a message saying why, when `bases` has an odd length.
pub fn fold_generators<P: Endomorphism>(
    bases: &[Affine<P>],
    x0: u64,
    x1: u64,
) -> Result<Vec<Affine<P>>, String> {
    if !bases.len().is_multiple_of(2) {
        return Err(format!(
            "a generator fold halves its vector, which needs an even length, got {}",
            bases.len()
        ));
    }
    let digits = (naf(x0), naf(x1));
    let (low, high) = bases.split_at(bases.len() / 2);
    let mut folded = vec![Affine::<P>::identity(); low.len()];
    folded
        .par_chunks_mut(CHUNK)
        .zip(low.par_chunks(CHUNK).zip(high.par_chunks(CHUNK)))
        .for_each(|(out, (low, high))| {
            let tables = odd_multiples(high);
            let sums: Vec<Projective<P>> = low
                .iter()
                .zip(tables.chunks_exact(TABLE))
                .map(|(lo, table)| joint_multiple(table, &digits) + lo)
                .collect();
            out.copy_from_slice(&group::normalize_batch(&sums));
        });
    Ok(folded)
}

/// Width-`WINDOW` NAF digits of `value`, lowest first: `value = Σ dᵢ·2^i`.
fn naf(value: u64) -> Vec<i8> {
    let mut rest = i128::from(value);
    let mut digits = Vec::with_capacity(66);
    while rest != 0 {
        let mut digit = 0;
        if rest & 1 == 1 {
            digit = rest & ((1 << WINDOW) - 1);
            if digit >= 1 << (WINDOW - 1) {
                digit -= 1 << WINDOW;
            }
            rest -= digit;
        }
        digits.push(digit as i8);
        rest >>= 1;
    }
    digits
}

/// `P, 3P, …` for every point, `TABLE` entries a point, affine.
fn odd_multiples<P: CycleCurve>(points: &[Affine<P>]) -> Vec<Affine<P>> {
    let mut multiples = Vec::with_capacity(points.len() * TABLE);
    for point in points {
        let twice = Projective::from(*point).double();
        let mut multiple = Projective::from(*point);
        multiples.push(multiple);
        for _ in 1..TABLE {
            multiple += twice;
            multiples.push(multiple);
        }
    }
    group::normalize_batch(&multiples)
}

/// `x₀·P + x₁·φ(P)` from the odd multiples of `P` and the NAF digits of `x₀` and `x₁`.
fn joint_multiple<P: Endomorphism>(
    table: &[Affine<P>],
    digits: &(Vec<i8>, Vec<i8>),
) -> Projective<P> {
    let mut image = [Affine::<P>::identity(); TABLE];
    for (phi, point) in image.iter_mut().zip(table) {
        if !point.infinity {
            *phi = Affine::new_unchecked(point.x * P::BETA, point.y);
        }
    }
    let mut acc = Projective::<P>::zero();
    for i in (0..digits.0.len().max(digits.1.len())).rev() {
        acc.double_in_place();
        add_digit(&mut acc, digits.0.get(i), table);
        add_digit(&mut acc, digits.1.get(i), &image);
    }
    acc
}

/// `acc += d·Q` for an odd NAF digit `d`, from the odd multiples of `Q`.
fn add_digit<P: CycleCurve>(acc: &mut Projective<P>, digit: Option<&i8>, table: &[Affine<P>]) {
    match digit.copied() {
        Some(d) if d > 0 => *acc += &table[(d / 2) as usize],
        Some(d) if d < 0 => *acc -= &table[(-d / 2) as usize],
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_to_curve::derive_generators;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_std::rand::Rng;

    fn endomorphism_multiplies_by_lambda<P: Endomorphism>() {
        let point = Projective::<P>::generator().into_affine();
        let image = Affine::<P>::new_unchecked(point.x * P::BETA, point.y);
        assert!(image.is_on_curve());
        assert_eq!(image, (point * P::LAMBDA).into_affine());
    }

    #[test]
    fn endomorphisms_multiply_by_lambda() {
        endomorphism_multiplies_by_lambda::<ark_bn254::g1::Config>();
        endomorphism_multiplies_by_lambda::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn naf_digits_sum_to_the_value() {
        let mut rng = ark_std::test_rng();
        let mut values = vec![0, 1, 7, 8, 15, u64::MAX, u64::MAX - 1, 1 << 63];
        values.extend((0..100).map(|_| rng.gen::<u64>()));
        for value in values {
            let digits = naf(value);
            let sum: i128 = digits
                .iter()
                .enumerate()
                .map(|(i, d)| i128::from(*d) << i)
                .sum();
            assert_eq!(sum, i128::from(value));
            assert!(digits
                .iter()
                .all(|d| *d == 0 || (d % 2 != 0 && d.abs() < 8)));
        }
    }

    fn agrees_with_scalar_multiplication<P: Endomorphism>() {
        let mut rng = ark_std::test_rng();
        let n = 2 * CHUNK + 6;
        let mut bases = derive_generators::<P>(b"fold-test", n);
        bases[n / 2 + 1] = Affine::identity();
        let halves = [
            (0, 0),
            (1, 0),
            (0, 1),
            (u64::MAX, u64::MAX),
            (rng.gen(), rng.gen()),
        ];
        for (x0, x1) in halves {
            let x = P::Scalar::from(x0) + P::Scalar::from(x1) * P::LAMBDA;
            let folded = fold_generators(&bases, x0, x1).unwrap();
            assert_eq!(folded.len(), n / 2);
            for (i, point) in folded.iter().enumerate() {
                assert_eq!(*point, (bases[i + n / 2] * x + bases[i]).into_affine());
            }
        }
        assert_eq!(fold_generators::<P>(&[], 3, 4), Ok(vec![]));
    }

    #[test]
    fn fold_agrees_with_scalar_multiplication() {
        agrees_with_scalar_multiplication::<ark_bn254::g1::Config>();
        agrees_with_scalar_multiplication::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn odd_lengths_are_refused() {
        type P = ark_bn254::g1::Config;
        let bases = derive_generators::<P>(b"fold-test", 3);
        let refused = fold_generators(&bases, 1, 0);
        assert!(matches!(refused, Err(m) if m.contains("even length, got 3")));
    }
}
