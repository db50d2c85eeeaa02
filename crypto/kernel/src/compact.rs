//! Compact witnesses: a field vector stored as one tag byte per element plus the few elements
//! that are not 0, 1 or −1.
//!
//! R1CS witnesses are mostly bits, so the tags alone (1 byte instead of 32) carry most of a
//! witness, and an MSM can add or subtract the bases of ±1 entries instead of multiplying them.
//! `others` lists the TAG_OTHER values in order of appearance, in the limb layout. The form is
//! canonical: an element that has a tag of its own never appears in `others`.
//!
//! Both directions only compare and copy canonical limbs; nothing is converted to Montgomery form.

use rayon::prelude::*;

use crate::field::{self, Field4, LIMBS};
use crate::input::InputError;

pub const TAG_ZERO: u8 = 0;
pub const TAG_ONE: u8 = 1;
pub const TAG_MINUS_ONE: u8 = 2;
pub const TAG_OTHER: u8 = 3;

/// Elements per parallel task: the work per element is a few comparisons.
const CHUNK: usize = 1 << 14;

const ZERO_LIMBS: [u64; LIMBS] = [0; LIMBS];
const ONE_LIMBS: [u64; LIMBS] = [1, 0, 0, 0];

fn minus_one_limbs<F: Field4>() -> [u64; LIMBS] {
    let mut limbs = F::MODULUS_LIMBS;
    limbs[0] -= 1; // the modulus is odd: no borrow
    limbs
}

/// The tag of a canonical element.
#[inline]
fn classify(row: &[u64], minus_one: &[u64; LIMBS]) -> u8 {
    if row == ZERO_LIMBS {
        TAG_ZERO
    } else if row == ONE_LIMBS {
        TAG_ONE
    } else if row == minus_one {
        TAG_MINUS_ONE
    } else {
        TAG_OTHER
    }
}

/// The first error of a per-chunk result list, or the values.
fn in_order<T>(results: Vec<Result<T, InputError>>) -> Result<Vec<T>, InputError> {
    results.into_iter().collect()
}

/// Cuts `others` into consecutive slices of `counts[c]` rows each.
fn split_rows<'a>(mut others: &'a mut [u64], counts: &[usize]) -> Vec<&'a mut [u64]> {
    counts
        .iter()
        .map(|&count| {
            let (head, tail) = std::mem::take(&mut others).split_at_mut(count * LIMBS);
            others = tail;
            head
        })
        .collect()
}

/// Splits a dense vector into `(tags, others)`.
pub fn from_dense<F: Field4>(dense: &[u64]) -> Result<(Vec<u8>, Vec<u64>), InputError> {
    let minus_one = minus_one_limbs::<F>();
    let mut tags = vec![TAG_ZERO; field::rows(dense)];
    let counts = in_order(
        tags.par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut others = 0;
                for (j, tag) in chunk.iter_mut().enumerate() {
                    let i = c * CHUNK + j;
                    let row = &dense[LIMBS * i..LIMBS * (i + 1)];
                    if !field::is_canonical::<F>(row) {
                        return Err(InputError::NonCanonical {
                            operand: "the vector",
                            index: Some(i),
                        });
                    }
                    *tag = classify(row, &minus_one);
                    others += usize::from(*tag == TAG_OTHER);
                }
                Ok(others)
            })
            .collect(),
    )?;
    let mut others = vec![0u64; counts.iter().sum::<usize>() * LIMBS];
    tags.par_chunks(CHUNK)
        .zip(split_rows(&mut others, &counts))
        .enumerate()
        .for_each(|(c, (chunk, mut out))| {
            for (j, &tag) in chunk.iter().enumerate() {
                if tag == TAG_OTHER {
                    let i = c * CHUNK + j;
                    let (row, rest) = out.split_at_mut(LIMBS);
                    row.copy_from_slice(&dense[LIMBS * i..LIMBS * (i + 1)]);
                    out = rest;
                }
            }
        });
    Ok((tags, others))
}

/// Validates `(tags, others)` and returns how many TAG_OTHER entries each chunk of tags has.
fn check_counts<F: Field4>(tags: &[u8], others: &[u64]) -> Result<Vec<usize>, InputError> {
    let counts = in_order(
        tags.par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut others = 0;
                for (j, &tag) in chunk.iter().enumerate() {
                    if tag > TAG_OTHER {
                        return Err(InputError::InvalidTag {
                            index: c * CHUNK + j,
                            tag,
                        });
                    }
                    others += usize::from(tag == TAG_OTHER);
                }
                Ok(others)
            })
            .collect(),
    )?;
    let expected = counts.iter().sum::<usize>();
    if expected != field::rows(others) {
        return Err(InputError::ShapeMismatch(format!(
            "the tags mark {expected} elements as other but {} are given",
            field::rows(others)
        )));
    }
    field::check_canonical::<F>(others, "others")?;
    let minus_one = minus_one_limbs::<F>();
    let tagged = others
        .par_chunks_exact(LIMBS)
        .position_first(|row| classify(row, &minus_one) != TAG_OTHER);
    if let Some(k) = tagged {
        return Err(InputError::NonCanonicalForm(format!(
            "others[{k}] is 0, 1 or -1, which have tags of their own"
        )));
    }
    Ok(counts)
}

/// Checks that `(tags, others)` is a compact vector in canonical form.
pub fn check<F: Field4>(tags: &[u8], others: &[u64]) -> Result<(), InputError> {
    check_counts::<F>(tags, others).map(|_| ())
}

/// The dense vector that `(tags, others)` stands for.
pub fn to_dense<F: Field4>(tags: &[u8], others: &[u64]) -> Result<Vec<u64>, InputError> {
    let counts = check_counts::<F>(tags, others)?;
    let minus_one = minus_one_limbs::<F>();
    let mut dense = vec![0u64; tags.len() * LIMBS];
    let mut starts = Vec::with_capacity(counts.len());
    let mut next = 0;
    for count in &counts {
        starts.push(next);
        next += count;
    }
    dense
        .par_chunks_mut(CHUNK * LIMBS)
        .zip(tags.par_chunks(CHUNK))
        .zip(starts)
        .for_each(|((out, chunk), start)| {
            let mut k = start;
            for (slot, &tag) in out.chunks_exact_mut(LIMBS).zip(chunk) {
                match tag {
                    TAG_ZERO => {}
                    TAG_ONE => slot.copy_from_slice(&ONE_LIMBS),
                    TAG_MINUS_ONE => slot.copy_from_slice(&minus_one),
                    _ => {
                        slot.copy_from_slice(&others[LIMBS * k..LIMBS * (k + 1)]);
                        k += 1;
                    }
                }
            }
        });
    Ok(dense)
}

#[cfg(feature = "python")]
pub mod py {
    //! `fr_compact_*` / `fq_compact_*`: conversions between dense and compact vectors.

    use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
    use pyo3::prelude::*;

    use crate::field::py::{compute, vector_array, words};
    use crate::input::InputError;

    fn tag_bytes<'a>(tags: &'a PyReadonlyArray1<'_, u8>) -> Result<&'a [u8], InputError> {
        tags.as_slice()
            .map_err(|_| InputError::Layout("tags is not contiguous".into()))
    }

    macro_rules! compact_functions {
        ($prefix:ident, $field:ty) => {
            paste::paste! {
                /// (tags uint8 (n,), others uint64 (k, 4)) for a dense field vector.
                #[pyfunction]
                #[allow(clippy::type_complexity)]
                fn [<$prefix _compact_from_dense>]<'py>(
                    py: Python<'py>,
                    dense: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<(Bound<'py, PyArray1<u8>>, Bound<'py, PyArray2<u64>>)> {
                    let dense = words(&dense, "the vector").map_err(|e| e.into_pyerr(py))?;
                    let (tags, others) = compute(py, || super::from_dense::<$field>(dense))?;
                    Ok((PyArray1::from_vec(py, tags), vector_array(py, others)))
                }

                /// The dense field vector of a compact one; validates it first.
                #[pyfunction]
                fn [<$prefix _compact_to_dense>]<'py>(
                    py: Python<'py>,
                    tags: PyReadonlyArray1<'py, u8>,
                    others: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<Bound<'py, PyArray2<u64>>> {
                    let tags = tag_bytes(&tags).map_err(|e| e.into_pyerr(py))?;
                    let others = words(&others, "others").map_err(|e| e.into_pyerr(py))?;
                    Ok(vector_array(py, compute(py, || super::to_dense::<$field>(tags, others))?))
                }

                /// Raises unless (tags, others) is a compact vector in canonical form.
                #[pyfunction]
                fn [<$prefix _compact_check>]<'py>(
                    py: Python<'py>,
                    tags: PyReadonlyArray1<'py, u8>,
                    others: PyReadonlyArray2<'py, u64>,
                ) -> PyResult<()> {
                    let tags = tag_bytes(&tags).map_err(|e| e.into_pyerr(py))?;
                    let others = words(&others, "others").map_err(|e| e.into_pyerr(py))?;
                    compute(py, || super::check::<$field>(tags, others))
                }
            }
        };
    }

    compact_functions!(fr, ark_bn254::Fr);
    compact_functions!(fq, ark_bn254::Fq);

    /// Adds the `fr_compact_*` and `fq_compact_*` functions to the kernel module.
    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(fr_compact_from_dense, m)?)?;
        m.add_function(wrap_pyfunction!(fr_compact_to_dense, m)?)?;
        m.add_function(wrap_pyfunction!(fr_compact_check, m)?)?;
        m.add_function(wrap_pyfunction!(fq_compact_from_dense, m)?)?;
        m.add_function(wrap_pyfunction!(fq_compact_to_dense, m)?)?;
        m.add_function(wrap_pyfunction!(fq_compact_check, m)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ff::PrimeField;

    fn sample(n: usize) -> Vec<u64> {
        // Mostly bits, some −1 and random values, spread over several chunks.
        let randoms = field::random::<Fr>(n, [3; 32]);
        let minus_one = minus_one_limbs::<Fr>();
        let mut dense = vec![0u64; n * LIMBS];
        for (i, slot) in dense.chunks_exact_mut(LIMBS).enumerate() {
            match i % 7 {
                0 | 3 => slot.copy_from_slice(&ONE_LIMBS),
                5 => slot.copy_from_slice(&minus_one),
                6 => slot.copy_from_slice(&randoms[LIMBS * i..LIMBS * (i + 1)]),
                _ => {}
            }
        }
        dense
    }

    #[test]
    fn round_trip_across_chunks() {
        let n = 3 * CHUNK + 11;
        let dense = sample(n);
        let (tags, others) = from_dense::<Fr>(&dense).unwrap();
        assert_eq!(tags.len(), n);
        assert_eq!(field::rows(&others), n / 7);
        assert_eq!(tags[5], TAG_MINUS_ONE);
        assert_eq!(tags[6], TAG_OTHER);
        assert_eq!(&others[..LIMBS], &dense[6 * LIMBS..7 * LIMBS]);
        assert_eq!(to_dense::<Fr>(&tags, &others).unwrap(), dense);
    }

    #[test]
    fn rejects_malformed_compact_vectors() {
        let dense = sample(20);
        let (tags, others) = from_dense::<Fr>(&dense).unwrap();
        let mut bad_tags = tags.clone();
        bad_tags[4] = 4;
        assert_eq!(
            to_dense::<Fr>(&bad_tags, &others).unwrap_err(),
            InputError::InvalidTag { index: 4, tag: 4 }
        );
        assert!(matches!(
            to_dense::<Fr>(&tags, &others[LIMBS..]),
            Err(InputError::ShapeMismatch(_))
        ));
        let mut one_as_other = others.clone();
        one_as_other[..LIMBS].copy_from_slice(&ONE_LIMBS);
        assert!(matches!(
            check::<Fr>(&tags, &one_as_other),
            Err(InputError::NonCanonicalForm(_))
        ));
        let mut too_big = others.clone();
        too_big[LIMBS..2 * LIMBS].copy_from_slice(&Fr::MODULUS.0);
        assert_eq!(
            check::<Fr>(&tags, &too_big).unwrap_err(),
            InputError::NonCanonical {
                operand: "others",
                index: Some(1)
            }
        );
    }

    #[test]
    fn from_dense_rejects_non_canonical() {
        let mut dense = sample(10);
        dense[LIMBS * 2..LIMBS * 3].copy_from_slice(&Fr::MODULUS.0);
        assert_eq!(
            from_dense::<Fr>(&dense).unwrap_err(),
            InputError::NonCanonical {
                operand: "the vector",
                index: Some(2)
            }
        );
    }
}
