//! Fixed-base MSM: Pippenger over bases whose shifted multiples were computed once.
//!
//! A commitment key's generators never change, so each base `Gᵢ` can be stored with its multiples
//! `2^(c·j)·Gᵢ` for every window `j`. Then `Σ sᵢ·Gᵢ = Σᵢ Σⱼ dᵢⱼ·(2^(c·j)·Gᵢ)` for the signed
//! digits `dᵢⱼ` of `sᵢ`: every window adds into the *same* `2^(c−1)` buckets, so the per-window
//! bucket reductions and the `c` doublings between windows of plain Pippenger disappear, and the
//! one reduction left is cheap enough to afford wider windows (fewer bucket additions).
//!
//! The table is window-major (`table[j·len + i] = 2^(c·j)·Gᵢ`), so its first `len` entries are
//! the bases themselves, and any prefix of the bases uses the same table. Work is split between
//! threads by bucket range: each task scans all digits and adds only those in its range, then
//! weights its buckets by their offset, so no task needs a second set of buckets.
//!
//! The table is computed here from the bases, never read from outside: a wrong multiple would
//! silently change every commitment.

use crate::group::CycleCurve;
use crate::pippenger::{self, Buckets};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{AdditiveGroup, BigInt, PrimeField, Zero};
use rayon::prelude::*;

/// Narrowest and widest window of a table.
const MIN_WINDOW_BITS: usize = 4;
const MAX_WINDOW_BITS: usize = 18;

/// Relative cost of one bucket in the final reduction (a mixed and a full projective addition)
/// against one batch-affine bucket addition.
const REDUCTION_COST: usize = 4;

/// Signed windows of `c` bits covering scalars below `2^num_bits` (one spare bit for the carry).
fn windows_for(num_bits: usize, c: usize) -> usize {
    (num_bits + 1).div_ceil(c)
}

/// Estimated cost, in bucket additions, of a fixed-base MSM of `m` terms.
fn table_cost(m: usize, num_bits: usize, c: usize) -> usize {
    m * windows_for(num_bits, c) + (REDUCTION_COST << (c - 1))
}

/// Estimated cost, in bucket additions, of plain Pippenger over `m` terms (`pippenger::msm`).
fn plain_cost(m: usize, num_bits: usize) -> usize {
    let c = pippenger::window_bits(m);
    windows_for(num_bits, c) * (m + (REDUCTION_COST << (c - 1)))
}

/// The window width that makes a full-width MSM over all `len` bases cheapest (the narrower of
/// two equal ones: fewer buckets stay in cache).
fn table_window_bits<P: CycleCurve>(len: usize) -> usize {
    let bits = P::Scalar::MODULUS_BIT_SIZE as usize;
    (MIN_WINDOW_BITS..=MAX_WINDOW_BITS)
        .min_by_key(|&c| (table_cost(len, bits, c), c))
        .expect("the range of widths is not empty")
}

/// The bases of a fixed-base MSM and their precomputed window multiples.
pub struct FixedBases<P: CycleCurve> {
    /// `table[j·len + i] = 2^(c·j)·bases[i]`.
    table: Vec<Affine<P>>,
    len: usize,
    window_bits: usize,
}

impl<P: CycleCurve> FixedBases<P> {
    /// The table of `bases`: `c` doublings of each point per window, one batch normalisation per
    /// window.
    pub fn new(bases: &[Affine<P>]) -> Self {
        let len = bases.len();
        let c = table_window_bits::<P>(len);
        let windows = windows_for(P::Scalar::MODULUS_BIT_SIZE as usize, c);
        let mut table = Vec::with_capacity(len * windows);
        table.extend_from_slice(bases);
        for j in 1..windows {
            let shifted: Vec<Projective<P>> = table[(j - 1) * len..j * len]
                .par_iter()
                .map(|point| {
                    let mut multiple = point.into_group();
                    for _ in 0..c {
                        multiple.double_in_place();
                    }
                    multiple
                })
                .collect();
            table.extend(Projective::normalize_batch(&shifted));
        }
        Self {
            table,
            len,
            window_bits: c,
        }
    }

    /// The bases (the table's first window).
    pub fn bases(&self) -> &[Affine<P>] {
        &self.table[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the table.
    pub fn table_bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<Affine<P>>()
    }

    /// Whether `m` terms below `2^num_bits` are cheaper through the table than by plain
    /// Pippenger.
    pub fn pays(&self, m: usize, num_bits: usize) -> bool {
        num_bits > 0 && table_cost(m, num_bits, self.window_bits) < plain_cost(m, num_bits)
    }

    /// `Σₖ scalars[k]·bases[index(k)]` through the table, for scalars below `2^num_bits`.
    pub fn msm_at(
        &self,
        index: impl Fn(usize) -> usize + Sync,
        scalars: &[BigInt<4>],
        num_bits: usize,
    ) -> Projective<P> {
        let c = self.window_bits;
        let windows = windows_for(num_bits, c);
        assert!(
            num_bits <= P::Scalar::MODULUS_BIT_SIZE as usize,
            "the table covers scalars of the scalar field"
        );
        if scalars.is_empty() || num_bits == 0 {
            return Projective::zero();
        }
        let mut digits = vec![0i32; scalars.len() * windows];
        digits
            .par_chunks_mut(windows)
            .zip(scalars.par_iter())
            .for_each(|(out, scalar)| pippenger::signed_digits(scalar, c, out));
        let buckets = 1usize << (c - 1);
        // One bucket range per thread: every task streams the whole digit list and the table,
        // so more tasks than threads would only multiply that traffic.
        let tasks = rayon::current_num_threads().clamp(1, buckets);
        let step = buckets.div_ceil(tasks);
        (0..buckets)
            .step_by(step)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|low| self.range_sum(&index, &digits, windows, low, (low + step).min(buckets)))
            .reduce(Projective::zero, |a, b| a + b)
    }

    /// The part of the MSM whose digits have magnitude in `low + 1 ..= high`.
    fn range_sum(
        &self,
        index: &impl Fn(usize) -> usize,
        digits: &[i32],
        windows: usize,
        low: usize,
        high: usize,
    ) -> Projective<P> {
        let mut buckets = Buckets::<P>::new(high - low);
        for (k, scalar_digits) in digits.chunks_exact(windows).enumerate() {
            let i = index(k);
            for (j, &digit) in scalar_digits.iter().enumerate() {
                let magnitude = digit.unsigned_abs() as usize;
                if magnitude <= low || magnitude > high {
                    continue;
                }
                let point = self.table[j * self.len + i];
                let point = if digit > 0 { point } else { -point };
                buckets.add(magnitude - 1 - low, point);
            }
        }
        buckets.finish();
        let (weighted, sum) = buckets.weighted_sums();
        weighted + sum.mul_bigint([low as u64])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_to_curve::derive_generators;
    use ark_ec::VariableBaseMSM;
    use ark_std::UniformRand;

    fn agrees_with_arkworks<P: CycleCurve>() {
        let mut rng = ark_std::test_rng();
        let bases = derive_generators::<P>(b"fixed-base", 700);
        let table = FixedBases::new(&bases);
        assert_eq!(table.bases(), &bases[..]);
        let minus_one = (-P::Scalar::from(1u64)).into_bigint();
        for n in [0usize, 1, 2, 7, 64, 333, 700] {
            let mut scalars: Vec<BigInt<4>> = (0..n)
                .map(|_| P::Scalar::rand(&mut rng).into_bigint())
                .collect();
            let expected = Projective::<P>::msm_bigint(&bases[..n], &scalars);
            assert_eq!(table.msm_at(|k| k, &scalars, 254), expected, "n = {n}");
            // Edge scalars: zero, one, p − 1, and a run of one repeated value.
            for (k, s) in scalars.iter_mut().enumerate() {
                *s = match k % 5 {
                    0 => BigInt::zero(),
                    1 => BigInt::from(1u64),
                    2 => minus_one,
                    3 => BigInt::from(0xffff_ffffu64),
                    _ => *s,
                };
            }
            let expected = Projective::<P>::msm_bigint(&bases[..n], &scalars);
            assert_eq!(
                table.msm_at(|k| k, &scalars, 254),
                expected,
                "edges, n = {n}"
            );
        }
    }

    #[test]
    fn table_msm_agrees_with_arkworks() {
        agrees_with_arkworks::<ark_bn254::g1::Config>();
        agrees_with_arkworks::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn repeated_points_indices_and_narrow_scalars() {
        type P = ark_grumpkin::GrumpkinConfig;
        let g = derive_generators::<P>(b"fixed-base", 3);
        // The same point, its negation and the identity as bases: buckets double and cancel.
        let bases = vec![g[0], g[0], -g[0], Affine::identity(), g[1], g[2]];
        let table = FixedBases::new(&bases);
        let indices = [0usize, 1, 2, 3, 0, 5, 1, 4, 4, 2];
        let scalars: Vec<BigInt<4>> = [3u64, 3, 3, 9, 1 << 40, 7, 7, 12345, 12345, 1]
            .iter()
            .map(|s| BigInt::from(*s))
            .collect();
        let picked: Vec<Affine<P>> = indices.iter().map(|&i| bases[i]).collect();
        let expected = Projective::<P>::msm_bigint(&picked, &scalars);
        assert_eq!(table.msm_at(|k| indices[k], &scalars, 41), expected);
        assert_eq!(table.msm_at(|k| indices[k], &scalars, 254), expected);
    }

    #[test]
    fn empty_table() {
        type P = ark_bn254::g1::Config;
        let table = FixedBases::<P>::new(&[]);
        assert!(table.is_empty());
        assert_eq!(table.msm_at(|k| k, &[], 254), Projective::zero());
    }

    #[test]
    fn table_pays_only_for_long_vectors() {
        type P = ark_bn254::g1::Config;
        let table = FixedBases::<P>::new(&derive_generators::<P>(b"fixed-base", 1 << 12));
        assert!(!table.pays(16, 254));
        assert!(table.pays(1 << 12, 254));
    }
}
