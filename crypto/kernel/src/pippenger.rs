//! Pippenger's bucket method with signed windows and batch-affine bucket additions.
//!
//! Each `c`-bit window of every scalar is recoded to a signed digit `d ∈ [−2^(c−1), 2^(c−1)]`, so
//! a window needs only `2^(c−1)` buckets (a negative digit adds the negated base). Buckets are kept
//! in affine form and filled in batches: a batch adds up to `batch` points into distinct buckets
//! with one shared field inversion (Montgomery's trick), about 6 multiplications an addition
//! instead of the ~11 of a mixed projective addition. A point whose bucket is already in the
//! current batch waits for the next batch; if it meets its bucket there again (repeated
//! digits), it goes to a projective "spill" bucket by a mixed addition, so repeated digits never
//! stall the batch while random ones almost never pay for a spill (nor for adding the spill
//! bucket in the final sum). Windows are processed in parallel.

use crate::group::CycleCurve;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ff::{AdditiveGroup, BigInt, Field, Zero};
use rayon::prelude::*;

/// Widest window: 2^15 buckets.
const MAX_WINDOW_BITS: usize = 16;

/// Window width for `n` terms: about ln n + 2 bits, capped so a window's buckets stay within a
/// few MiB however long the vector.
pub(crate) fn window_bits(n: usize) -> usize {
    if n < 32 {
        3
    } else {
        ((n.ilog2() as usize * 69) / 100 + 2).min(MAX_WINDOW_BITS)
    }
}

/// `Σ scalars[i]·bases[i]` for scalars below `2^num_bits`.
pub fn msm<P: CycleCurve>(
    bases: &[Affine<P>],
    scalars: &[BigInt<4>],
    num_bits: usize,
) -> Projective<P> {
    assert_eq!(bases.len(), scalars.len(), "one scalar per base");
    if bases.is_empty() || num_bits == 0 {
        return Projective::zero();
    }
    let c = window_bits(bases.len());
    // One spare bit so the top window's digit never carries out.
    let windows = (num_bits + 1).div_ceil(c);
    let mut digits = vec![0i32; bases.len() * windows];
    digits
        .par_chunks_mut(windows)
        .zip(scalars.par_iter())
        .for_each(|(out, scalar)| signed_digits(scalar, c, out));
    let window_sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(bases, digits.iter().skip(w).step_by(windows).copied(), c))
        .collect();
    window_sums
        .into_iter()
        .rev()
        .fold(Projective::zero(), |mut acc, sum| {
            for _ in 0..c {
                acc.double_in_place();
            }
            acc + sum
        })
}

/// The `c`-bit window of `scalar` starting at bit `offset`.
fn window_value(scalar: &BigInt<4>, offset: usize, c: usize) -> u64 {
    let (limb, shift) = (offset / 64, offset % 64);
    if limb >= 4 {
        return 0;
    }
    let mut value = scalar.0[limb] >> shift;
    if shift + c > 64 && limb + 1 < 4 {
        value |= scalar.0[limb + 1] << (64 - shift);
    }
    value & ((1u64 << c) - 1)
}

/// Signed base-`2^c` digits of `scalar`, lowest first: `scalar = Σ out[w]·2^(wc)`.
pub(crate) fn signed_digits(scalar: &BigInt<4>, c: usize, out: &mut [i32]) {
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (w, digit) in out.iter_mut().enumerate() {
        let raw = window_value(scalar, w * c, c) as i64 + carry;
        carry = i64::from(raw > half);
        *digit = (raw - (carry << c)) as i32;
    }
    debug_assert_eq!(carry, 0, "the top window has a spare bit");
}

/// `Σ_b (b+1)·bucket_b` for one window, the buckets filled from `(digit, base)` pairs.
fn window_sum<P: CycleCurve>(
    bases: &[Affine<P>],
    digits: impl Iterator<Item = i32>,
    c: usize,
) -> Projective<P> {
    let mut buckets = Buckets::<P>::new(1 << (c - 1));
    for (digit, base) in digits.zip(bases) {
        if digit > 0 {
            buckets.add(digit as usize - 1, *base);
        } else if digit < 0 {
            buckets.add((-digit) as usize - 1, -*base);
        }
    }
    buckets.finish();
    buckets.weighted_sums().0
}

/// A window's buckets: affine sums filled in batches, plus projective spill-over.
pub(crate) struct Buckets<P: CycleCurve> {
    affine: Vec<Affine<P>>,
    spill: Vec<Projective<P>>,
    in_batch: Vec<bool>,
    batch: Vec<(usize, Affine<P>)>,
    /// Points that met their bucket in the current batch: retried in the next one.
    retry: Vec<(usize, Affine<P>)>,
    batch_size: usize,
}

impl<P: CycleCurve> Buckets<P> {
    pub(crate) fn new(count: usize) -> Self {
        let batch_size = (count / 4).clamp(4, 1024);
        Self {
            affine: vec![Affine::identity(); count],
            spill: vec![Projective::zero(); count],
            in_batch: vec![false; count],
            batch: Vec::with_capacity(batch_size),
            retry: Vec::new(),
            batch_size,
        }
    }

    /// Adds `point` into bucket `b`.
    pub(crate) fn add(&mut self, b: usize, point: Affine<P>) {
        if point.infinity {
            return;
        }
        if self.in_batch[b] {
            self.retry.push((b, point));
        } else {
            self.place(b, point);
            if self.batch.len() >= self.batch_size {
                self.flush();
            }
        }
    }

    /// Puts `point` into empty bucket `b` or queues its addition (`b` is not in the batch).
    fn place(&mut self, b: usize, point: Affine<P>) {
        if self.affine[b].infinity {
            self.affine[b] = point;
        } else {
            self.in_batch[b] = true;
            self.batch.push((b, point));
        }
    }

    /// Performs the batch, then starts the next one with the points that waited for it; one
    /// that meets its bucket again goes to the spill bucket.
    fn flush(&mut self) {
        self.apply_batch();
        let retry = std::mem::take(&mut self.retry);
        for &(b, point) in &retry {
            if self.in_batch[b] {
                self.spill[b] += &point;
            } else {
                self.place(b, point);
            }
        }
        self.retry = retry;
        self.retry.clear();
    }

    /// Flushes until every added point is in its bucket.
    pub(crate) fn finish(&mut self) {
        while !self.batch.is_empty() || !self.retry.is_empty() {
            self.flush();
        }
    }

    /// `(Σ_b (b+1)·bucket_b, Σ_b bucket_b)` of the finished buckets, by running sums from the
    /// top bucket down.
    pub(crate) fn weighted_sums(&self) -> (Projective<P>, Projective<P>) {
        let mut running = Projective::<P>::zero();
        let mut total = Projective::<P>::zero();
        for (affine, spill) in self.affine.iter().zip(&self.spill).rev() {
            running += affine;
            if !spill.is_zero() {
                running += spill;
            }
            total += running;
        }
        (total, running)
    }

    /// Performs the batched additions with one inversion.
    fn apply_batch(&mut self) {
        // Slope denominators: x₂ − x₁, or 2y₁ to double, or 1 where P + (−P) cancels.
        let mut inverses: Vec<P::Base> = self
            .batch
            .iter()
            .map(|(b, p)| {
                let q = &self.affine[*b];
                if q.x != p.x {
                    p.x - q.x
                } else if q.y == p.y {
                    q.y.double()
                } else {
                    P::Base::ONE
                }
            })
            .collect();
        batch_invert(&mut inverses);
        for ((b, p), inverse) in self.batch.drain(..).zip(inverses) {
            let q = self.affine[b];
            self.in_batch[b] = false;
            let slope = if q.x != p.x {
                (p.y - q.y) * inverse
            } else if q.y == p.y {
                let x2 = q.x.square();
                (x2.double() + x2) * inverse
            } else {
                self.affine[b] = Affine::identity();
                continue;
            };
            let x = slope.square() - q.x - p.x;
            let y = slope * (q.x - x) - q.y;
            self.affine[b] = Affine::new_unchecked(x, y);
        }
    }
}

/// Replaces each (nonzero) element by its inverse, with one field inversion.
fn batch_invert<F: Field>(values: &mut [F]) {
    let mut prefix = Vec::with_capacity(values.len());
    let mut acc = F::ONE;
    for v in values.iter() {
        prefix.push(acc);
        acc *= v;
    }
    let mut inverse = acc.inverse().expect("denominators are nonzero");
    for (v, before) in values.iter_mut().zip(prefix).rev() {
        let next = inverse * *v;
        *v = inverse * before;
        inverse = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_to_curve::derive_generators;
    use ark_ec::VariableBaseMSM;
    use ark_ff::PrimeField;
    use ark_std::{rand::Rng, UniformRand};

    fn agrees_with_arkworks<P: CycleCurve>() {
        let mut rng = ark_std::test_rng();
        let bases = derive_generators::<P>(b"pippenger", 1500);
        for n in [1usize, 2, 5, 31, 32, 100, 1500] {
            let scalars: Vec<BigInt<4>> = (0..n)
                .map(|_| P::Scalar::rand(&mut rng).into_bigint())
                .collect();
            let expected = Projective::<P>::msm_bigint(&bases[..n], &scalars);
            assert_eq!(msm(&bases[..n], &scalars, 254), expected, "n = {n}");
        }
    }

    #[test]
    fn random_scalars_agree_with_arkworks() {
        agrees_with_arkworks::<ark_bn254::g1::Config>();
        agrees_with_arkworks::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn repeated_points_and_digits_double_and_cancel() {
        type P = ark_bn254::g1::Config;
        let mut rng = ark_std::test_rng();
        let g = derive_generators::<P>(b"pippenger", 2);
        // The same base many times, its negation, the identity, and a few repeated scalars: every
        // bucket sees doublings, cancellations and spills.
        let mut bases = Vec::new();
        let mut scalars = Vec::new();
        for i in 0..2000u64 {
            let base = match i % 4 {
                0 | 1 => g[0],
                2 => -g[0],
                _ => {
                    if i % 8 == 3 {
                        Affine::identity()
                    } else {
                        g[1]
                    }
                }
            };
            bases.push(base);
            let s: u64 = [3, 5, 1 << 20, rng.gen::<u64>() % 50][rng.gen_range(0..4)];
            scalars.push(BigInt::from(s));
        }
        let expected = Projective::<P>::msm_bigint(&bases, &scalars);
        assert_eq!(msm(&bases, &scalars, 64), expected);
        assert_eq!(msm(&bases, &scalars, 254), expected);
    }

    #[test]
    fn signed_digits_recompose() {
        let mut rng = ark_std::test_rng();
        for c in [3usize, 8, 13, 16] {
            let scalar = ark_bn254::Fr::rand(&mut rng).into_bigint();
            let windows = 255usize.div_ceil(c);
            let mut digits = vec![0i32; windows];
            signed_digits(&scalar, c, &mut digits);
            let recomposed = digits.iter().rev().fold(ark_bn254::Fr::zero(), |acc, d| {
                acc * ark_bn254::Fr::from(1u64 << c) + ark_bn254::Fr::from(*d as i64)
            });
            assert_eq!(recomposed.into_bigint(), scalar);
            assert!(digits.iter().all(|d| d.unsigned_abs() <= 1 << (c - 1)));
        }
    }
}
