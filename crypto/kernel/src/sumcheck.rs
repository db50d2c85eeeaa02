//! The inner loops of Spartan's sum-checks over multilinear tables in the limb layout.
//!
//! A table of length 2^k is a multilinear polynomial whose first variable is the top bit of the
//! index, so a round pairs `lo = v[i]` with `hi = v[i + half]`. Along that variable the table is
//! the line `lo + X·(hi − lo)`; at X = 2 and X = 3 it is `hi + d` and `hi + 2d` with
//! `d = hi − lo`, additions only. Every value stays in the "scaled" reading of its limbs (see
//! [`crate::field`]): a product of `j` scaled elements carries `R^-j`, which one multiplication
//! by a power of R removes after the sum.

use rayon::prelude::*;

use crate::field::{self, Field4, CHUNK_ROWS, LIMBS};
use crate::input::InputError;

/// The half length of a table that a round splits in two.
fn half(table: &[u64], operand: &str) -> Result<usize, InputError> {
    let n = field::rows(table);
    if n < 2 || !n.is_power_of_two() {
        return Err(InputError::ShapeMismatch(format!(
            "{operand} has {n} elements; a sum-check table has a power-of-two length ≥ 2"
        )));
    }
    Ok(n / 2)
}

/// The common half length of tables that go through a round together.
fn common_half(tables: &[(&[u64], &'static str)]) -> Result<usize, InputError> {
    let (first, name) = tables[0];
    let h = half(first, name)?;
    for &(table, operand) in &tables[1..] {
        if table.len() != first.len() {
            return Err(InputError::ShapeMismatch(format!(
                "{operand} has {} elements but {name} has {}; a round's tables have one length",
                field::rows(table),
                field::rows(first)
            )));
        }
    }
    Ok(h)
}

/// The scaled pair (lo, hi) of element `i` of the first half.
#[inline]
fn pair<F: Field4>(table: &[u64], i: usize, h: usize) -> (F, F) {
    (
        F::scaled(field::limbs(table, i)),
        F::scaled(field::limbs(table, i + h)),
    )
}

/// `Σ term(i)` over `0..h` in chunks of [`CHUNK_ROWS`], in parallel when there are several.
fn sum_pairs<F: Field4, const K: usize>(h: usize, term: impl Fn(usize) -> [F; K] + Sync) -> [F; K] {
    let add = |mut a: [F; K], b: [F; K]| {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
        a
    };
    let chunk = |c: usize| {
        (c * CHUNK_ROWS..h.min((c + 1) * CHUNK_ROWS))
            .fold([F::zero(); K], |acc, i| add(acc, term(i)))
    };
    let chunks = h.div_ceil(CHUNK_ROWS);
    if chunks <= 1 {
        return chunk(0);
    }
    (0..chunks)
        .into_par_iter()
        .map(chunk)
        .reduce(|| [F::zero(); K], add)
}

/// The 2^k values of `eq(r, x) = Π_j (r_j·x_j + (1 − r_j)(1 − x_j))`, x in index order (the
/// first variable the top bit): each variable splits every value `v` into `(v − v·r_j, v·r_j)`,
/// one multiplication per value of the level. Kept scaled (from the scaled one), so writing
/// the result converts nothing.
pub fn eq_table<F: Field4>(r: &[F]) -> Vec<u64> {
    let mut table = vec![F::scaled([1, 0, 0, 0])];
    for &r_j in r {
        let mut next = vec![F::zero(); 2 * table.len()];
        next.par_chunks_exact_mut(2)
            .with_min_len(CHUNK_ROWS)
            .zip(table.par_iter())
            .for_each(|(pair, &v)| {
                let high = v * r_j;
                pair[0] = v - high;
                pair[1] = high;
            });
        table = next;
    }
    let mut out = vec![0u64; table.len() * LIMBS];
    out.par_chunks_exact_mut(LIMBS)
        .with_min_len(CHUNK_ROWS)
        .zip(table.par_iter())
        .for_each(|(slot, &v)| field::write_scaled(v, slot));
    out
}

/// The table with its first variable bound to `r`: `lo + r·(hi − lo)`, half the length.
pub fn bind_top<F: Field4>(table: &[u64], r: F) -> Result<Vec<u64>, InputError> {
    let h = half(table, "the table")?;
    field::check_canonical::<F>(table, "the table")?;
    let mut out = vec![0u64; h * LIMBS];
    field::for_each_chunk::<_, InputError>(&mut out, LIMBS, |first, chunk| {
        for (j, slot) in chunk.chunks_exact_mut(LIMBS).enumerate() {
            let (lo, hi) = pair::<F>(table, first + j, h);
            field::write_scaled(lo + (hi - lo) * r, slot);
        }
        Ok(())
    })?;
    Ok(out)
}

/// One round of Spartan's outer sum-check: the values at X = 0, 2, 3 of
/// `g(X) = Σ_i eq(X, i)·(a(X, i)·b(X, i) − c(X, i))`, a polynomial of degree 3.
pub fn outer_round<F: Field4>(
    eq: &[u64],
    a: &[u64],
    b: &[u64],
    c: &[u64],
) -> Result<[F; 3], InputError> {
    let h = round_tables::<F>(&[(eq, "eq"), (a, "a"), (b, "b"), (c, "c")])?;
    // Per point: Σ eq·a·b carries R^-3 and Σ eq·c carries R^-2.
    let [p0, q0, p2, q2, p3, q3] = sum_pairs::<F, 6>(h, |i| {
        let (e0, e1) = pair::<F>(eq, i, h);
        let (a0, a1) = pair::<F>(a, i, h);
        let (b0, b1) = pair::<F>(b, i, h);
        let (c0, c1) = pair::<F>(c, i, h);
        let (de, da, db, dc) = (e1 - e0, a1 - a0, b1 - b0, c1 - c0);
        let (e2, a2, b2, c2) = (e1 + de, a1 + da, b1 + db, c1 + dc);
        let (e3, a3, b3, c3) = (e2 + de, a2 + da, b2 + db, c2 + dc);
        [
            e0 * a0 * b0,
            e0 * c0,
            e2 * a2 * b2,
            e2 * c2,
            e3 * a3 * b3,
            e3 * c3,
        ]
    });
    let r2 = F::RADIX.square();
    let r3 = r2 * F::RADIX;
    Ok([p0 * r3 - q0 * r2, p2 * r3 - q2 * r2, p3 * r3 - q3 * r2])
}

/// One round of a sum-check of a product of two tables: the values at X = 0, 2 of
/// `g(X) = Σ_i a(X, i)·b(X, i)`, a polynomial of degree 2.
pub fn product_round<F: Field4>(a: &[u64], b: &[u64]) -> Result<[F; 2], InputError> {
    let h = round_tables::<F>(&[(a, "a"), (b, "b")])?;
    let [s0, s2] = sum_pairs::<F, 2>(h, |i| {
        let (a0, a1) = pair::<F>(a, i, h);
        let (b0, b1) = pair::<F>(b, i, h);
        [a0 * b0, (a1 + a1 - a0) * (b1 + b1 - b0)]
    });
    let r2 = F::RADIX.square();
    Ok([s0 * r2, s2 * r2])
}

/// Checks that the tables of a round have one power-of-two length and canonical elements;
/// returns half that length.
fn round_tables<F: Field4>(tables: &[(&[u64], &'static str)]) -> Result<usize, InputError> {
    let h = common_half(tables)?;
    for &(table, operand) in tables {
        field::check_canonical::<F>(table, operand)?;
    }
    Ok(h)
}

#[cfg(feature = "python")]
pub mod py {
    //! `fr_bind_top`, `fr_outer_round`, `fr_product_round` and their `fq_` twins.

    use numpy::{PyArray2, PyReadonlyArray2};
    use pyo3::prelude::*;

    use crate::field::py::{compute, vector_array, words};
    use crate::field::{self, Field4};

    type Vector<'py> = PyResult<Bound<'py, PyArray2<u64>>>;

    fn table<'a>(
        py: Python<'_>,
        array: &'a PyReadonlyArray2<'_, u64>,
        operand: &str,
    ) -> PyResult<&'a [u64]> {
        words(array, operand).map_err(|e| e.into_pyerr(py))
    }

    fn scalar<F: Field4>(py: Python<'_>, bytes: &[u8]) -> PyResult<F> {
        field::scalar_from_bytes(bytes, "r").map_err(|e| e.into_pyerr(py))
    }

    macro_rules! sumcheck_functions {
        ($prefix:ident, $field:ty) => {
            paste::paste! {
                /// The equality table of the point `r` (a field vector of its coordinates).
                #[pyfunction]
                fn [<$prefix _eq_table>]<'py>(
                    py: Python<'py>,
                    r: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    let r = table(py, &r, "r")?;
                    let table = compute(py, || {
                        let r = field::decode::<$field>(r, "r")?;
                        Ok(super::eq_table(&r))
                    })?;
                    Ok(vector_array(py, table))
                }

                /// The table with its first variable bound to r (32 bytes little-endian).
                #[pyfunction]
                fn [<$prefix _bind_top>]<'py>(
                    py: Python<'py>,
                    table: PyReadonlyArray2<'py, u64>,
                    r: &[u8],
                ) -> Vector<'py> {
                    let r = scalar::<$field>(py, r)?;
                    let table = self::table(py, &table, "the table")?;
                    Ok(vector_array(py, compute(py, || super::bind_top(table, r))?))
                }

                /// The outer round's values at 0, 2, 3 as a vector of three elements.
                #[pyfunction]
                fn [<$prefix _outer_round>]<'py>(
                    py: Python<'py>,
                    eq: PyReadonlyArray2<'py, u64>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                    c: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    let (eq, a) = (table(py, &eq, "eq")?, table(py, &a, "a")?);
                    let (b, c) = (table(py, &b, "b")?, table(py, &c, "c")?);
                    let values = compute(py, || super::outer_round::<$field>(eq, a, b, c))?;
                    Ok(vector_array(py, field::encode(&values)))
                }

                /// The product round's values at 0, 2 as a vector of two elements.
                #[pyfunction]
                fn [<$prefix _product_round>]<'py>(
                    py: Python<'py>,
                    a: PyReadonlyArray2<'py, u64>,
                    b: PyReadonlyArray2<'py, u64>,
                ) -> Vector<'py> {
                    let (a, b) = (table(py, &a, "a")?, table(py, &b, "b")?);
                    let values = compute(py, || super::product_round::<$field>(a, b))?;
                    Ok(vector_array(py, field::encode(&values)))
                }
            }
        };
    }

    sumcheck_functions!(fr, ark_bn254::Fr);
    sumcheck_functions!(fq, ark_bn254::Fq);

    /// Adds the sum-check functions of both fields to the kernel module.
    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(fr_eq_table, m)?)?;
        m.add_function(wrap_pyfunction!(fq_eq_table, m)?)?;
        m.add_function(wrap_pyfunction!(fr_bind_top, m)?)?;
        m.add_function(wrap_pyfunction!(fr_outer_round, m)?)?;
        m.add_function(wrap_pyfunction!(fr_product_round, m)?)?;
        m.add_function(wrap_pyfunction!(fq_bind_top, m)?)?;
        m.add_function(wrap_pyfunction!(fq_outer_round, m)?)?;
        m.add_function(wrap_pyfunction!(fq_product_round, m)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr};
    use ark_ff::One;

    fn table<F: Field4>(n: usize, seed: u8) -> (Vec<F>, Vec<u64>) {
        let words = field::random::<F>(n, [seed; 32]);
        (field::decode(&words, "t").unwrap(), words)
    }

    /// The line through (lo, hi) at x.
    fn at<F: Field4>(v: &[F], i: usize, x: F) -> F {
        let h = v.len() / 2;
        v[i] + x * (v[i + h] - v[i])
    }

    fn check_rounds<F: Field4>(n: usize) {
        let (eq, eq_w) = table::<F>(n, 1);
        let (a, a_w) = table::<F>(n, 2);
        let (b, b_w) = table::<F>(n, 3);
        let (c, c_w) = table::<F>(n, 4);
        let points = [F::zero(), F::from(2u64), F::from(3u64)];
        let expect = points.map(|x| {
            (0..n / 2)
                .map(|i| at(&eq, i, x) * (at(&a, i, x) * at(&b, i, x) - at(&c, i, x)))
                .sum::<F>()
        });
        assert_eq!(outer_round::<F>(&eq_w, &a_w, &b_w, &c_w).unwrap(), expect);
        let expect = [points[0], points[1]]
            .map(|x| (0..n / 2).map(|i| at(&a, i, x) * at(&b, i, x)).sum::<F>());
        assert_eq!(product_round::<F>(&a_w, &b_w).unwrap(), expect);
        let r = F::from(12345u64).inverse().unwrap();
        let bound: Vec<F> = (0..n / 2).map(|i| at(&a, i, r)).collect();
        assert_eq!(bind_top(&a_w, r).unwrap(), field::encode(&bound));
    }

    #[test]
    fn rounds_match_the_definition_across_chunks() {
        check_rounds::<Fr>(8);
        check_rounds::<Fr>(4 * CHUNK_ROWS);
        check_rounds::<Fq>(2 * CHUNK_ROWS);
    }

    #[test]
    fn eq_table_matches_the_product_formula() {
        let r: Vec<Fq> = (2..6u64).map(|v| Fq::from(v * 1000 + 7)).collect();
        let got = field::decode::<Fq>(&eq_table(&r), "eq").unwrap();
        assert_eq!(got.len(), 16);
        for (x, value) in got.iter().enumerate() {
            let expected: Fq = r
                .iter()
                .enumerate()
                .map(|(j, &r_j)| {
                    if (x >> (3 - j)) & 1 == 1 {
                        r_j
                    } else {
                        Fq::one() - r_j
                    }
                })
                .product();
            assert_eq!(*value, expected);
        }
        let long = eq_table(&vec![Fr::from(3u64); 12]);
        let sum = field::sum::<Fr>(&long).unwrap();
        assert_eq!(sum, Fr::one());
        assert_eq!(eq_table::<Fr>(&[]), field::encode(&[Fr::one()]));
    }

    #[test]
    fn rejects_bad_tables() {
        let (_, a) = table::<Fr>(4, 5);
        let (_, b) = table::<Fr>(8, 6);
        let (_, odd) = table::<Fr>(3, 7);
        let mismatch =
            |r: Result<[Fr; 2], InputError>| matches!(r, Err(InputError::ShapeMismatch(_)));
        assert!(mismatch(product_round::<Fr>(&a, &b)));
        assert!(mismatch(product_round::<Fr>(&odd, &odd)));
        assert!(matches!(
            bind_top::<Fr>(&odd, Fr::one()),
            Err(InputError::ShapeMismatch(_))
        ));
        let mut bad = a.clone();
        bad[LIMBS..2 * LIMBS].copy_from_slice(&Fr::MODULUS_LIMBS);
        assert_eq!(
            product_round::<Fr>(&a, &bad).unwrap_err(),
            InputError::NonCanonical {
                operand: "b",
                index: Some(1)
            }
        );
    }
}
