"""CSR matrix-vector products against the reference, and rejection of malformed CSR arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    LayoutError,
    MalformedMatrixError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
)
from crypto.field import FQ, FR, PrimeField
from crypto.reference.sparse import csr_matvec
from crypto.sparse import SparseMatrix

FIELDS = pytest.mark.parametrize("field", [FR, FQ], ids=["Fr", "Fq"])


def elements(p: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, p - 1]), st.integers(0, p - 1))


@st.composite
def matrices(draw: st.DrawFn, p: int) -> tuple[int, int, list[tuple[int, int, int]], list[int]]:
    rows, cols = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    entry = st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1), elements(p))
    entries = draw(st.lists(entry, max_size=20)) if rows and cols else []
    z = draw(st.lists(elements(p), min_size=cols, max_size=cols))
    return rows, cols, entries, z


def csr_of(
    rows: int, entries: list[tuple[int, int, int]]
) -> tuple[list[int], list[int], list[int]]:
    ordered = sorted(entries, key=lambda e: e[0])
    indptr = [sum(1 for e in ordered if e[0] < i) for i in range(rows + 1)]
    return indptr, [e[1] for e in ordered], [e[2] for e in ordered]


@FIELDS
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_matvec_matches_reference(field: PrimeField, data: st.DataObject) -> None:
    p = field.modulus
    rows, cols, entries, z = data.draw(matrices(p))
    m = SparseMatrix.from_entries(field, rows, cols, entries)
    indptr, indices, values = csr_of(rows, entries)
    assert (m.rows, m.cols, m.nnz, m.shape) == (rows, cols, len(entries), (rows, cols))
    expected = csr_matvec(p, indptr, indices, values, z)
    assert field.to_ints(m.matvec(field.from_ints(z))) == expected
    assert field.to_ints(m @ field.from_ints(z)) == expected
    got_indptr, got_indices, got_data = m.to_csr()
    assert got_indptr.tolist() == indptr and got_indices.tolist() == indices
    assert field.to_ints(got_data) == values


def test_accepts_every_documented_index_dtype() -> None:
    data = FR.from_ints([2, 3, 5])
    z = FR.from_ints([1, 10, 100])
    expected = [2 * 1 + 3 * 10, 0, 5 * 100]
    for indptr_dtype in (np.int64, np.uint64, np.int32):
        for indices_dtype in (np.uint32, np.uint64, np.int64, np.uint16):
            indptr = np.array([0, 2, 2, 3], dtype=indptr_dtype)
            indices = np.array([0, 1, 2], dtype=indices_dtype)
            m = SparseMatrix(FR, 3, 3, indptr, indices, data)
            assert FR.to_ints(m.matvec(z)) == expected
    assert FR.to_ints(SparseMatrix(FR, 3, 3, [0, 2, 2, 3], [0, 1, 2], data).matvec(z)) == expected


def test_unsorted_and_repeated_columns_add_up() -> None:
    m = SparseMatrix(FR, 1, 3, [0, 3], [2, 0, 2], FR.from_ints([1, 4, 6]))
    assert FR.to_ints(m.matvec(FR.from_ints([1, 2, 3]))) == [4 + 3 * 7]


def test_large_matrix_takes_the_parallel_path() -> None:
    rows = cols = 3000
    rng = np.random.default_rng(5)
    entries = [
        (i, int(c), int(v))
        for i in range(rows)
        for c, v in zip(rng.integers(0, cols, 2), rng.integers(0, 2**62, 2), strict=True)
    ]
    m = SparseMatrix.from_entries(FR, rows, cols, entries)
    z = FR.random(cols, seed=4)
    indptr, indices, values = csr_of(rows, entries)
    expected = csr_matvec(FR.modulus, indptr, indices, values, FR.to_ints(z))
    assert FR.to_ints(m.matvec(z)) == expected


def test_empty_matrices() -> None:
    assert SparseMatrix(FR, 0, 0, [0], [], FR.zeros(0)).matvec(FR.zeros(0)).shape == (0, 4)
    m = SparseMatrix(FR, 2, 3, [0, 0, 0], [], FR.zeros(0))
    assert FR.to_ints(m.matvec(FR.from_ints([1, 2, 3]))) == [0, 0]
    assert "rows=2, cols=3, nnz=0" in repr(m)


def test_rejects_bad_csr_structure() -> None:
    data = FR.from_ints([1, 2])

    def build(indptr: list[int], indices: list[int], rows: int = 2, cols: int = 2) -> None:
        SparseMatrix(FR, rows, cols, indptr, indices, data)

    build([0, 1, 2], [0, 1])  # the valid base case
    with pytest.raises(ShapeMismatchError, match="indptr has 2 offsets"):
        build([0, 2], [0, 1])
    with pytest.raises(MalformedMatrixError, match="indptr\\[0\\]"):
        build([1, 1, 2], [0, 1])
    with pytest.raises(MalformedMatrixError, match="decreases"):
        build([0, 2, 1], [0, 1])
    with pytest.raises(MalformedMatrixError, match="ends at"):
        build([0, 1, 1], [0, 1])
    with pytest.raises(MalformedMatrixError, match="column 2"):
        build([0, 1, 2], [0, 2])
    with pytest.raises(MalformedMatrixError, match="negative"):
        build([0, -1, 2], [0, 1])
    with pytest.raises(MalformedMatrixError, match="negative"):
        build([0, 1, 2], [0, -1])
    with pytest.raises(ShapeMismatchError, match="data has 2"):
        build([0, 1, 3], [0, 1, 1])
    with pytest.raises(ShapeMismatchError):
        SparseMatrix(FR, -1, 2, [0], [], FR.zeros(0))


def test_rejects_bad_arrays() -> None:
    data = FR.from_ints([1, 2])
    with pytest.raises(LayoutError):
        SparseMatrix(FR, 2, 2, np.array([0.0, 1.0, 2.0]), [0, 1], data)
    with pytest.raises(ShapeMismatchError):
        SparseMatrix(FR, 2, 2, np.array([[0, 1, 2]]), [0, 1], data)
    with pytest.raises(LayoutError):
        SparseMatrix(FR, 2, 2, [0, 1, 2], [0, 1], data.astype(np.int64))
    bad = data.copy()
    bad[1] = [2**64 - 1] * 4
    with pytest.raises(NonCanonicalEncodingError, match="element 1 of data"):
        SparseMatrix(FR, 2, 2, [0, 1, 2], [0, 1], bad)
    with pytest.raises(NonCanonicalEncodingError):
        SparseMatrix.from_entries(FR, 1, 1, [(0, 0, FR.modulus)])
    with pytest.raises(MalformedMatrixError, match="row 5"):
        SparseMatrix.from_entries(FR, 2, 2, [(0, 0, 1), (5, 0, 1)])


def test_matvec_checks_its_vector() -> None:
    m = SparseMatrix(FQ, 1, 2, [0, 2], [0, 1], FQ.from_ints([1, 1]))
    with pytest.raises(ShapeMismatchError, match="2 columns"):
        m.matvec(FQ.zeros(3))
    z = FQ.zeros(2)
    z[1] = [2**64 - 1] * 4
    with pytest.raises(NonCanonicalEncodingError, match="element 1 of z"):
        m.matvec(z)
    with pytest.raises(LayoutError):
        m.matvec(np.zeros((2, 4), dtype=np.uint32))  # type: ignore[arg-type]
