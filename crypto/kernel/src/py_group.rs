//! Python classes for points and point vectors of both curves, and their derived keys.
//!
//! One macro stamps out `G1Point`/`G1Vec` (BN254 G1) and `GrumpkinPoint`/`GrumpkinVec`, so the
//! two curves share every line of behaviour. A point holds projective coordinates (arithmetic
//! needs no inversion); a vector holds affine points (what MSM wants), normalised in one batch.

use crate::errors::crypto_error;
use crate::group::{self, CycleCurve, DecodeError};
use crate::hash_to_curve;
use crate::py_msm;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, PrimeField, Zero};
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyIterator, PyList, PySlice};

/// The Python exception for a failed decoding.
pub fn decode_error(py: Python<'_>, err: DecodeError) -> PyErr {
    match err {
        DecodeError::WrongLength(m) => crypto_error(py, "WrongLengthError", m),
        DecodeError::NonCanonical(m) => crypto_error(py, "NonCanonicalEncodingError", m),
        DecodeError::NotOnCurve(m) => crypto_error(py, "NotOnCurveError", m),
    }
}

/// The Python int of a little-endian byte string.
fn int_from_le<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    py.get_type::<PyInt>()
        .call_method1("from_bytes", (PyBytes::new(py, bytes), "little"))
}

/// `k mod order` of curve `P`, as 32 little-endian bytes (Python's `%` is never negative).
fn reduce_scalar<P: CycleCurve>(k: &Bound<'_, PyInt>) -> PyResult<Vec<u8>> {
    let py = k.py();
    let order = int_from_le(py, &P::Scalar::MODULUS.to_bytes_le())?;
    k.rem(order)?
        .call_method1("to_bytes", (32, "little"))?
        .extract()
}

/// The affine coordinates of `point` as Python ints, `None` for the identity.
fn coordinates<'py, P: CycleCurve>(
    py: Python<'py>,
    point: &Projective<P>,
) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let affine = point.into_affine();
    if affine.infinity {
        return Ok(None);
    }
    Ok(Some((
        int_from_le(py, &affine.x.into_bigint().to_bytes_le())?,
        int_from_le(py, &affine.y.into_bigint().to_bytes_le())?,
    )))
}

/// Hash of a point's canonical encoding, so equal points hash alike.
fn point_hash<P: CycleCurve>(point: &Projective<P>) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    group::to_compressed(&point.into_affine()).hash(&mut hasher);
    hasher.finish()
}

/// Position `index` (negative counts from the end) of a sequence of `len`, or IndexError.
fn resolve_index(index: isize, len: usize, what: &str) -> PyResult<usize> {
    let resolved = if index < 0 {
        index + len as isize
    } else {
        index
    };
    if resolved < 0 || resolved >= len as isize {
        return Err(PyIndexError::new_err(format!(
            "{what} index {index} out of range for length {len}"
        )));
    }
    Ok(resolved as usize)
}

macro_rules! curve_classes {
    ($config:ty, $point:ident, $vec:ident, $derive:ident) => {
        /// A point of the curve (immutable; arithmetic returns new points).
        #[pyclass(module = "crypto._kernel", frozen)]
        #[derive(Clone)]
        pub struct $point(pub Projective<$config>);

        #[pymethods]
        impl $point {
            /// The neutral element.
            #[staticmethod]
            fn identity() -> Self {
                Self(Projective::zero())
            }

            /// The curve's standard generator.
            #[staticmethod]
            fn generator() -> Self {
                Self(Projective::generator())
            }

            /// The point whose 32-byte compressed encoding is `data` (strict).
            #[staticmethod]
            fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
                group::from_compressed::<$config>(data)
                    .map(|p| Self(p.into()))
                    .map_err(|e| decode_error(py, e))
            }

            /// The 32-byte compressed encoding.
            fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
                PyBytes::new(py, &group::to_compressed(&self.0.into_affine()))
            }

            fn is_identity(&self) -> bool {
                self.0.is_zero()
            }

            fn double(&self) -> Self {
                Self(self.0.double())
            }

            /// Affine x as an int, `None` for the identity.
            #[getter]
            fn x<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
                Ok(coordinates(py, &self.0)?.map(|(x, _)| x))
            }

            /// Affine y as an int, `None` for the identity.
            #[getter]
            fn y<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
                Ok(coordinates(py, &self.0)?.map(|(_, y)| y))
            }

            fn __add__(&self, other: PyRef<'_, Self>) -> Self {
                Self(self.0 + other.0)
            }

            fn __sub__(&self, other: PyRef<'_, Self>) -> Self {
                Self(self.0 - other.0)
            }

            fn __neg__(&self) -> Self {
                Self(-self.0)
            }

            /// `self · k` for any int `k`, reduced modulo the group order.
            fn __mul__(&self, k: &Bound<'_, PyInt>) -> PyResult<Self> {
                Ok(Self(group::mul_le_bytes(
                    &self.0,
                    &reduce_scalar::<$config>(k)?,
                )))
            }

            fn __rmul__(&self, k: &Bound<'_, PyInt>) -> PyResult<Self> {
                self.__mul__(k)
            }

            fn __eq__(&self, other: PyRef<'_, Self>) -> bool {
                self.0 == other.0
            }

            fn __hash__(&self) -> u64 {
                point_hash(&self.0)
            }

            fn __repr__(&self) -> String {
                let bytes = group::to_compressed(&self.0.into_affine());
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                format!("{}.from_bytes(bytes.fromhex('{hex}'))", stringify!($point))
            }
        }

        /// An immutable vector of points in affine form, the bases of an MSM.
        #[pyclass(module = "crypto._kernel", frozen, sequence)]
        pub struct $vec(pub Vec<Affine<$config>>);

        #[pymethods]
        impl $vec {
            /// The vector of `points`, normalised to affine with one batch inversion.
            #[new]
            fn new(points: Vec<PyRef<'_, $point>>) -> Self {
                let projective: Vec<Projective<$config>> = points.iter().map(|p| p.0).collect();
                Self(group::normalize_batch(&projective))
            }

            /// Points from concatenated 32-byte compressed encodings (strict; errors name the index).
            #[staticmethod]
            fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
                py.allow_threads(|| group::vec_from_compressed::<$config>(data))
                    .map(Self)
                    .map_err(|e| decode_error(py, e))
            }

            /// Concatenated 32-byte compressed encodings.
            fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
                let bytes = py.allow_threads(|| group::vec_to_compressed(&self.0));
                PyBytes::new(py, &bytes)
            }

            fn __len__(&self) -> usize {
                self.0.len()
            }

            /// `Σ scalars[i]·self[i]` for a canonical `(n, 4)` uint64 scalar vector.
            fn msm(&self, py: Python<'_>, scalars: PyReadonlyArray2<'_, u64>) -> PyResult<$point> {
                py_msm::dense(py, &self.0, scalars).map($point)
            }

            /// `Σ vᵢ·self[i]` for the compact vector `v` = (`tags`, `others`).
            fn msm_compact(
                &self,
                py: Python<'_>,
                tags: PyReadonlyArray1<'_, u8>,
                others: PyReadonlyArray2<'_, u64>,
            ) -> PyResult<$point> {
                py_msm::compact(py, &self.0, tags, others).map($point)
            }

            /// A point for an int index, a new vector for a slice.
            fn __getitem__<'py>(
                &self,
                py: Python<'py>,
                index: &Bound<'py, PyAny>,
            ) -> PyResult<PyObject> {
                if let Ok(slice) = index.downcast::<PySlice>() {
                    let range = slice.indices(self.0.len() as isize)?;
                    let picked: Vec<Affine<$config>> = (0..range.slicelength)
                        .map(|k| self.0[(range.start + k as isize * range.step) as usize])
                        .collect();
                    return Ok($vec(picked).into_pyobject(py)?.into_any().unbind());
                }
                let position = resolve_index(index.extract()?, self.0.len(), stringify!($vec))?;
                Ok($point(self.0[position].into())
                    .into_pyobject(py)?
                    .into_any()
                    .unbind())
            }

            fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
                let points = self.0.iter().map(|p| $point((*p).into()));
                PyList::new(py, points)?.try_iter()
            }

            fn __eq__(&self, other: PyRef<'_, Self>) -> bool {
                self.0 == other.0
            }

            fn __repr__(&self) -> String {
                format!("<{} of {} points>", stringify!($vec), self.0.len())
            }
        }

        /// The first `n` generators of the commitment key `label` (see `hash_to_curve`).
        #[pyfunction]
        fn $derive(py: Python<'_>, label: &[u8], n: usize) -> $vec {
            $vec(py.allow_threads(|| hash_to_curve::derive_generators::<$config>(label, n)))
        }
    };
}

curve_classes!(ark_bn254::g1::Config, G1Point, G1Vec, g1_derive_generators);
curve_classes!(
    ark_grumpkin::GrumpkinConfig,
    GrumpkinPoint,
    GrumpkinVec,
    grumpkin_derive_generators
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<G1Point>()?;
    m.add_class::<G1Vec>()?;
    m.add_class::<GrumpkinPoint>()?;
    m.add_class::<GrumpkinVec>()?;
    m.add_function(wrap_pyfunction!(g1_derive_generators, m)?)?;
    m.add_function(wrap_pyfunction!(grumpkin_derive_generators, m)?)?;
    Ok(())
}
