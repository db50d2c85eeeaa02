"""Sparse matrices over FR or FQ in CSR form, for the R1CS products A·z, B·z, C·z.

The kernel validates the CSR arrays once and keeps the values in Montgomery form, so a product
converts only the vector. Row ``i`` holds the entries ``indptr[i]:indptr[i + 1]`` of
``indices`` (column numbers) and ``data`` (a field vector, one element per entry); columns in a
row need not be sorted, and a repeated column adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

import crypto._kernel as _kernel
from crypto.errors import LayoutError, MalformedMatrixError, ShapeMismatchError
from crypto.field import FQ, FR, PrimeField, Vector, as_vector

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.uint64), np.dtype(np.uint32))


def _index_array(values: npt.ArrayLike, name: str) -> npt.NDArray[Any]:
    """``values`` as a 1-D int64, uint64 or uint32 array (narrower integers are widened)."""
    array = np.asarray(values)
    if array.size == 0:
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise LayoutError(f"{name} has dtype {array.dtype}; it must hold integers")
    if array.ndim != 1:
        raise ShapeMismatchError(f"{name} has shape {array.shape}; it must be one-dimensional")
    if array.dtype not in _INDEX_DTYPES:
        array = array.astype(np.int64)
    return np.ascontiguousarray(array)


class SparseMatrix:
    """An immutable ``rows × cols`` matrix over ``field`` in CSR form."""

    __slots__ = ("_inner", "field")

    def __init__(
        self,
        field: PrimeField,
        rows: int,
        cols: int,
        indptr: npt.ArrayLike,
        indices: npt.ArrayLike,
        data: Vector,
    ) -> None:
        """Validates and stores CSR arrays.

        ``indptr``: ``rows + 1`` non-decreasing offsets from 0 to ``nnz`` (int64 or uint64);
        ``indices``: ``nnz`` column numbers below ``cols`` (uint32, uint64 or int64);
        ``data``: ``nnz`` canonical elements in the vector layout. Raises
        ``MalformedMatrixError``, ``ShapeMismatchError``, ``LayoutError`` or
        ``NonCanonicalEncodingError``.
        """
        if rows < 0 or cols < 0:
            raise ShapeMismatchError(f"a matrix cannot have {rows} rows and {cols} columns")
        self.field = field
        self._inner: Any = _kernel_class(field)(
            rows,
            cols,
            _index_array(indptr, "indptr"),
            _index_array(indices, "indices"),
            as_vector(data, "data"),
        )

    @classmethod
    def from_entries(
        cls, field: PrimeField, rows: int, cols: int, entries: Iterable[tuple[int, int, int]]
    ) -> SparseMatrix:
        """The matrix with the given ``(row, column, value)`` entries (values in ``[0, p)``).

        Entries may come in any order; repeated positions add up.
        """
        listed = list(entries)
        row_of = np.array([entry[0] for entry in listed], dtype=np.int64)
        if row_of.size and (row_of.min() < 0 or row_of.max() >= rows):
            bad = next(k for k, entry in enumerate(listed) if not 0 <= entry[0] < rows)
            raise MalformedMatrixError(
                f"entry {bad} is in row {listed[bad][0]}, outside the {rows} rows"
            )
        order = np.argsort(row_of, kind="stable")
        indptr = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=rows), out=indptr[1:])
        columns = np.array([listed[k][1] for k in order], dtype=np.int64)
        data = field.from_ints(listed[k][2] for k in order)
        return cls(field, rows, cols, indptr, columns, data)

    @property
    def rows(self) -> int:
        rows: int = self._inner.rows
        return rows

    @property
    def cols(self) -> int:
        cols: int = self._inner.cols
        return cols

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def nnz(self) -> int:
        """The number of stored entries."""
        nnz: int = self._inner.nnz
        return nnz

    def matvec(self, z: Vector) -> Vector:
        """``M · z`` for a field vector ``z`` of ``cols`` elements."""
        product: Vector = self._inner.matvec(as_vector(z, "z"))
        return product

    def bilinear(self, x: Vector, y: Vector) -> int:
        """``xᵀ · M · y`` for ``x`` of ``rows`` and ``y`` of ``cols`` elements, in one pass over
        the entries: with equality tables for ``x`` and ``y``, the matrix's multilinear
        extension at their two points."""
        value: bytes = self._inner.bilinear(as_vector(x, "x"), as_vector(y, "y"))
        return int.from_bytes(value, "little")

    def __matmul__(self, z: Vector) -> Vector:
        return self.matvec(z)

    def to_csr(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], Vector]:
        """The CSR arrays ``(indptr, indices, data)``, indices as uint64."""
        csr: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], Vector] = self._inner.to_csr()
        return csr

    def __repr__(self) -> str:
        return (
            f"SparseMatrix({self.field.name}, rows={self.rows}, cols={self.cols}, nnz={self.nnz})"
        )


def _kernel_class(field: PrimeField) -> Any:
    if field is FR:
        return _kernel.FrSparseMatrix
    if field is FQ:
        return _kernel.FqSparseMatrix
    raise ValueError(f"no kernel sparse matrix for {field!r}")
