//! Python entry points of the inner-product argument's generator fold, one per curve.

use crate::errors::crypto_error;
use crate::fold;
use crate::group::CycleCurve;
use crate::msm::MsmError;
use crate::py_group::{G1Vec, GrumpkinVec};
use ark_ec::short_weierstrass::Affine;
use pyo3::prelude::*;

/// The fold of `bases` by the scalar with 32-byte little-endian encoding `x`.
fn fold_bases<P: CycleCurve>(
    py: Python<'_>,
    bases: &[Affine<P>],
    x: &[u8],
) -> PyResult<Vec<Affine<P>>> {
    let encoding: [u8; 32] = x.try_into().map_err(|_| {
        crypto_error(
            py,
            "WrongLengthError",
            format!("a fold scalar is 32 bytes, got {}", x.len()),
        )
    })?;
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(encoding.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
    }
    py.allow_threads(|| fold::fold_generators(bases, &limbs))
        .map_err(|err| match err {
            MsmError::NonCanonical(m) => crypto_error(py, "NonCanonicalEncodingError", m),
            MsmError::Shape(m) | MsmError::BadTag(m) => crypto_error(py, "ShapeMismatchError", m),
        })
}

/// `bases[i] + x·bases[i + n/2]` for `i < n/2` on BN254 G1; `x` encodes an Fr element.
#[pyfunction]
fn g1_fold_generators(py: Python<'_>, bases: PyRef<'_, G1Vec>, x: &[u8]) -> PyResult<G1Vec> {
    fold_bases(py, &bases.0, x).map(G1Vec)
}

/// `bases[i] + x·bases[i + n/2]` for `i < n/2` on Grumpkin; `x` encodes an Fq element.
#[pyfunction]
fn grumpkin_fold_generators(
    py: Python<'_>,
    bases: PyRef<'_, GrumpkinVec>,
    x: &[u8],
) -> PyResult<GrumpkinVec> {
    fold_bases(py, &bases.0, x).map(GrumpkinVec)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(g1_fold_generators, m)?)?;
    m.add_function(wrap_pyfunction!(grumpkin_fold_generators, m)?)?;
    Ok(())
}
