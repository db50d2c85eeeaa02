//! The Poseidon permutation over any prime field, with its parameters prepared once.
//!
//! Rounds: R_F/2 full, R_P partial, R_F/2 full. A round adds its t constants, applies x^5 to
//! every element (full) or to element 0 (partial), then multiplies by the MDS matrix M as
//! new[i] = Σ_j M[i][j]·s[j]. Constants and matrix are generated in Python
//! (`crypto/poseidon_params.py`) and handed over once, already in the field's internal form.
//!
//! Partial rounds dominate the cost and touch one element each, so `new` rewrites them into the
//! equivalent form of the Poseidon paper's Appendix B, costing 2t - 1 instead of t² products:
//!
//! * Constants: in a partial round only c_0 must come before the S-box; the rest of the round's
//!   constants (plus what earlier rounds pushed on) is moved through M into the next round,
//!   and after the last partial round into the first closing full round.
//! * Matrices: write M = [[m00, m01ᵀ], [m10, M11]]. Then M = B_k·A_k with A = diag(1, Â)
//!   commuting with a partial round's S-box; pushing each A_k into the round before gives, for
//!   partial round k of R_P (j = R_P - k), the sparse matrix
//!   B_k = [[m00, m01ᵀ·M11^-(j+1)], [M11^j·m10, I]], and the last opening full round
//!   multiplies by diag(1, M11^R_P)·M instead of M. This needs M11 invertible, which holds for
//!   an MDS matrix (every square submatrix is).

use ark_ff::PrimeField;
use rayon::prelude::*;

/// Why a parameter set was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsError {
    /// Counts that do not fit together (constants per round, matrix size, odd R_F, ...).
    Shape(String),
    /// An S-box exponent other than 5, the only one the kernel implements.
    Alpha(u64),
    /// A matrix whose lower-right (t-1)×(t-1) block is singular, so it is not MDS.
    NotMds,
}

/// One Poseidon instance in the fast form described in the module documentation.
#[derive(Debug, Clone)]
pub struct Poseidon<F: PrimeField> {
    width: usize,
    full_rounds: usize,
    /// R_F·t constants of the full rounds, in order; the first closing round's include the
    /// constants moved out of the partial rounds.
    full_constants: Vec<F>,
    /// R_P constants, one per partial round, added to element 0.
    partial_constants: Vec<F>,
    /// t·t entries of M, row-major.
    mds: Vec<F>,
    /// t·t entries of diag(1, M11^R_P)·M, the last opening full round's matrix.
    mds_before_partial: Vec<F>,
    /// Per partial round: the first row of B_k (t entries) ...
    sparse_rows: Vec<F>,
    /// ... and the rest of its first column (t - 1 entries).
    sparse_columns: Vec<F>,
}

impl<F: PrimeField> Poseidon<F> {
    /// Checks the counts and prepares the fast form of constants and matrix.
    pub fn new(
        width: usize,
        full_rounds: usize,
        partial_rounds: usize,
        alpha: u64,
        round_constants: Vec<F>,
        mds: Vec<F>,
    ) -> Result<Self, ParamsError> {
        if alpha != 5 {
            return Err(ParamsError::Alpha(alpha));
        }
        if width < 2 || full_rounds < 2 || !full_rounds.is_multiple_of(2) {
            return Err(ParamsError::Shape(format!(
                "need width >= 2 and an even number (>= 2) of full rounds, \
                 got t={width}, R_F={full_rounds}"
            )));
        }
        let constants = (full_rounds + partial_rounds) * width;
        if round_constants.len() != constants || mds.len() != width * width {
            return Err(ParamsError::Shape(format!(
                "t={width}, R_F={full_rounds}, R_P={partial_rounds} needs {constants} round \
                 constants and {} matrix entries, got {} and {}",
                width * width,
                round_constants.len(),
                mds.len()
            )));
        }
        let t = width;
        let rest = t - 1;
        let m11: Vec<F> = (1..t)
            .flat_map(|i| mds[i * t + 1..(i + 1) * t].to_vec())
            .collect();
        let m11_inverse = invert(&m11, rest).ok_or(ParamsError::NotMds)?;

        // Constants: keep c_0 of each partial round, carry the rest through M.
        let half = full_rounds / 2;
        let rounds: Vec<&[F]> = round_constants.chunks_exact(t).collect();
        let mut carry = vec![F::zero(); t];
        let mut partial_constants = Vec::with_capacity(partial_rounds);
        for constants in &rounds[half..half + partial_rounds] {
            let mut moved: Vec<F> = constants.iter().zip(&carry).map(|(c, d)| *c + d).collect();
            partial_constants.push(moved[0]);
            moved[0] = F::zero();
            carry = mat_vec(&mds, &moved, t);
        }
        let mut full_constants: Vec<F> = rounds[..half].concat();
        let mut closing = rounds[half + partial_rounds..].concat();
        for (c, d) in closing.iter_mut().zip(&carry) {
            *c += d;
        }
        full_constants.extend(closing);

        // Matrices: B_k for k = R_P down to 1, i.e. j = 0, 1, ...
        let m00 = mds[0];
        let mut row: Vec<F> = vec_mat(&mds[1..t], &m11_inverse, rest); // m01ᵀ·M11^-(j+1)
        let mut column: Vec<F> = (1..t).map(|i| mds[i * t]).collect(); // M11^j·m10
        let mut sparse_rows = vec![F::zero(); partial_rounds * t];
        let mut sparse_columns = vec![F::zero(); partial_rounds * rest];
        for k in (0..partial_rounds).rev() {
            sparse_rows[k * t] = m00;
            sparse_rows[k * t + 1..(k + 1) * t].copy_from_slice(&row);
            sparse_columns[k * rest..(k + 1) * rest].copy_from_slice(&column);
            row = vec_mat(&row, &m11_inverse, rest);
            column = mat_vec(&m11, &column, rest);
        }
        let mut mds_before_partial = mds.clone();
        for _ in 0..partial_rounds {
            for c in 0..t {
                let lower: Vec<F> = (1..t).map(|i| mds_before_partial[i * t + c]).collect();
                for (i, x) in mat_vec(&m11, &lower, rest).into_iter().enumerate() {
                    mds_before_partial[(i + 1) * t + c] = x;
                }
            }
        }
        Ok(Self {
            width,
            full_rounds,
            full_constants,
            partial_constants,
            mds,
            mds_before_partial,
            sparse_rows,
            sparse_columns,
        })
    }

    /// The state width t.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Permutes one state of exactly t elements in place.
    pub fn permute(&self, state: &mut [F]) {
        self.permute_with(state, &mut pow5);
    }

    /// Permutes `state` in place and returns x², x⁴ and x⁵ of every S-box input x, in round
    /// order (t per full round, one per partial round): the values a circuit computing the
    /// permutation holds in its witness. The fast form feeds every S-box the same input as the
    /// plain rounds do (it only moves linear maps that leave element 0 of a partial round
    /// alone), so these are the plain permutation's.
    pub fn sbox_powers(&self, state: &mut [F]) -> Vec<F> {
        let sboxes = self.full_rounds * self.width + self.partial_constants.len();
        let mut powers = Vec::with_capacity(3 * sboxes);
        self.permute_with(state, &mut |x: F| {
            let x2 = x.square();
            let x4 = x2.square();
            let x5 = x4 * x;
            powers.extend([x2, x4, x5]);
            x5
        });
        powers
    }

    /// The rounds, with `sbox` computing x^5 (and seeing every S-box input in round order).
    fn permute_with(&self, state: &mut [F], sbox: &mut impl FnMut(F) -> F) {
        assert_eq!(state.len(), self.width, "Poseidon state of the wrong width");
        let t = self.width;
        let half = self.full_rounds / 2;
        let mut mixed = vec![F::zero(); t];
        for (round, constants) in self.full_constants.chunks_exact(t).enumerate() {
            for (x, c) in state.iter_mut().zip(constants) {
                *x = sbox(*x + c);
            }
            let matrix = if round == half - 1 {
                &self.mds_before_partial
            } else {
                &self.mds
            };
            for (out, row) in mixed.iter_mut().zip(matrix.chunks_exact(t)) {
                *out = row.iter().zip(state.iter()).map(|(m, x)| *m * x).sum();
            }
            state.copy_from_slice(&mixed);
            if round == half - 1 {
                self.partial_rounds(state, sbox);
            }
        }
    }

    fn partial_rounds(&self, state: &mut [F], sbox: &mut impl FnMut(F) -> F) {
        let t = self.width;
        let rows = self.sparse_rows.chunks_exact(t);
        let columns = self.sparse_columns.chunks_exact(t - 1);
        for ((c, row), column) in self.partial_constants.iter().zip(rows).zip(columns) {
            let s0 = sbox(state[0] + c);
            let first = row[1..]
                .iter()
                .zip(&state[1..])
                .map(|(m, x)| *m * x)
                .sum::<F>()
                + row[0] * s0;
            for (x, v) in state[1..].iter_mut().zip(column) {
                *x += *v * s0;
            }
            state[0] = first;
        }
    }

    /// Permutes consecutive states of t elements each, in parallel.
    pub fn permute_many(&self, states: &mut [F]) {
        assert_eq!(
            states.len() % self.width,
            0,
            "Poseidon states of the wrong width"
        );
        states
            .par_chunks_mut(self.width)
            .for_each(|state| self.permute(state));
    }
}

fn pow5<F: PrimeField>(x: F) -> F {
    let x2 = x.square();
    x2.square() * x
}

/// m·v for an n×n row-major m.
fn mat_vec<F: PrimeField>(m: &[F], v: &[F], n: usize) -> Vec<F> {
    m.chunks_exact(n)
        .map(|row| row.iter().zip(v).map(|(a, b)| *a * b).sum())
        .collect()
}

/// vᵀ·m for an n×n row-major m.
fn vec_mat<F: PrimeField>(v: &[F], m: &[F], n: usize) -> Vec<F> {
    (0..n)
        .map(|c| v.iter().enumerate().map(|(r, x)| *x * m[r * n + c]).sum())
        .collect()
}

/// The inverse of an n×n row-major matrix by Gauss-Jordan elimination; None if singular.
fn invert<F: PrimeField>(m: &[F], n: usize) -> Option<Vec<F>> {
    let mut a = m.to_vec();
    let mut inverse: Vec<F> = (0..n * n)
        .map(|k| if k / n == k % n { F::one() } else { F::zero() })
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !a[r * n + col].is_zero())?;
        for k in 0..n {
            a.swap(col * n + k, pivot * n + k);
            inverse.swap(col * n + k, pivot * n + k);
        }
        let scale = a[col * n + col].inverse()?;
        for k in 0..n {
            a[col * n + k] *= scale;
            inverse[col * n + k] *= scale;
        }
        for r in (0..n).filter(|&r| r != col) {
            let factor = a[r * n + col];
            if factor.is_zero() {
                continue;
            }
            for k in 0..n {
                let (x, y) = (a[col * n + k], inverse[col * n + k]);
                a[r * n + k] -= factor * x;
                inverse[r * n + k] -= factor * y;
            }
        }
    }
    Some(inverse)
}

#[cfg(feature = "python")]
pub use py::register;

#[cfg(feature = "python")]
mod py {
    //! `FrPoseidon` / `FqPoseidon`: a parameter set held in Montgomery form, permuting numpy
    //! states in the canonical (n, 4) limb layout.

    use super::{ParamsError, Poseidon};
    use crate::errors::crypto_error;
    use ark_ff::{BigInt, PrimeField};
    use numpy::ndarray::{Array2, Array3};
    use numpy::{IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2, PyReadonlyArray3};
    use pyo3::prelude::*;

    /// Field elements from canonical rows of 4 little-endian limbs; None names the first bad row.
    fn from_limbs<F: PrimeField<BigInt = BigInt<4>>>(
        limbs: impl Iterator<Item = u64>,
    ) -> Result<Vec<F>, usize> {
        let limbs: Vec<u64> = limbs.collect();
        limbs
            .chunks_exact(4)
            .enumerate()
            .map(|(row, l)| F::from_bigint(BigInt([l[0], l[1], l[2], l[3]])).ok_or(row))
            .collect()
    }

    fn to_limbs<F: PrimeField<BigInt = BigInt<4>>>(elements: &[F]) -> Vec<u64> {
        elements.iter().flat_map(|x| x.into_bigint().0).collect()
    }

    fn read<F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'_>,
        what: &str,
        limbs: impl Iterator<Item = u64>,
    ) -> PyResult<Vec<F>> {
        from_limbs(limbs).map_err(|row| {
            crypto_error(
                py,
                "NonCanonicalEncodingError",
                format!("{what}: element {row} is not below the field modulus"),
            )
        })
    }

    fn field_vector<F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'_>,
        what: &str,
        array: &PyReadonlyArray2<'_, u64>,
        rows: usize,
    ) -> PyResult<Vec<F>> {
        let view = array.as_array();
        if view.dim() != (rows, 4) {
            return Err(crypto_error(
                py,
                "ShapeMismatchError",
                format!("{what} must have shape ({rows}, 4), got {:?}", view.shape()),
            ));
        }
        read(py, what, view.iter().copied())
    }

    fn build<F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'_>,
        width: usize,
        full_rounds: usize,
        partial_rounds: usize,
        alpha: u64,
        round_constants: PyReadonlyArray2<'_, u64>,
        mds: PyReadonlyArray2<'_, u64>,
    ) -> PyResult<Poseidon<F>> {
        let count = (full_rounds + partial_rounds) * width;
        let constants = field_vector(py, "round constants", &round_constants, count)?;
        let matrix = field_vector(py, "MDS matrix", &mds, width * width)?;
        Poseidon::new(width, full_rounds, partial_rounds, alpha, constants, matrix).map_err(|e| {
            match e {
                ParamsError::Shape(message) => crypto_error(py, "ShapeMismatchError", message),
                ParamsError::NotMds => crypto_error(
                    py,
                    "UnsupportedParameterError",
                    "the MDS matrix's lower-right (t-1)x(t-1) block is singular: not an MDS matrix",
                ),
                ParamsError::Alpha(alpha) => crypto_error(
                    py,
                    "UnsupportedParameterError",
                    format!("the kernel implements the S-box x^5 only, got alpha={alpha}"),
                ),
            }
        })
    }

    fn permute_one<'py, F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'py>,
        poseidon: &Poseidon<F>,
        state: PyReadonlyArray2<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray2<u64>>> {
        let width = poseidon.width();
        let mut elements = field_vector(py, "Poseidon state", &state, width)?;
        poseidon.permute(&mut elements);
        let out = Array2::from_shape_vec((width, 4), to_limbs(&elements)).expect("t x 4 limbs");
        Ok(out.into_pyarray(py))
    }

    fn sbox_powers_of<'py, F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'py>,
        poseidon: &Poseidon<F>,
        state: PyReadonlyArray2<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray2<u64>>> {
        let mut elements = field_vector(py, "Poseidon state", &state, poseidon.width())?;
        let powers = poseidon.sbox_powers(&mut elements);
        let out = Array2::from_shape_vec((powers.len(), 4), to_limbs(&powers)).expect("n x 4");
        Ok(out.into_pyarray(py))
    }

    fn permute_batch<'py, F: PrimeField<BigInt = BigInt<4>>>(
        py: Python<'py>,
        poseidon: &Poseidon<F>,
        states: PyReadonlyArray3<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray3<u64>>> {
        let width = poseidon.width();
        let view = states.as_array();
        let (count, t, limbs) = view.dim();
        if t != width || limbs != 4 {
            return Err(crypto_error(
                py,
                "ShapeMismatchError",
                format!(
                    "Poseidon states must have shape (m, {width}, 4), got {:?}",
                    view.shape()
                ),
            ));
        }
        let mut elements = read(py, "Poseidon states", view.iter().copied())?;
        let limbs = py.allow_threads(|| {
            poseidon.permute_many(&mut elements);
            to_limbs(&elements)
        });
        let out = Array3::from_shape_vec((count, width, 4), limbs).expect("m x t x 4 limbs");
        Ok(out.into_pyarray(py))
    }

    macro_rules! poseidon_class {
        ($name:ident, $field:ty, $doc:literal) => {
            #[doc = $doc]
            #[pyclass(frozen, module = "crypto._kernel")]
            pub struct $name {
                inner: Poseidon<$field>,
            }

            #[pymethods]
            impl $name {
                #[new]
                fn new(
                    py: Python<'_>,
                    width: usize,
                    full_rounds: usize,
                    partial_rounds: usize,
                    alpha: u64,
                    round_constants: PyReadonlyArray2<'_, u64>,
                    mds: PyReadonlyArray2<'_, u64>,
                ) -> PyResult<Self> {
                    let inner = build(
                        py,
                        width,
                        full_rounds,
                        partial_rounds,
                        alpha,
                        round_constants,
                        mds,
                    )?;
                    Ok(Self { inner })
                }

                /// The state width t.
                #[getter]
                fn width(&self) -> usize {
                    self.inner.width()
                }

                /// The permutation of one state, shape (t, 4).
                fn permute<'py>(
                    &self,
                    py: Python<'py>,
                    state: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyArray2<u64>>> {
                    permute_one(py, &self.inner, state)
                }

                /// x², x⁴, x⁵ of every S-box input of the permutation of one state (t, 4), in
                /// round order: shape (3·(R_F·t + R_P), 4).
                fn sbox_powers<'py>(
                    &self,
                    py: Python<'py>,
                    state: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyArray2<u64>>> {
                    sbox_powers_of(py, &self.inner, state)
                }

                /// The permutation of each of m states, shape (m, t, 4), in parallel.
                fn permute_many<'py>(
                    &self,
                    py: Python<'py>,
                    states: PyReadonlyArray3<'py, u64>,
                ) -> PyResult<Bound<'py, PyArray3<u64>>> {
                    permute_batch(py, &self.inner, states)
                }
            }
        };
    }

    poseidon_class!(
        FrPoseidon,
        ark_bn254::Fr,
        "Poseidon over Fr (BN254 scalar field): FrPoseidon(t, R_F, R_P, alpha, constants, mds)."
    );
    poseidon_class!(
        FqPoseidon,
        ark_bn254::Fq,
        "Poseidon over Fq (BN254 base field): FqPoseidon(t, R_F, R_P, alpha, constants, mds)."
    );

    /// Adds the Poseidon classes to the kernel module.
    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_class::<FrPoseidon>()?;
        m.add_class::<FqPoseidon>()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr};
    use std::str::FromStr;

    /// Stand-in parameters: constant k is k + 1 and M[i][j] = 1 / (i + j + t) (a Cauchy
    /// matrix with x_i = i, y_j = t + j).
    fn toy_parts<F: PrimeField>(t: usize, full: usize, partial: usize) -> (Vec<F>, Vec<F>) {
        let constants = (0..(full + partial) * t)
            .map(|k| F::from(k as u64 + 1))
            .collect();
        let mds = (0..t * t)
            .map(|k| F::from((k / t + k % t + t) as u64).inverse().unwrap())
            .collect();
        (constants, mds)
    }

    /// t = 3, R_F = 8, R_P = 57 with the stand-in parameters.
    fn toy<F: PrimeField>() -> Poseidon<F> {
        let (constants, mds) = toy_parts(3, 8, 57);
        Poseidon::new(3, 8, 57, 5, constants, mds).unwrap()
    }

    /// The permutation straight from its definition, without the partial-round rewriting.
    fn plain_permute<F: PrimeField>(
        state: &mut [F],
        full: usize,
        partial: usize,
        constants: &[F],
        mds: &[F],
    ) {
        let t = state.len();
        for (round, c) in constants.chunks_exact(t).enumerate() {
            for (x, k) in state.iter_mut().zip(c) {
                *x += k;
            }
            if round < full / 2 || round >= full / 2 + partial {
                state.iter_mut().for_each(|x| *x = pow5(*x));
            } else {
                state[0] = pow5(state[0]);
            }
            let mixed = mat_vec(mds, state, t);
            state.copy_from_slice(&mixed);
        }
    }

    fn elements<F: PrimeField + FromStr>(decimals: &[&str]) -> Vec<F> {
        decimals
            .iter()
            .map(|d| F::from_str(d).ok().unwrap())
            .collect()
    }

    // Expected outputs computed by the pure-Python reference (crypto/reference/poseidon.py)
    // on the same stand-in parameters, for the state [0, 1, 2].
    const FR_TOY_0_1_2: [&str; 3] = [
        "21419581397677483229926778496586050420719020675434996185920737287585733199060",
        "6210368236344806186818294861934484018770650323973293359349385888994537636394",
        "9023119628502964745058324181609466891469193877177509593931922210554775198771",
    ];
    const FQ_TOY_0_1_2: [&str; 3] = [
        "6499818765428109383234377767541703927936541914628920111026462477606137035898",
        "11155670653473211389168260982837069094058986660579158800652547705440117112914",
        "2730978116683535146946976287131442679158629955596098116188252452234070456009",
    ];

    #[test]
    fn permutation_matches_the_python_reference_on_fr() {
        let mut state: Vec<Fr> = elements(&["0", "1", "2"]);
        toy::<Fr>().permute(&mut state);
        assert_eq!(state, elements::<Fr>(&FR_TOY_0_1_2));
    }

    #[test]
    fn permutation_matches_the_python_reference_on_fq() {
        let mut state: Vec<Fq> = elements(&["0", "1", "2"]);
        toy::<Fq>().permute(&mut state);
        assert_eq!(state, elements::<Fq>(&FQ_TOY_0_1_2));
    }

    #[test]
    fn batch_equals_one_by_one() {
        let poseidon = toy::<Fr>();
        let mut batch: Vec<Fr> = (0..3 * 17).map(|k| Fr::from(k as u64 * 7919)).collect();
        let mut single = batch.clone();
        poseidon.permute_many(&mut batch);
        single
            .chunks_mut(3)
            .for_each(|state| poseidon.permute(state));
        assert_eq!(batch, single);
    }

    #[test]
    fn sbox_powers_are_the_plain_rounds_inputs_powers() {
        for (t, full, partial) in [(3, 8, 57), (5, 8, 60), (4, 2, 0)] {
            let (constants, mds) = toy_parts::<Fr>(t, full, partial);
            let poseidon = Poseidon::new(t, full, partial, 5, constants.clone(), mds.clone());
            let poseidon = poseidon.unwrap();
            let start: Vec<Fr> = (0..t as u64).map(|i| Fr::from(7 * i + 3)).collect();
            // The plain rounds, recording each S-box input's powers.
            let mut expected = Vec::new();
            let mut plain = start.clone();
            for (round, c) in constants.chunks_exact(t).enumerate() {
                for (x, k) in plain.iter_mut().zip(c) {
                    *x += k;
                }
                let boxes = if round < full / 2 || round >= full / 2 + partial {
                    t
                } else {
                    1
                };
                for x in plain.iter_mut().take(boxes) {
                    let (x2, x4) = (*x * *x, *x * *x * *x * *x);
                    expected.extend([x2, x4, x4 * *x]);
                    *x = x4 * *x;
                }
                let mixed = mat_vec(&mds, &plain, t);
                plain.copy_from_slice(&mixed);
            }
            let mut traced = start;
            assert_eq!(poseidon.sbox_powers(&mut traced), expected, "t={t}");
            assert_eq!(traced, plain, "t={t}: the state is permuted too");
        }
    }

    #[test]
    fn fast_form_equals_the_plain_definition() {
        for (t, full, partial) in [(2, 8, 56), (3, 8, 57), (5, 8, 60), (9, 4, 3), (4, 2, 0)] {
            let (constants, mds) = toy_parts::<Fq>(t, full, partial);
            let poseidon = Poseidon::new(t, full, partial, 5, constants.clone(), mds.clone());
            let poseidon = poseidon.unwrap();
            for seed in 0..4u64 {
                let start: Vec<Fq> = (0..t as u64).map(|i| Fq::from(seed * 1000 + i)).collect();
                let (mut fast, mut plain) = (start.clone(), start);
                poseidon.permute(&mut fast);
                plain_permute(&mut plain, full, partial, &constants, &mds);
                assert_eq!(fast, plain, "t={t} R_F={full} R_P={partial}");
            }
        }
    }

    #[test]
    fn inverse_times_matrix_is_identity() {
        let (_, m) = toy_parts::<Fr>(4, 2, 0);
        let inverse = invert(&m, 4).unwrap();
        for r in 0..4 {
            for c in 0..4 {
                let entry: Fr = (0..4).map(|k| m[r * 4 + k] * inverse[k * 4 + c]).sum();
                assert_eq!(
                    entry,
                    if r == c {
                        Fr::from(1u64)
                    } else {
                        Fr::from(0u64)
                    }
                );
            }
        }
        assert!(invert(
            &[
                Fr::from(1u64),
                Fr::from(2u64),
                Fr::from(2u64),
                Fr::from(4u64)
            ],
            2
        )
        .is_none());
    }

    #[test]
    fn wrong_counts_are_refused() {
        let (constants, mds) = toy_parts::<Fr>(3, 8, 57);
        let short = constants[1..].to_vec();
        assert!(matches!(
            Poseidon::new(3, 8, 57, 5, short, mds.clone()),
            Err(ParamsError::Shape(_))
        ));
        assert!(matches!(
            Poseidon::new(3, 7, 58, 5, constants.clone(), mds.clone()),
            Err(ParamsError::Shape(_))
        ));
        assert!(matches!(
            Poseidon::new(3, 8, 57, 5, constants.clone(), mds[1..].to_vec()),
            Err(ParamsError::Shape(_))
        ));
        assert_eq!(
            Poseidon::new(3, 8, 57, 3, constants.clone(), mds).err(),
            Some(ParamsError::Alpha(3))
        );
        let singular = vec![Fr::from(1u64); 9];
        assert_eq!(
            Poseidon::new(3, 8, 57, 5, constants, singular).err(),
            Some(ParamsError::NotMds)
        );
    }

    #[test]
    #[should_panic(expected = "wrong width")]
    fn a_state_of_the_wrong_width_panics() {
        let mut state = vec![Fr::from(1u64); 4];
        toy::<Fr>().permute(&mut state);
    }
}
