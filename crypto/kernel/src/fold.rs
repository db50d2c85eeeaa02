//! The generator fold of the inner-product argument: `G'ᵢ = G_lo,ᵢ + x·G_hi,ᵢ` for a challenge
//! given as two 64-bit halves, `x = x₀ + x₁·λ`.
//!
//! Both curves have j-invariant 0, so `φ(x, y) = (β·x, y)`, with β a cube root of unity of the
//! base field, is an endomorphism that multiplies every point by a cube root of unity λ of the
//! scalar field. Hence `x·P = x₀·P + x₁·φ(P)`: two 64-bit multiplications that share their 64
//! doublings, the GLV method with the decomposition chosen by the protocol instead of computed.
//! Each half is recoded once into width-4 NAF digits, which every point shares; each point gets
//! a table of its odd multiples `P, 3P, 5P, 7P`, and `φ` of the table costs one multiplication
//! per entry. Since the digits are shared, the points of a chunk step through them together in
//! affine form, each doubling or addition step dividing with one inversion shared by the chunk
//! (Montgomery's trick): about 6 multiplications an addition instead of a mixed addition's 11.
//! Chunks run in parallel; the sums with `G_lo` are normalised to affine, the form the next
//! round's MSMs want, with one more shared inversion.

use crate::group::{self, CycleCurve};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ff::{AdditiveGroup, Field, MontFp};
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
/// Points per parallel task and per shared inversion.
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
    let digits = joint_digits(x0, x1);
    let (low, high) = bases.split_at(bases.len() / 2);
    let mut folded = vec![Affine::<P>::identity(); low.len()];
    folded
        .par_chunks_mut(CHUNK)
        .zip(low.par_chunks(CHUNK).zip(high.par_chunks(CHUNK)))
        .for_each(|(out, (low, high))| {
            let sums: Vec<Projective<P>> = multiples(high, &digits)
                .into_iter()
                .zip(low)
                .map(|(multiple, lo)| Projective::from(multiple) + lo)
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

/// The NAF digits of `x₀` and `x₁` side by side, highest position first.
fn joint_digits(x0: u64, x1: u64) -> Vec<(i8, i8)> {
    let (d0, d1) = (naf(x0), naf(x1));
    let positions = d0.len().max(d1.len());
    (0..positions)
        .rev()
        .map(|i| {
            (
                d0.get(i).copied().unwrap_or(0),
                d1.get(i).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// `(x₀ + x₁·λ)·P` for every point, all points stepping through the digits together in affine
/// form so that each step's divisions share one inversion.
///
/// No step meets an exceptional case: an intermediate value is `(k₀ + k₁·λ)·P` with
/// `|k₀|, |k₁| < 2^66`, and two such multiples of a point of prime order r coincide (or are
/// opposite) only when their coefficients do, because `u ≡ −v·λ` would make `u² − u·v + v²`, a
/// positive integer below r, a multiple of r. Before an addition both coefficients are even (the
/// value was just doubled) or the first is odd (a digit of `x₀` was just added), while a table
/// entry is `±d·P` or `±d·φ(P)` with d odd: never the same coefficients. Doublings divide by
/// `2y`, which is never zero in a group of odd order. The identity maps to itself.
fn multiples<P: Endomorphism>(points: &[Affine<P>], digits: &[(i8, i8)]) -> Vec<Affine<P>> {
    let live: Vec<usize> = (0..points.len()).filter(|i| !points[*i].infinity).collect();
    let base: Vec<Affine<P>> = live.iter().map(|i| points[*i]).collect();
    let tables = odd_multiples(&base);
    let images: Vec<Vec<Affine<P>>> = tables
        .iter()
        .map(|column| {
            column
                .iter()
                .map(|q| Affine::new_unchecked(q.x * P::BETA, q.y))
                .collect()
        })
        .collect();
    let mut acc: Option<Vec<Affine<P>>> = None;
    let mut inverses = Vec::with_capacity(base.len());
    for (d0, d1) in digits {
        if let Some(acc) = acc.as_mut() {
            batch_double(acc, &mut inverses);
        }
        for (digit, table) in [(*d0, &tables), (*d1, &images)] {
            if digit == 0 {
                continue;
            }
            let column = &table[usize::from(digit.unsigned_abs() / 2)];
            let entry = |i: usize| if digit > 0 { column[i] } else { -column[i] };
            match acc.as_mut() {
                Some(acc) => batch_add(acc, entry, &mut inverses),
                None => acc = Some((0..base.len()).map(entry).collect()),
            }
        }
    }
    let mut out = vec![Affine::<P>::identity(); points.len()];
    if let Some(acc) = acc {
        for (i, value) in live.into_iter().zip(acc) {
            out[i] = value;
        }
    }
    out
}

/// `table[j][i] = (2j + 1)·points[i]`, computed in affine form a column at a time.
fn odd_multiples<P: CycleCurve>(points: &[Affine<P>]) -> Vec<Vec<Affine<P>>> {
    let mut scratch = Vec::with_capacity(points.len());
    let mut twice = points.to_vec();
    batch_double(&mut twice, &mut scratch);
    let mut table = vec![points.to_vec()];
    for _ in 1..TABLE {
        let mut next = table[table.len() - 1].clone();
        batch_add(&mut next, |i| twice[i], &mut scratch);
        table.push(next);
    }
    table
}

/// `acc[i] += rhs(i)` for every i, affine, with one shared inversion (no `x` may coincide).
fn batch_add<P: CycleCurve>(
    acc: &mut [Affine<P>],
    rhs: impl Fn(usize) -> Affine<P>,
    prefix: &mut Vec<P::Base>,
) {
    let mut inverse = shared_inverse(prefix, acc.iter().enumerate().map(|(i, p)| rhs(i).x - p.x));
    for i in (0..acc.len()).rev() {
        let (p, q) = (acc[i], rhs(i));
        let lambda = (q.y - p.y) * inverse * prefix[i];
        inverse *= q.x - p.x;
        let x = lambda.square() - p.x - q.x;
        acc[i] = Affine::new_unchecked(x, lambda * (p.x - x) - p.y);
    }
}

/// `acc[i] = 2·acc[i]` for every i, affine (`y² = x³ + b`), with one shared inversion.
fn batch_double<P: CycleCurve>(acc: &mut [Affine<P>], prefix: &mut Vec<P::Base>) {
    let mut inverse = shared_inverse(prefix, acc.iter().map(|p| p.y.double()));
    for i in (0..acc.len()).rev() {
        let p = acc[i];
        let square = p.x.square();
        let lambda = (square.double() + square) * inverse * prefix[i];
        inverse *= p.y.double();
        let x = lambda.square() - p.x.double();
        acc[i] = Affine::new_unchecked(x, lambda * (p.x - x) - p.y);
    }
}

/// Montgomery's trick: fills `prefix[i]` with the product of the first i denominators and
/// returns the inverse of all of them; walking back, `inverse · prefix[i]` is `1 / dᵢ` and
/// multiplying `inverse` by `dᵢ` drops it.
fn shared_inverse<F: Field>(prefix: &mut Vec<F>, denominators: impl Iterator<Item = F>) -> F {
    prefix.clear();
    let mut running = F::one();
    for d in denominators {
        prefix.push(running);
        running *= d;
    }
    running
        .inverse()
        .expect("no denominator is zero (see `multiples`)")
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
