//! Python entry points of the inner-product argument's generator fold, one per curve.

use crate::errors::crypto_error;
use crate::fold::{self, Endomorphism};
use crate::py_group::{G1Vec, GrumpkinVec};
use ark_ec::short_weierstrass::Affine;
use pyo3::prelude::*;

/// The fold of `bases` by `x0 + x1·λ` (see `fold`).
fn fold_bases<P: Endomorphism>(
    py: Python<'_>,
    bases: &[Affine<P>],
    x0: u64,
    x1: u64,
) -> PyResult<Vec<Affine<P>>> {
    py.allow_threads(|| fold::fold_generators(bases, x0, x1))
        .map_err(|message| crypto_error(py, "ShapeMismatchError", message))
}

/// `bases[i] + (x0 + x1·λ)·bases[i + n/2]` for `i < n/2` on BN254 G1 (λ of `fold`).
#[pyfunction]
fn g1_fold_generators(
    py: Python<'_>,
    bases: PyRef<'_, G1Vec>,
    x0: u64,
    x1: u64,
) -> PyResult<G1Vec> {
    fold_bases(py, &bases.0, x0, x1).map(G1Vec)
}

/// `bases[i] + (x0 + x1·λ)·bases[i + n/2]` for `i < n/2` on Grumpkin (λ of `fold`).
#[pyfunction]
fn grumpkin_fold_generators(
    py: Python<'_>,
    bases: PyRef<'_, GrumpkinVec>,
    x0: u64,
    x1: u64,
) -> PyResult<GrumpkinVec> {
    fold_bases(py, &bases.0, x0, x1).map(GrumpkinVec)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(g1_fold_generators, m)?)?;
    m.add_function(wrap_pyfunction!(grumpkin_fold_generators, m)?)?;
    Ok(())
}
