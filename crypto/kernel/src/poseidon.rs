//! The Poseidon permutation over any prime field, with its parameters prepared once.
//!
//! Rounds: R_F/2 full, R_P partial, R_F/2 full. A round adds its t constants, applies x^5 to
//! every element (full) or to element 0 (partial), then multiplies by the MDS matrix M as
//! new[i] = Σ_j M[i][j]·s[j]. Constants and matrix are generated in Python
//! (`crypto/poseidon_params.py`) and handed over once, already in the field's internal form.

use ark_ff::PrimeField;
use rayon::prelude::*;

/// Why a parameter set was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsError {
    /// Counts that do not fit together (constants per round, matrix size, odd R_F, ...).
    Shape(String),
    /// An S-box exponent other than 5, the only one the kernel implements.
    Alpha(u64),
}

/// One Poseidon instance: width t, round numbers, round constants and MDS matrix.
#[derive(Debug, Clone)]
pub struct Poseidon<F: PrimeField> {
    width: usize,
    full_rounds: usize,
    partial_rounds: usize,
    /// (R_F + R_P)·t constants, round after round.
    round_constants: Vec<F>,
    /// t·t entries, row-major.
    mds: Vec<F>,
}

impl<F: PrimeField> Poseidon<F> {
    /// Checks the counts and takes ownership of constants and matrix.
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
        if width < 2 || full_rounds % 2 != 0 {
            return Err(ParamsError::Shape(format!(
                "need width >= 2 and an even number of full rounds, got t={width}, R_F={full_rounds}"
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
        Ok(Self {
            width,
            full_rounds,
            partial_rounds,
            round_constants,
            mds,
        })
    }

    /// The state width t.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Permutes one state of exactly t elements in place.
    pub fn permute(&self, state: &mut [F]) {
        assert_eq!(state.len(), self.width, "Poseidon state of the wrong width");
        let half = self.full_rounds / 2;
        let rounds = self.round_constants.chunks_exact(self.width);
        let mut mixed = vec![F::zero(); self.width];
        for (round, constants) in rounds.enumerate() {
            for (x, c) in state.iter_mut().zip(constants) {
                *x += c;
            }
            if round < half || round >= half + self.partial_rounds {
                state.iter_mut().for_each(|x| *x = pow5(*x));
            } else {
                state[0] = pow5(state[0]);
            }
            for (out, row) in mixed.iter_mut().zip(self.mds.chunks_exact(self.width)) {
                *out = row.iter().zip(state.iter()).map(|(m, x)| *m * x).sum();
            }
            state.copy_from_slice(&mixed);
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

    /// t = 3, R_F = 8, R_P = 57 with simple stand-in parameters: constant k is k + 1 and
    /// M[i][j] = 1 / (i + j + 3) (a Cauchy matrix with x_i = i, y_j = 3 + j).
    fn toy<F: PrimeField>() -> Poseidon<F> {
        let (t, full, partial) = (3usize, 8usize, 57usize);
        let constants = (0..(full + partial) * t)
            .map(|k| F::from(k as u64 + 1))
            .collect();
        let mds = (0..t * t)
            .map(|k| F::from((k / t + k % t + t) as u64).inverse().unwrap())
            .collect();
        Poseidon::new(t, full, partial, 5, constants, mds).unwrap()
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
    fn wrong_counts_are_refused() {
        let good = toy::<Fr>();
        let constants = good.round_constants.clone();
        let mds = good.mds.clone();
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
            Poseidon::new(3, 8, 57, 3, constants, mds).err(),
            Some(ParamsError::Alpha(3))
        );
    }

    #[test]
    #[should_panic(expected = "wrong width")]
    fn a_state_of_the_wrong_width_panics() {
        let mut state = vec![Fr::from(1u64); 4];
        toy::<Fr>().permute(&mut state);
    }
}
