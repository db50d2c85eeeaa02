//! Vectors of prime-field elements in novanode's shared limb layout.
//!
//! A vector of `n` elements is `4n` words of `u64`: element `i` is words `4i..4i + 4`, its
//! canonical value (an integer below the modulus) as little-endian 64-bit limbs. That is the
//! numpy `(n, 4)` uint64 array Python holds.
//!
//! Most operations never convert to Montgomery form. Read as a Montgomery representation, the
//! canonical limbs of `a` stand for the element `a·R⁻¹` ("scaled", see [`Field4::scaled`]).
//! Sums and differences of scaled elements are scaled, so `a + b` is computed on the limbs as
//! they are; and a scaled `a` times an ordinary element `s` is the scaled `a·s`, whose
//! representation is the canonical limbs of `a·s` again. So `add`, `scale`, `axpy`, a CSR
//! product and the like cost one Montgomery multiplication per element at most, plus the limb
//! comparison that checks an untrusted input is canonical.
//!
//! Long vectors are cut into chunks of [`CHUNK_ROWS`] rows that rayon processes in parallel; a
//! failing input always reports its lowest offending index, whatever the scheduling.

use std::convert::Infallible;

use ark_ff::{BigInt, Fp, MontBackend, MontConfig, PrimeField};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use crate::input::InputError;

/// 64-bit limbs per element.
pub const LIMBS: usize = 4;
/// Bytes in the canonical little-endian encoding of one element.
pub const ELEMENT_BYTES: usize = 32;
/// Rows one rayon task handles: enough that scheduling is noise next to the arithmetic; vectors
/// no longer than this stay on the calling thread.
pub const CHUNK_ROWS: usize = 1 << 10;

/// A Montgomery-form prime field whose elements fit four 64-bit limbs (BN254's Fr and Fq).
pub trait Field4: PrimeField {
    /// The modulus as little-endian limbs.
    const MODULUS_LIMBS: [u64; LIMBS];

    /// The element R = 2^256 mod p, which turns a scaled element back into an ordinary one.
    const RADIX: Self;

    /// The element with canonical limbs `limbs`, or `None` when they are not below the modulus.
    fn from_limbs(limbs: [u64; LIMBS]) -> Option<Self>;

    /// The canonical limbs of the element.
    fn to_limbs(self) -> [u64; LIMBS];

    /// The scaled element `a·R⁻¹` of canonical limbs `a`: the limbs read as a Montgomery
    /// representation, with no arithmetic. The limbs must be below the modulus.
    fn scaled(limbs: [u64; LIMBS]) -> Self;

    /// The Montgomery representation; for a scaled `a·R⁻¹`, the canonical limbs of `a`.
    fn representation(self) -> [u64; LIMBS];
}

impl<T: MontConfig<LIMBS>> Field4 for Fp<MontBackend<T, LIMBS>, LIMBS> {
    const MODULUS_LIMBS: [u64; LIMBS] = T::MODULUS.0;
    const RADIX: Self = Fp::new_unchecked(T::R2);

    #[inline]
    fn from_limbs(limbs: [u64; LIMBS]) -> Option<Self> {
        Self::from_bigint(BigInt(limbs))
    }

    #[inline]
    fn to_limbs(self) -> [u64; LIMBS] {
        self.into_bigint().0
    }

    #[inline]
    fn scaled(limbs: [u64; LIMBS]) -> Self {
        Fp::new_unchecked(BigInt(limbs))
    }

    #[inline]
    fn representation(self) -> [u64; LIMBS] {
        (self.0).0
    }
}

/// The limbs of row `i` of a vector.
#[inline]
pub fn limbs(vec: &[u64], i: usize) -> [u64; LIMBS] {
    let mut row = [0u64; LIMBS];
    row.copy_from_slice(&vec[LIMBS * i..LIMBS * (i + 1)]);
    row
}

/// Whether `limbs` holds an integer below the modulus of `F`.
#[inline]
pub fn is_canonical<F: Field4>(limbs: &[u64]) -> bool {
    // Compare from the most significant limb down.
    for k in (0..LIMBS).rev() {
        let m = F::MODULUS_LIMBS[k];
        if limbs[k] != m {
            return limbs[k] < m;
        }
    }
    false
}

/// Element `i` of `vec`, in Montgomery form.
#[inline]
pub fn element<F: Field4>(vec: &[u64], i: usize, operand: &'static str) -> Result<F, InputError> {
    F::from_limbs(limbs(vec, i)).ok_or(InputError::NonCanonical {
        operand,
        index: Some(i),
    })
}

/// Element `i` of `vec` as the scaled element `a_i·R⁻¹`, after checking it is canonical.
#[inline]
pub fn scaled_element<F: Field4>(
    vec: &[u64],
    i: usize,
    operand: &'static str,
) -> Result<F, InputError> {
    let row = limbs(vec, i);
    if is_canonical::<F>(&row) {
        Ok(F::scaled(row))
    } else {
        Err(InputError::NonCanonical {
            operand,
            index: Some(i),
        })
    }
}

/// Writes the canonical limbs of `x` into the four words of `row`.
#[inline]
pub fn write_element<F: Field4>(x: F, row: &mut [u64]) {
    row.copy_from_slice(&x.to_limbs());
}

/// Writes the canonical limbs of `a` into `row`, given the scaled element `a·R⁻¹`.
#[inline]
pub fn write_scaled<F: Field4>(x: F, row: &mut [u64]) {
    row.copy_from_slice(&x.representation());
}

/// The number of elements in `vec`.
pub fn rows(vec: &[u64]) -> usize {
    vec.len() / LIMBS
}

/// Runs `work(first_row, chunk)` over chunks of [`CHUNK_ROWS`] rows of `width` items of `out`,
/// in parallel when there is more than one chunk; the error of the lowest chunk wins.
pub fn for_each_chunk<T: Send, E: Send>(
    out: &mut [T],
    width: usize,
    work: impl Fn(usize, &mut [T]) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let step = CHUNK_ROWS * width;
    if out.len() <= step {
        return work(0, out);
    }
    out.par_chunks_mut(step)
        .enumerate()
        .map(|(c, chunk)| work(c * CHUNK_ROWS, chunk))
        .reduce(|| Ok(()), Result::and)
}

/// A new vector of `n` rows whose row `i` is `a` for the scaled element `row(i) = a·R⁻¹`.
fn map_scaled<F: Field4>(
    n: usize,
    row: impl Fn(usize) -> Result<F, InputError> + Sync,
) -> Result<Vec<u64>, InputError> {
    let mut out = vec![0u64; n * LIMBS];
    for_each_chunk(&mut out, LIMBS, |first, chunk| {
        for (j, slot) in chunk.chunks_exact_mut(LIMBS).enumerate() {
            write_scaled(row(first + j)?, slot);
        }
        Ok(())
    })?;
    Ok(out)
}

/// `Σ term(i)` over `0..n`.
fn sum_rows<F: Field4>(
    n: usize,
    term: impl Fn(usize) -> Result<F, InputError> + Sync,
) -> Result<F, InputError> {
    let chunk_sum = |c: usize| {
        (c * CHUNK_ROWS..n.min((c + 1) * CHUNK_ROWS))
            .try_fold(F::zero(), |acc, i| Ok(acc + term(i)?))
    };
    let chunks = n.div_ceil(CHUNK_ROWS);
    if chunks <= 1 {
        return chunk_sum(0);
    }
    (0..chunks)
        .into_par_iter()
        .map(chunk_sum)
        .reduce(|| Ok(F::zero()), |a, b| Ok(a? + b?))
}

/// The common length of two operands of an elementwise operation.
fn same_length(a: &[u64], b: &[u64]) -> Result<usize, InputError> {
    if a.len() != b.len() {
        return Err(InputError::ShapeMismatch(format!(
            "operands have {} and {} elements; elementwise operations need equal lengths",
            rows(a),
            rows(b)
        )));
    }
    Ok(rows(a))
}

/// Decodes a vector into Montgomery form.
pub fn decode<F: Field4>(vec: &[u64], operand: &'static str) -> Result<Vec<F>, InputError> {
    let mut out = vec![F::zero(); rows(vec)];
    for_each_chunk(&mut out, 1, |first, chunk| {
        for (j, slot) in chunk.iter_mut().enumerate() {
            *slot = element(vec, first + j, operand)?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Encodes elements in the canonical limb layout.
pub fn encode<F: Field4>(xs: &[F]) -> Vec<u64> {
    let mut out = vec![0u64; xs.len() * LIMBS];
    for_each_chunk::<_, Infallible>(&mut out, LIMBS, |first, chunk| {
        for (j, slot) in chunk.chunks_exact_mut(LIMBS).enumerate() {
            write_element(xs[first + j], slot);
        }
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    out
}

/// Checks that every element of `vec` is below the modulus.
pub fn check_canonical<F: Field4>(vec: &[u64], operand: &'static str) -> Result<(), InputError> {
    let check = |c: usize| {
        (c * CHUNK_ROWS..rows(vec).min((c + 1) * CHUNK_ROWS)).try_for_each(|i| {
            if is_canonical::<F>(&vec[LIMBS * i..LIMBS * (i + 1)]) {
                Ok(())
            } else {
                Err(InputError::NonCanonical {
                    operand,
                    index: Some(i),
                })
            }
        })
    };
    let chunks = rows(vec).div_ceil(CHUNK_ROWS);
    if chunks <= 1 {
        return check(0);
    }
    (0..chunks)
        .into_par_iter()
        .map(check)
        .reduce(|| Ok(()), Result::and)
}

/// `a + b`, elementwise.
pub fn add<F: Field4>(a: &[u64], b: &[u64]) -> Result<Vec<u64>, InputError> {
    let n = same_length(a, b)?;
    map_scaled(n, |i| {
        Ok(scaled_element::<F>(a, i, "a")? + scaled_element::<F>(b, i, "b")?)
    })
}

/// `a - b`, elementwise.
pub fn sub<F: Field4>(a: &[u64], b: &[u64]) -> Result<Vec<u64>, InputError> {
    let n = same_length(a, b)?;
    map_scaled(n, |i| {
        Ok(scaled_element::<F>(a, i, "a")? - scaled_element::<F>(b, i, "b")?)
    })
}

/// `a * b`, elementwise: two scaled elements multiply to `a_i·b_i·R⁻²`, and `R` rescales it.
pub fn mul<F: Field4>(a: &[u64], b: &[u64]) -> Result<Vec<u64>, InputError> {
    let n = same_length(a, b)?;
    map_scaled(n, |i| {
        Ok(scaled_element::<F>(a, i, "a")? * scaled_element::<F>(b, i, "b")? * F::RADIX)
    })
}

/// `-a`, elementwise.
pub fn neg<F: Field4>(a: &[u64]) -> Result<Vec<u64>, InputError> {
    map_scaled(rows(a), |i| Ok(-scaled_element::<F>(a, i, "a")?))
}

/// `s · a`.
pub fn scale<F: Field4>(a: &[u64], s: F) -> Result<Vec<u64>, InputError> {
    map_scaled(rows(a), |i| Ok(scaled_element::<F>(a, i, "a")? * s))
}

/// `a + s · b`.
pub fn axpy<F: Field4>(a: &[u64], s: F, b: &[u64]) -> Result<Vec<u64>, InputError> {
    let n = same_length(a, b)?;
    map_scaled(n, |i| {
        Ok(scaled_element::<F>(a, i, "a")? + scaled_element::<F>(b, i, "b")? * s)
    })
}

/// `Σ a_i · b_i`: the products of scaled elements sum to `(Σ a_i·b_i)·R⁻²`.
pub fn inner_product<F: Field4>(a: &[u64], b: &[u64]) -> Result<F, InputError> {
    let n = same_length(a, b)?;
    let sum = sum_rows(n, |i| {
        Ok(scaled_element::<F>(a, i, "a")? * scaled_element::<F>(b, i, "b")?)
    })?;
    Ok(sum * F::RADIX.square())
}

/// `Σ a_i`.
pub fn sum<F: Field4>(a: &[u64]) -> Result<F, InputError> {
    Ok(sum_rows(rows(a), |i| scaled_element::<F>(a, i, "a"))? * F::RADIX)
}

/// `[1, base, base², …, base^(n-1)]`.
pub fn powers<F: Field4>(base: F, n: usize) -> Vec<u64> {
    let one = F::scaled([1, 0, 0, 0]);
    let mut out = vec![0u64; n * LIMBS];
    for_each_chunk::<_, Infallible>(&mut out, LIMBS, |first, chunk| {
        let mut x = one * base.pow([first as u64]);
        for slot in chunk.chunks_exact_mut(LIMBS) {
            write_scaled(x, slot);
            x *= base;
        }
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    out
}

/// `[1 / a_i]` by Montgomery's trick: one inversion per chunk, three multiplications per element.
///
/// The inputs are scaled elements `v_i = a_i·R⁻¹`; folding `R⁻²` into the one inversion makes
/// every output `R⁻²/v_i = a_i⁻¹·R⁻¹`, the scaled inverse.
pub fn batch_inverse<F: Field4>(a: &[u64]) -> Result<Vec<u64>, InputError> {
    let mut out = vec![0u64; a.len()];
    for_each_chunk(&mut out, LIMBS, |first, chunk| {
        let n = chunk.len() / LIMBS;
        let mut xs = Vec::with_capacity(n);
        // prefix[j] = x_0 · … · x_(j-1)
        let mut prefix = Vec::with_capacity(n);
        let mut product = F::one();
        for j in 0..n {
            let x = scaled_element::<F>(a, first + j, "a")?;
            if x.is_zero() {
                return Err(InputError::ZeroInversion {
                    operand: "a",
                    index: first + j,
                });
            }
            prefix.push(product);
            product *= x;
            xs.push(x);
        }
        // Invariant: inverse = R⁻² / (x_0 · … · x_j).
        let mut inverse = (product * F::RADIX.square())
            .inverse()
            .expect("a product of non-zero elements");
        for j in (0..n).rev() {
            write_scaled(inverse * prefix[j], &mut chunk[LIMBS * j..LIMBS * (j + 1)]);
            inverse *= xs[j];
        }
        Ok(())
    })?;
    Ok(out)
}

/// `n` uniformly random elements, determined by `seed`: ChaCha20 seeded with it yields
/// little-endian 64-bit words, four per candidate, the top limb masked to the modulus' bit
/// length; candidates not below the modulus are rejected. Sequential, so the stream is fixed.
pub fn random<F: Field4>(n: usize, seed: [u8; 32]) -> Vec<u64> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    let top_bits = F::MODULUS_BIT_SIZE as usize - 64 * (LIMBS - 1);
    let top_mask = u64::MAX >> (64 - top_bits);
    let mut out = vec![0u64; n * LIMBS];
    for slot in out.chunks_exact_mut(LIMBS) {
        loop {
            for word in slot.iter_mut() {
                *word = rng.next_u64();
            }
            slot[LIMBS - 1] &= top_mask;
            if is_canonical::<F>(slot) {
                break;
            }
        }
    }
    out
}

/// Decodes concatenated 32-byte little-endian canonical encodings into a vector.
pub fn from_bytes<F: Field4>(bytes: &[u8]) -> Result<Vec<u64>, InputError> {
    if !bytes.len().is_multiple_of(ELEMENT_BYTES) {
        return Err(InputError::WrongLength(format!(
            "a field vector encodes as {ELEMENT_BYTES} bytes per element; {} bytes is not a \
             multiple of {ELEMENT_BYTES}",
            bytes.len()
        )));
    }
    let mut out = vec![0u64; bytes.len() / 8];
    for_each_chunk(&mut out, LIMBS, |first, chunk| {
        for (j, slot) in chunk.chunks_exact_mut(LIMBS).enumerate() {
            let i = first + j;
            for (k, word) in slot.iter_mut().enumerate() {
                let at = ELEMENT_BYTES * i + 8 * k;
                *word = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            }
            if !is_canonical::<F>(slot) {
                return Err(InputError::NonCanonical {
                    operand: "the encoding",
                    index: Some(i),
                });
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The concatenated 32-byte little-endian encodings of a canonical vector.
pub fn to_bytes<F: Field4>(vec: &[u64]) -> Result<Vec<u8>, InputError> {
    check_canonical::<F>(vec, "the vector")?;
    Ok(vec.iter().flat_map(|word| word.to_le_bytes()).collect())
}

/// A scalar from its 32-byte little-endian canonical encoding.
pub fn scalar_from_bytes<F: Field4>(bytes: &[u8], operand: &'static str) -> Result<F, InputError> {
    if bytes.len() != ELEMENT_BYTES {
        return Err(InputError::WrongLength(format!(
            "scalar {operand} must be {ELEMENT_BYTES} bytes, got {}",
            bytes.len()
        )));
    }
    let mut limbs = [0u64; LIMBS];
    for (k, word) in limbs.iter_mut().enumerate() {
        *word = u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().expect("8 bytes"));
    }
    F::from_limbs(limbs).ok_or(InputError::NonCanonical {
        operand,
        index: None,
    })
}

/// The 32-byte little-endian canonical encoding of a scalar.
pub fn scalar_to_bytes<F: Field4>(x: F) -> [u8; ELEMENT_BYTES] {
    let mut out = [0u8; ELEMENT_BYTES];
    for (k, word) in x.to_limbs().iter().enumerate() {
        out[8 * k..8 * k + 8].copy_from_slice(&word.to_le_bytes());
    }
    out
}

#[cfg(feature = "python")]
pub mod py {
    //! The vector operations as `fr_*` / `fq_*` Python functions, plus the numpy plumbing that
    //! the other kernel modules share.

    use numpy::ndarray::Array2;
    use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
    use pyo3::prelude::*;
    use pyo3::types::PyBytes;

    use super::{Field4, LIMBS};
    use crate::input::InputError;

    /// The words of a `(n, 4)` C-contiguous uint64 array.
    pub fn words<'a>(
        array: &'a PyReadonlyArray2<'_, u64>,
        operand: &str,
    ) -> Result<&'a [u64], InputError> {
        let shape = array.shape();
        if shape[1] != LIMBS {
            return Err(InputError::ShapeMismatch(format!(
                "{operand} has shape ({}, {}); a field vector has shape (n, {LIMBS})",
                shape[0], shape[1]
            )));
        }
        array.as_slice().map_err(|_| {
            InputError::Layout(format!(
                "{operand} is not C-contiguous; pass np.ascontiguousarray"
            ))
        })
    }

    /// A `(n, 4)` uint64 numpy array holding `words`, without copying them.
    pub fn vector_array(py: Python<'_>, words: Vec<u64>) -> Bound<'_, PyArray2<u64>> {
        let n = words.len() / LIMBS;
        Array2::from_shape_vec((n, LIMBS), words)
            .expect("a whole number of rows")
            .into_pyarray(py)
    }

    /// Runs `op` without the GIL and turns its error into the matching `crypto.errors` class.
    pub fn compute<T: Send>(
        py: Python<'_>,
        op: impl FnOnce() -> Result<T, InputError> + Send,
    ) -> PyResult<T> {
        py.allow_threads(op).map_err(|err| err.into_pyerr(py))
    }

    type Vector<'py> = PyResult<Bound<'py, PyArray2<u64>>>;

    pub(super) fn unary<'py>(
        py: Python<'py>,
        a: &PyReadonlyArray2<'py, u64>,
        op: impl FnOnce(&[u64]) -> Result<Vec<u64>, InputError> + Send,
    ) -> Vector<'py> {
        let a = words(a, "a").map_err(|e| e.into_pyerr(py))?;
        Ok(vector_array(py, compute(py, || op(a))?))
    }

    pub(super) fn binary<'py>(
        py: Python<'py>,
        a: &PyReadonlyArray2<'py, u64>,
        b: &PyReadonlyArray2<'py, u64>,
        op: impl FnOnce(&[u64], &[u64]) -> Result<Vec<u64>, InputError> + Send,
    ) -> Vector<'py> {
        let a = words(a, "a").map_err(|e| e.into_pyerr(py))?;
        let b = words(b, "b").map_err(|e| e.into_pyerr(py))?;
        Ok(vector_array(py, compute(py, || op(a, b))?))
    }

    pub(super) fn scalar<F: Field4>(
        py: Python<'_>,
        bytes: &[u8],
        operand: &'static str,
    ) -> PyResult<F> {
        super::scalar_from_bytes(bytes, operand).map_err(|e| e.into_pyerr(py))
    }

    pub(super) fn scalar_bytes<F: Field4>(py: Python<'_>, x: F) -> Bound<'_, PyBytes> {
        PyBytes::new(py, &super::scalar_to_bytes(x))
    }

    /// Defines the Python functions `<prefix>_add`, … for the field `$field` and a
    /// `register_<prefix>` that adds them to a module.
    macro_rules! field_functions {
        ($prefix:ident, $field:ty) => {
            paste::paste! {
                /// The modulus, 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _modulus>](py: Python<'_>) -> Bound<'_, PyBytes> {
                    let limbs = <$field as super::Field4>::MODULUS_LIMBS;
                    let bytes: Vec<u8> = limbs.iter().flat_map(|w| w.to_le_bytes()).collect();
                    PyBytes::new(py, &bytes)
                }

                /// a + b, elementwise.
                #[pyfunction]
                fn [<$prefix _add>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    binary(py, &a, &b, super::add::<$field>)
                }

                /// a - b, elementwise.
                #[pyfunction]
                fn [<$prefix _sub>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    binary(py, &a, &b, super::sub::<$field>)
                }

                /// a * b, elementwise.
                #[pyfunction]
                fn [<$prefix _mul>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    binary(py, &a, &b, super::mul::<$field>)
                }

                /// -a, elementwise.
                #[pyfunction]
                fn [<$prefix _neg>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    unary(py, &a, super::neg::<$field>)
                }

                /// s · a, the scalar as 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _scale>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    s: &[u8],
                ) -> Vector<'py> {
                    let s = scalar::<$field>(py, s, "s")?;
                    unary(py, &a, |a| super::scale(a, s))
                }

                /// a + s · b, the scalar as 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _axpy>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    s: &[u8],
                    b: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    let s = scalar::<$field>(py, s, "s")?;
                    binary(py, &a, &b, |a, b| super::axpy(a, s, b))
                }

                /// Σ a_i · b_i as 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _inner_product>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyBytes>> {
                    let a = words(&a, "a").map_err(|e| e.into_pyerr(py))?;
                    let b = words(&b, "b").map_err(|e| e.into_pyerr(py))?;
                    let x = compute(py, || super::inner_product::<$field>(a, b))?;
                    Ok(scalar_bytes(py, x))
                }

                /// Σ a_i as 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _sum>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyBytes>> {
                    let a = words(&a, "a").map_err(|e| e.into_pyerr(py))?;
                    let x = compute(py, || super::sum::<$field>(a))?;
                    Ok(scalar_bytes(py, x))
                }

                /// [1, base, base², …] (n elements), the base as 32 bytes little-endian.
                #[pyfunction]
                fn [<$prefix _powers>]<'py>(
                    py: Python<'py>,
                    base: &[u8],
                    n: usize,
                ) -> Vector<'py> {
                    let base = scalar::<$field>(py, base, "base")?;
                    Ok(vector_array(py, py.allow_threads(|| super::powers(base, n))))
                }

                /// 1 / a_i elementwise; ZeroInversionError names the first zero.
                #[pyfunction]
                fn [<$prefix _batch_inverse>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    unary(py, &a, super::batch_inverse::<$field>)
                }

                /// n uniform elements drawn from ChaCha20 keyed by a 32-byte seed.
                #[pyfunction]
                fn [<$prefix _random>]<'py>(
                    py: Python<'py>,
                    n: usize,
                    seed: &[u8],
                ) -> Vector<'py> {
                    let seed: [u8; 32] = seed.try_into().map_err(|_| {
                        InputError::WrongLength(format!(
                            "a random seed is 32 bytes, got {}",
                            seed.len()
                        ))
                        .into_pyerr(py)
                    })?;
                    Ok(vector_array(py, py.allow_threads(|| super::random::<$field>(n, seed))))
                }

                /// A vector from concatenated 32-byte little-endian canonical encodings.
                #[pyfunction]
                fn [<$prefix _from_bytes>]<'py>(py: Python<'py>, data: &[u8]) -> Vector<'py> {
                    Ok(vector_array(py, compute(py, || super::from_bytes::<$field>(data))?))
                }

                /// The concatenated 32-byte little-endian encodings of a vector.
                #[pyfunction]
                fn [<$prefix _to_bytes>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyBytes>> {
                    let a = words(&a, "a").map_err(|e| e.into_pyerr(py))?;
                    let bytes = compute(py, || super::to_bytes::<$field>(a))?;
                    Ok(PyBytes::new(py, &bytes))
                }

                /// Raises NonCanonicalEncodingError unless every element is below the modulus.
                #[pyfunction]
                fn [<$prefix _check>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<()> {
                    let a = words(&a, "the vector").map_err(|e| e.into_pyerr(py))?;
                    compute(py, || super::check_canonical::<$field>(a, "the vector"))
                }

                fn [<register_ $prefix>](m: &Bound<'_, PyModule>) -> PyResult<()> {
                    m.add_function(wrap_pyfunction!([<$prefix _modulus>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _add>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _sub>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _mul>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _neg>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _scale>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _axpy>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _inner_product>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _sum>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _powers>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _batch_inverse>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _random>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _from_bytes>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _to_bytes>], m)?)?;
                    m.add_function(wrap_pyfunction!([<$prefix _check>], m)?)?;
                    Ok(())
                }
            }
        };
    }

    field_functions!(fr, ark_bn254::Fr);
    field_functions!(fq, ark_bn254::Fq);

    /// Adds the `fr_*` and `fq_*` vector functions to the kernel module.
    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        register_fr(m)?;
        register_fq(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr};
    use ark_ff::{One, UniformRand};

    fn sample(n: usize, seed: u8) -> (Vec<Fr>, Vec<u64>) {
        let mut rng = ChaCha20Rng::from_seed([seed; 32]);
        let xs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let words = encode(&xs);
        (xs, words)
    }

    fn modulus_words<F: Field4>() -> Vec<u64> {
        F::MODULUS_LIMBS.to_vec()
    }

    #[test]
    fn encode_decode_round_trip_across_chunks() {
        let (xs, words) = sample(3 * CHUNK_ROWS + 5, 1);
        assert_eq!(decode::<Fr>(&words, "a").unwrap(), xs);
    }

    #[test]
    fn elementwise_ops_match_arkworks() {
        let n = 2 * CHUNK_ROWS + 3;
        let (xs, a) = sample(n, 2);
        let (ys, b) = sample(n, 3);
        let s = Fr::from(7u64);
        let expect = |f: &dyn Fn(usize) -> Fr| encode(&(0..n).map(f).collect::<Vec<_>>());
        assert_eq!(add::<Fr>(&a, &b).unwrap(), expect(&|i| xs[i] + ys[i]));
        assert_eq!(sub::<Fr>(&a, &b).unwrap(), expect(&|i| xs[i] - ys[i]));
        assert_eq!(mul::<Fr>(&a, &b).unwrap(), expect(&|i| xs[i] * ys[i]));
        assert_eq!(neg::<Fr>(&a).unwrap(), expect(&|i| -xs[i]));
        assert_eq!(scale::<Fr>(&a, s).unwrap(), expect(&|i| s * xs[i]));
        assert_eq!(
            axpy::<Fr>(&a, s, &b).unwrap(),
            expect(&|i| xs[i] + s * ys[i])
        );
        let ip: Fr = xs.iter().zip(&ys).map(|(x, y)| *x * y).sum();
        assert_eq!(inner_product::<Fr>(&a, &b).unwrap(), ip);
        assert_eq!(sum::<Fr>(&a).unwrap(), xs.iter().sum::<Fr>());
    }

    #[test]
    fn lengths_must_agree() {
        let (_, a) = sample(3, 4);
        let (_, b) = sample(2, 5);
        assert!(matches!(
            add::<Fr>(&a, &b),
            Err(InputError::ShapeMismatch(_))
        ));
        assert!(matches!(
            inner_product::<Fr>(&a, &b),
            Err(InputError::ShapeMismatch(_))
        ));
    }

    #[test]
    fn non_canonical_input_names_lowest_index() {
        let n = 3 * CHUNK_ROWS;
        let (_, mut a) = sample(n, 6);
        let (_, b) = sample(n, 7);
        for i in [2 * CHUNK_ROWS + 1, CHUNK_ROWS + 9] {
            a[LIMBS * i..LIMBS * (i + 1)].copy_from_slice(&modulus_words::<Fr>());
        }
        let want = InputError::NonCanonical {
            operand: "a",
            index: Some(CHUNK_ROWS + 9),
        };
        assert_eq!(mul::<Fr>(&a, &b).unwrap_err(), want);
        assert_eq!(sum::<Fr>(&a).unwrap_err(), want);
        assert_eq!(check_canonical::<Fr>(&a, "a").unwrap_err(), want);
        // The Fr modulus is below the Fq modulus, so the same words are a valid Fq vector.
        assert!(check_canonical::<Fq>(&a, "a").is_ok());
    }

    #[test]
    fn batch_inverse_inverts_and_reports_zero() {
        let n = 2 * CHUNK_ROWS + 1;
        let (xs, mut a) = sample(n, 8);
        let inverses = decode::<Fr>(&batch_inverse::<Fr>(&a).unwrap(), "a").unwrap();
        assert!(xs.iter().zip(&inverses).all(|(x, y)| *x * y == Fr::one()));
        a[LIMBS * (CHUNK_ROWS + 2)..LIMBS * (CHUNK_ROWS + 3)].fill(0);
        assert_eq!(
            batch_inverse::<Fr>(&a).unwrap_err(),
            InputError::ZeroInversion {
                operand: "a",
                index: CHUNK_ROWS + 2
            }
        );
    }

    #[test]
    fn powers_continue_across_chunks() {
        let base = Fr::from(3u64);
        let n = CHUNK_ROWS + 2;
        let got = decode::<Fr>(&powers(base, n), "p").unwrap();
        let mut x = Fr::one();
        for value in got {
            assert_eq!(value, x);
            x *= base;
        }
        assert!(powers(base, 0).is_empty());
    }

    #[test]
    fn random_is_deterministic_and_canonical() {
        let a = random::<Fq>(100, [9; 32]);
        assert_eq!(a, random::<Fq>(100, [9; 32]));
        assert_ne!(a, random::<Fq>(100, [10; 32]));
        assert!(check_canonical::<Fq>(&a, "a").is_ok());
    }

    #[test]
    fn bytes_round_trip_and_reject_bad_encodings() {
        let (_, a) = sample(5, 11);
        let bytes = to_bytes::<Fr>(&a).unwrap();
        assert_eq!(from_bytes::<Fr>(&bytes).unwrap(), a);
        assert!(matches!(
            from_bytes::<Fr>(&bytes[..31]),
            Err(InputError::WrongLength(_))
        ));
        let mut bad = bytes.clone();
        bad[32 * 3 + 31] = 0xff;
        assert_eq!(
            from_bytes::<Fr>(&bad).unwrap_err(),
            InputError::NonCanonical {
                operand: "the encoding",
                index: Some(3)
            }
        );
        let s = Fr::from(5u64);
        assert_eq!(
            scalar_from_bytes::<Fr>(&scalar_to_bytes(s), "s").unwrap(),
            s
        );
        assert!(matches!(
            scalar_from_bytes::<Fr>(&[0xff; 32], "s"),
            Err(InputError::NonCanonical { index: None, .. })
        ));
    }
}
