//! Sparse matrices over a prime field in CSR form: the R1CS matrices A, B, C and their
//! products with a witness.
//!
//! The values are converted to Montgomery form once, when the matrix is built, so a
//! matrix-vector product converts only the vector. Rows are independent and run in parallel.

use rayon::prelude::*;

use crate::field::{self, Field4, LIMBS};
use crate::input::InputError;

/// Rows one rayon task takes at least: R1CS rows hold a handful of entries each.
const MIN_ROWS_PER_TASK: usize = 256;

/// A `rows × cols` matrix in compressed sparse row form.
///
/// Row `i` holds the entries `indptr[i]..indptr[i + 1]` of `indices` (columns) and `values`.
/// Columns within a row need not be sorted, and repeated columns add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr<F: Field4> {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<F>,
}

impl<F: Field4> Csr<F> {
    /// Validates CSR arrays: `indptr` has `rows + 1` non-decreasing offsets from 0 to the number
    /// of entries, every column index is below `cols`, and `data` holds one canonical element
    /// (limb layout) per entry.
    pub fn new(
        rows: usize,
        cols: usize,
        indptr: &[u64],
        indices: &[u64],
        data: &[u64],
    ) -> Result<Self, InputError> {
        if cols > u32::MAX as usize + 1 {
            return Err(InputError::ShapeMismatch(format!(
                "{cols} columns exceed the 2^32 a sparse matrix supports"
            )));
        }
        if indptr.len() != rows + 1 {
            return Err(InputError::ShapeMismatch(format!(
                "indptr has {} offsets; a matrix of {rows} rows needs {}",
                indptr.len(),
                rows + 1
            )));
        }
        let nnz = indices.len();
        if data.len() != nnz * LIMBS {
            return Err(InputError::ShapeMismatch(format!(
                "indices has {nnz} entries but data has {}",
                field::rows(data)
            )));
        }
        if indptr[0] != 0 {
            return Err(InputError::MalformedMatrix(format!(
                "indptr[0] is {}; it must be 0",
                indptr[0]
            )));
        }
        if let Some(i) = indptr.windows(2).position(|w| w[1] < w[0]) {
            return Err(InputError::MalformedMatrix(format!(
                "indptr decreases from {} to {} at row {i}",
                indptr[i],
                indptr[i + 1]
            )));
        }
        if indptr[rows] != nnz as u64 {
            return Err(InputError::MalformedMatrix(format!(
                "indptr ends at {} but there are {nnz} entries",
                indptr[rows]
            )));
        }
        if let Some(k) = indices.iter().position(|&c| c >= cols as u64) {
            return Err(InputError::MalformedMatrix(format!(
                "entry {k} has column {}, outside the {cols} columns",
                indices[k]
            )));
        }
        Ok(Self {
            rows,
            cols,
            indptr: indptr.iter().map(|&o| o as usize).collect(),
            indices: indices.iter().map(|&c| c as u32).collect(),
            values: field::decode(data, "data")?,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The CSR arrays back: offsets, columns, and values in the limb layout.
    pub fn to_arrays(&self) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        (
            self.indptr.iter().map(|&o| o as u64).collect(),
            self.indices.iter().map(|&c| u64::from(c)).collect(),
            field::encode(&self.values),
        )
    }

    /// `M · z` for `z` already in Montgomery form.
    pub fn mul_elements(&self, z: &[F]) -> Result<Vec<F>, InputError> {
        if z.len() != self.cols {
            return Err(InputError::ShapeMismatch(format!(
                "the matrix has {} columns but the vector has {} elements",
                self.cols,
                z.len()
            )));
        }
        Ok((0..self.rows)
            .into_par_iter()
            .with_min_len(MIN_ROWS_PER_TASK)
            .map(|i| self.row_dot(i, |c| z[c]))
            .collect())
    }

    /// `M · z` for `z` in the limb layout; the result in the limb layout.
    ///
    /// `z` is only checked, not converted: each stored value times the scaled `z_c` is the
    /// scaled product, so a row's sum is the scaled result (see [`crate::field`]).
    pub fn matvec(&self, z: &[u64]) -> Result<Vec<u64>, InputError> {
        if field::rows(z) != self.cols {
            return Err(InputError::ShapeMismatch(format!(
                "the matrix has {} columns but the vector has {} elements",
                self.cols,
                field::rows(z)
            )));
        }
        field::check_canonical::<F>(z, "z")?;
        let mut out = vec![0u64; self.rows * LIMBS];
        out.par_chunks_exact_mut(LIMBS)
            .with_min_len(MIN_ROWS_PER_TASK)
            .enumerate()
            .for_each(|(i, slot)| {
                let dot = self.row_dot(i, |c| F::scaled(field::limbs(z, c)));
                field::write_scaled(dot, slot);
            });
        Ok(out)
    }

    /// `xᵀ · M · y = Σ x_row · value · y_col` over the entries, for `x` of `rows` and `y` of
    /// `cols` elements in the limb layout: with `x` and `y` the equality tables of two points,
    /// the multilinear extension of `M` at them, in one pass over the entries.
    ///
    /// A row's dot product with the scaled `y` is scaled, times the scaled `x_i` it carries
    /// `R^-2`, which one multiplication of the sum removes.
    pub fn bilinear(&self, x: &[u64], y: &[u64]) -> Result<F, InputError> {
        for (vec, n, what, operand) in [(x, self.rows, "rows", "x"), (y, self.cols, "columns", "y")]
        {
            if field::rows(vec) != n {
                return Err(InputError::ShapeMismatch(format!(
                    "the matrix has {n} {what} but {operand} has {} elements",
                    field::rows(vec)
                )));
            }
            field::check_canonical::<F>(vec, operand)?;
        }
        let sum = (0..self.rows)
            .into_par_iter()
            .with_min_len(MIN_ROWS_PER_TASK)
            .map(|i| {
                let dot = self.row_dot(i, |c| F::scaled(field::limbs(y, c)));
                dot * F::scaled(field::limbs(x, i))
            })
            .sum::<F>();
        Ok(sum * F::RADIX.square())
    }

    /// `Σ value · z(column)` over the entries of row `i`.
    ///
    /// R1CS coefficients are mostly ±1: those entries add or subtract without a multiplication.
    #[inline]
    fn row_dot(&self, i: usize, z: impl Fn(usize) -> F) -> F {
        let (one, minus_one) = (F::one(), -F::one());
        let span = self.indptr[i]..self.indptr[i + 1];
        self.indices[span.clone()]
            .iter()
            .zip(&self.values[span])
            .fold(F::zero(), |acc, (&c, &v)| {
                let zc = z(c as usize);
                if v == one {
                    acc + zc
                } else if v == minus_one {
                    acc - zc
                } else {
                    acc + v * zc
                }
            })
    }
}

#[cfg(feature = "python")]
pub mod py {
    //! `FrSparseMatrix` / `FqSparseMatrix`: the CSR matrix as an immutable Python object.

    use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
    use pyo3::prelude::*;
    use pyo3::types::PyBytes;

    use super::Csr;
    use crate::field::py::{compute, vector_array, words};
    use crate::field::scalar_to_bytes;
    use crate::input::InputError;

    /// Row offsets as numpy gives them: int64 (scipy's default) or uint64.
    #[derive(FromPyObject)]
    pub enum Offsets<'py> {
        Signed(PyReadonlyArray1<'py, i64>),
        Unsigned(PyReadonlyArray1<'py, u64>),
    }

    /// Column indices: uint32 or uint64 (int64 is accepted too, negatives rejected).
    #[derive(FromPyObject)]
    pub enum Columns<'py> {
        Narrow(PyReadonlyArray1<'py, u32>),
        Wide(PyReadonlyArray1<'py, u64>),
        Signed(PyReadonlyArray1<'py, i64>),
    }

    fn unsigned(values: &[i64], what: &str) -> Result<Vec<u64>, InputError> {
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                u64::try_from(v).map_err(|_| {
                    InputError::MalformedMatrix(format!("{what}[{k}] is negative ({v})"))
                })
            })
            .collect()
    }

    impl Offsets<'_> {
        fn to_u64(&self) -> Result<Vec<u64>, InputError> {
            match self {
                Self::Signed(a) => unsigned(&a.as_array().to_vec(), "indptr"),
                Self::Unsigned(a) => Ok(a.as_array().to_vec()),
            }
        }
    }

    impl Columns<'_> {
        fn to_u64(&self) -> Result<Vec<u64>, InputError> {
            match self {
                Self::Narrow(a) => Ok(a.as_array().iter().map(|&c| u64::from(c)).collect()),
                Self::Wide(a) => Ok(a.as_array().to_vec()),
                Self::Signed(a) => unsigned(&a.as_array().to_vec(), "indices"),
            }
        }
    }

    macro_rules! sparse_class {
        ($class:ident, $name:literal, $field:ty) => {
            /// An immutable sparse matrix in CSR form with values stored in Montgomery form.
            #[pyclass(name = $name, module = "crypto._kernel", frozen)]
            pub struct $class {
                inner: Csr<$field>,
            }

            #[pymethods]
            impl $class {
                #[new]
                fn new(
                    py: Python<'_>,
                    rows: usize,
                    cols: usize,
                    indptr: Offsets<'_>,
                    indices: Columns<'_>,
                    data: PyReadonlyArray2<'_, u64>,
                ) -> PyResult<Self> {
                    let built = (|| {
                        let indptr = indptr.to_u64()?;
                        let indices = indices.to_u64()?;
                        let data = words(&data, "data")?;
                        py.allow_threads(|| Csr::new(rows, cols, &indptr, &indices, data))
                    })();
                    built
                        .map(|inner| Self { inner })
                        .map_err(|e| e.into_pyerr(py))
                }

                #[getter]
                fn rows(&self) -> usize {
                    self.inner.rows()
                }

                #[getter]
                fn cols(&self) -> usize {
                    self.inner.cols()
                }

                #[getter]
                fn nnz(&self) -> usize {
                    self.inner.nnz()
                }

                /// M · z for a field vector z of `cols` elements.
                fn matvec<'py>(
                    &self,
                    py: Python<'py>,
                    z: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyArray2<u64>>> {
                    let z = words(&z, "z").map_err(|e| e.into_pyerr(py))?;
                    Ok(vector_array(py, compute(py, || self.inner.matvec(z))?))
                }

                /// xᵀ · M · y as 32 bytes little-endian (x of `rows`, y of `cols` elements).
                fn bilinear<'py>(
                    &self,
                    py: Python<'py>,
                    x: PyReadonlyArray2<'py, u64>,
                    y: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyBytes>> {
                    let x = words(&x, "x").map_err(|e| e.into_pyerr(py))?;
                    let y = words(&y, "y").map_err(|e| e.into_pyerr(py))?;
                    let value = compute(py, || self.inner.bilinear(x, y))?;
                    Ok(PyBytes::new(py, &scalar_to_bytes(value)))
                }

                /// The CSR arrays (indptr uint64, indices uint64, data (nnz, 4) uint64).
                #[allow(clippy::type_complexity)]
                fn to_csr<'py>(
                    &self,
                    py: Python<'py>,
                ) -> (
                    Bound<'py, PyArray1<u64>>,
                    Bound<'py, PyArray1<u64>>,
                    Bound<'py, PyArray2<u64>>,
                ) {
                    let (indptr, indices, data) = self.inner.to_arrays();
                    (
                        PyArray1::from_vec(py, indptr),
                        PyArray1::from_vec(py, indices),
                        vector_array(py, data),
                    )
                }

                fn __repr__(&self) -> String {
                    format!(
                        "{}(rows={}, cols={}, nnz={})",
                        $name,
                        self.inner.rows(),
                        self.inner.cols(),
                        self.inner.nnz()
                    )
                }
            }
        };
    }

    sparse_class!(FrSparseMatrix, "FrSparseMatrix", ark_bn254::Fr);
    sparse_class!(FqSparseMatrix, "FqSparseMatrix", ark_bn254::Fq);

    /// Adds `FrSparseMatrix` and `FqSparseMatrix` to the kernel module.
    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_class::<FrSparseMatrix>()?;
        m.add_class::<FqSparseMatrix>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ff::{One, PrimeField, Zero};

    fn words(xs: &[u64]) -> Vec<u64> {
        field::encode(&xs.iter().map(|&x| Fr::from(x)).collect::<Vec<_>>())
    }

    /// [[1, 0, 2], [0, 0, 0], [3, 4, 0]] with a repeated column in the last row.
    fn example() -> Csr<Fr> {
        Csr::new(
            3,
            3,
            &[0, 2, 2, 5],
            &[0, 2, 1, 0, 0],
            &words(&[1, 2, 4, 1, 2]),
        )
        .unwrap()
    }

    #[test]
    fn matvec_matches_dense_product() {
        let m = example();
        let z = words(&[5, 6, 7]);
        assert_eq!(m.matvec(&z).unwrap(), words(&[19, 0, 39]));
        let zs = field::decode::<Fr>(&z, "z").unwrap();
        assert_eq!(
            m.mul_elements(&zs).unwrap(),
            vec![Fr::from(19u64), Fr::zero(), Fr::from(39u64)]
        );
        assert_eq!(m.nnz(), 5);
    }

    #[test]
    fn unit_coefficients_take_the_short_path_correctly() {
        let minus_one = field::encode(&[-Fr::one()]);
        let mut data = words(&[1, 3, 1]);
        data[LIMBS..2 * LIMBS].copy_from_slice(&minus_one);
        let m = Csr::<Fr>::new(2, 2, &[0, 2, 3], &[0, 1, 1], &data).unwrap();
        let got = field::decode::<Fr>(&m.matvec(&words(&[5, 7])).unwrap(), "out").unwrap();
        assert_eq!(got, vec![Fr::from(5u64) - Fr::from(7u64), Fr::from(7u64)]);
    }

    #[test]
    fn large_identity_is_parallel_safe() {
        let n = 10 * MIN_ROWS_PER_TASK + 3;
        let indptr: Vec<u64> = (0..=n as u64).collect();
        let indices: Vec<u64> = (0..n as u64).collect();
        let ones = field::encode(&vec![Fr::one(); n]);
        let m = Csr::<Fr>::new(n, n, &indptr, &indices, &ones).unwrap();
        let z = field::random::<Fr>(n, [1; 32]);
        assert_eq!(m.matvec(&z).unwrap(), z);
    }

    #[test]
    fn bilinear_is_x_times_m_times_y() {
        let m = example();
        // xᵀ M = [1·1 + 3·3, 4·3, 2·1] for x = (1, 2, 3); times y = (5, 6, 7).
        let x = words(&[1, 2, 3]);
        let y = words(&[5, 6, 7]);
        let expected = Fr::from((1 + 9) * 5 + 12 * 6 + 2 * 7u64);
        assert_eq!(m.bilinear(&x, &y).unwrap(), expected);
        assert!(matches!(
            m.bilinear(&y, &words(&[1])),
            Err(InputError::ShapeMismatch(_))
        ));
        let n = 3 * MIN_ROWS_PER_TASK + 1;
        let indptr: Vec<u64> = (0..=n as u64).collect();
        let indices: Vec<u64> = (0..n as u64).rev().collect();
        let ones = field::encode(&vec![Fr::one(); n]);
        let reversal = Csr::<Fr>::new(n, n, &indptr, &indices, &ones).unwrap();
        let (x, y) = (
            field::random::<Fr>(n, [2; 32]),
            field::random::<Fr>(n, [3; 32]),
        );
        let (xs, ys) = (
            field::decode::<Fr>(&x, "x").unwrap(),
            field::decode::<Fr>(&y, "y").unwrap(),
        );
        let expected: Fr = (0..n).map(|i| xs[i] * ys[n - 1 - i]).sum();
        assert_eq!(reversal.bilinear(&x, &y).unwrap(), expected);
    }

    #[test]
    fn rejects_bad_structure() {
        let data = words(&[1, 2]);
        let malformed =
            |r: Result<Csr<Fr>, InputError>| matches!(r, Err(InputError::MalformedMatrix(_)));
        let mismatch =
            |r: Result<Csr<Fr>, InputError>| matches!(r, Err(InputError::ShapeMismatch(_)));
        assert!(mismatch(Csr::new(2, 2, &[0, 2], &[0, 1], &data)));
        assert!(mismatch(Csr::new(1, 2, &[0, 2], &[0], &data)));
        assert!(malformed(Csr::new(1, 2, &[1, 2], &[0, 1], &data)));
        assert!(malformed(Csr::new(2, 2, &[0, 2, 1], &[0, 1], &data)));
        assert!(malformed(Csr::new(1, 2, &[0, 1], &[0, 1], &data)));
        assert!(malformed(Csr::new(1, 2, &[0, 2], &[0, 2], &data)));
        let mut bad = data.clone();
        bad[LIMBS..].copy_from_slice(&Fr::MODULUS.0);
        assert_eq!(
            Csr::<Fr>::new(1, 2, &[0, 2], &[0, 1], &bad).unwrap_err(),
            InputError::NonCanonical {
                operand: "data",
                index: Some(1)
            }
        );
        let m = Csr::<Fr>::new(1, 2, &[0, 2], &[0, 1], &data).unwrap();
        assert!(matches!(
            m.matvec(&words(&[1])),
            Err(InputError::ShapeMismatch(_))
        ));
    }
}
