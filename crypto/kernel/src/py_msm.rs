//! Python entry points of the MSM: dense and compact scalar vectors, fixed-base tables, and a
//! Rust-only timer.

use crate::errors::crypto_error;
use crate::fixed_base::FixedBases;
use crate::group::CycleCurve;
use crate::msm::{self, MsmError};
use crate::py_group::{G1Point, G1Vec, GrumpkinPoint, GrumpkinVec};
use ark_ec::short_weierstrass::{Affine, Projective};
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::borrow::Cow;

fn msm_error(py: Python<'_>, err: MsmError) -> PyErr {
    match err {
        MsmError::Shape(m) => crypto_error(py, "ShapeMismatchError", m),
        MsmError::NonCanonical(m) => crypto_error(py, "NonCanonicalEncodingError", m),
        MsmError::BadTag(m) => crypto_error(py, "EncodingError", m),
    }
}

/// The limbs of a `(k, 4)` scalar array, row after row (copied only if not C-contiguous).
fn limb_rows<'a>(
    py: Python<'_>,
    array: &'a PyReadonlyArray2<'_, u64>,
    what: &str,
) -> PyResult<Cow<'a, [u64]>> {
    let shape = array.shape();
    if shape[1] != 4 {
        return Err(crypto_error(
            py,
            "ShapeMismatchError",
            format!(
                "{what} must have shape (n, 4), got ({}, {})",
                shape[0], shape[1]
            ),
        ));
    }
    Ok(match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    })
}

/// The dense MSM behind `g1_msm`, `grumpkin_msm` and the vectors' `msm`.
pub fn dense<P: CycleCurve>(
    py: Python<'_>,
    bases: &[Affine<P>],
    scalars: PyReadonlyArray2<'_, u64>,
) -> PyResult<Projective<P>> {
    let limbs = limb_rows(py, &scalars, "scalars")?;
    py.allow_threads(|| msm::msm_limbs(bases, &limbs))
        .map_err(|e| msm_error(py, e))
}

/// The compact MSM behind `*_msm_compact` and the vectors' `msm_compact`.
pub fn compact<P: CycleCurve>(
    py: Python<'_>,
    bases: &[Affine<P>],
    tags: PyReadonlyArray1<'_, u8>,
    others: PyReadonlyArray2<'_, u64>,
) -> PyResult<Projective<P>> {
    let limbs = limb_rows(py, &others, "others")?;
    let tags = tag_bytes(&tags);
    py.allow_threads(|| msm::msm_compact(bases, &tags, &limbs))
        .map_err(|e| msm_error(py, e))
}

fn tag_bytes<'a>(tags: &'a PyReadonlyArray1<'_, u8>) -> Cow<'a, [u8]> {
    match tags.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(tags.as_array().to_vec()),
    }
}

macro_rules! fixed_bases_class {
    ($config:ty, $class:ident, $vec:ident, $point:ident) => {
        /// Bases with their precomputed window multiples: MSMs over any prefix of them without
        /// per-window doublings or bucket reductions (see `fixed_base`).
        #[pyclass(module = "crypto._kernel", frozen)]
        pub struct $class(FixedBases<$config>);

        #[pymethods]
        impl $class {
            /// The table of `bases`, computed from them (never read from outside).
            #[new]
            fn new(py: Python<'_>, bases: PyRef<'_, $vec>) -> Self {
                let bases = &bases.0;
                Self(py.allow_threads(|| FixedBases::new(bases)))
            }

            fn __len__(&self) -> usize {
                self.0.len()
            }

            /// Bytes held by the table.
            #[getter]
            fn table_bytes(&self) -> usize {
                self.0.table_bytes()
            }

            /// `Σ scalars[i]·bases[i]` over the first `len(scalars)` bases.
            fn msm(&self, py: Python<'_>, scalars: PyReadonlyArray2<'_, u64>) -> PyResult<$point> {
                let limbs = limb_rows(py, &scalars, "scalars")?;
                py.allow_threads(|| msm::msm_limbs_fixed(&self.0, &limbs))
                    .map($point)
                    .map_err(|e| msm_error(py, e))
            }

            /// `Σ vᵢ·bases[i]` for the compact vector `v` over the first `len(tags)` bases.
            fn msm_compact(
                &self,
                py: Python<'_>,
                tags: PyReadonlyArray1<'_, u8>,
                others: PyReadonlyArray2<'_, u64>,
            ) -> PyResult<$point> {
                let limbs = limb_rows(py, &others, "others")?;
                let tags = tag_bytes(&tags);
                py.allow_threads(|| msm::msm_compact_fixed(&self.0, &tags, &limbs))
                    .map($point)
                    .map_err(|e| msm_error(py, e))
            }

            fn __repr__(&self) -> String {
                format!("<{} of {} bases>", stringify!($class), self.0.len())
            }
        }
    };
}

fixed_bases_class!(ark_bn254::g1::Config, G1FixedBases, G1Vec, G1Point);
fixed_bases_class!(
    ark_grumpkin::GrumpkinConfig,
    GrumpkinFixedBases,
    GrumpkinVec,
    GrumpkinPoint
);

/// `Σ scalars[i]·bases[i]`; `scalars` is a canonical `(n, 4)` uint64 array of BN254 Fr.
#[pyfunction]
fn g1_msm(
    py: Python<'_>,
    bases: PyRef<'_, G1Vec>,
    scalars: PyReadonlyArray2<'_, u64>,
) -> PyResult<G1Point> {
    dense(py, &bases.0, scalars).map(G1Point)
}

/// `Σ scalars[i]·bases[i]`; `scalars` is a canonical `(n, 4)` uint64 array of BN254 Fq.
#[pyfunction]
fn grumpkin_msm(
    py: Python<'_>,
    bases: PyRef<'_, GrumpkinVec>,
    scalars: PyReadonlyArray2<'_, u64>,
) -> PyResult<GrumpkinPoint> {
    dense(py, &bases.0, scalars).map(GrumpkinPoint)
}

/// MSM of a compact BN254 Fr vector (`tags` uint8 `(n,)`, `others` uint64 `(k, 4)`).
#[pyfunction]
fn g1_msm_compact(
    py: Python<'_>,
    bases: PyRef<'_, G1Vec>,
    tags: PyReadonlyArray1<'_, u8>,
    others: PyReadonlyArray2<'_, u64>,
) -> PyResult<G1Point> {
    compact(py, &bases.0, tags, others).map(G1Point)
}

/// MSM of a compact BN254 Fq vector (`tags` uint8 `(n,)`, `others` uint64 `(k, 4)`).
#[pyfunction]
fn grumpkin_msm_compact(
    py: Python<'_>,
    bases: PyRef<'_, GrumpkinVec>,
    tags: PyReadonlyArray1<'_, u8>,
    others: PyReadonlyArray2<'_, u64>,
) -> PyResult<GrumpkinPoint> {
    compact(py, &bases.0, tags, others).map(GrumpkinPoint)
}

/// Milliseconds of each of `repeats` dense BN254 MSMs of size `2^log_n`, inputs made and timed
/// in Rust: the floor that `g1_msm` called from Python is compared against.
#[pyfunction]
fn bench_g1_msm_random(py: Python<'_>, log_n: u32, repeats: usize) -> Vec<f64> {
    py.allow_threads(|| msm::bench_msm_random::<ark_bn254::g1::Config>(log_n, repeats))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<G1FixedBases>()?;
    m.add_class::<GrumpkinFixedBases>()?;
    m.add_function(wrap_pyfunction!(g1_msm, m)?)?;
    m.add_function(wrap_pyfunction!(grumpkin_msm, m)?)?;
    m.add_function(wrap_pyfunction!(g1_msm_compact, m)?)?;
    m.add_function(wrap_pyfunction!(grumpkin_msm_compact, m)?)?;
    m.add_function(wrap_pyfunction!(bench_g1_msm_random, m)?)?;
    Ok(())
}
