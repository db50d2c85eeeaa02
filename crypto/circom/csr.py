"""Sparse matrices in compressed sparse row form, as plain ints, and their array layout.

The circom reader produces this plain form so that it depends on nothing else in the engine;
`to_arrays` is the one place that turns it into the numpy layout the kernel takes (field
coefficients as canonical 4×u64 little-endian limbs, as every field vector in the project).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class CSRMatrix:
    """An `n_rows × n_cols` matrix: row i holds `values[indptr[i]:indptr[i+1]]` at columns
    `indices[indptr[i]:indptr[i+1]]`, columns strictly increasing within a row."""

    n_rows: int
    n_cols: int
    indptr: tuple[int, ...]
    indices: tuple[int, ...]
    values: tuple[int, ...]

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return len(self.indices)

    def row(self, i: int) -> tuple[tuple[int, int], ...]:
        """Row i as (column, value) pairs."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return tuple(zip(self.indices[lo:hi], self.values[lo:hi], strict=True))

    def to_arrays(self) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.uint64]]:
        """(indptr, indices, values) as numpy arrays; values as an `(nnz, 4)` field vector."""
        indptr = np.asarray(self.indptr, dtype=np.uint64)
        indices = np.asarray(self.indices, dtype=np.uint64)
        return indptr, indices, field_vector(self.values)


def field_vector(values: Sequence[int]) -> NDArray[np.uint64]:
    """Canonical field elements as the project's field-vector layout: `(n, 4)` uint64 limbs,
    least significant first. The caller guarantees each value is in [0, p)."""
    raw = b"".join(v.to_bytes(32, "little") for v in values)
    limbs = np.frombuffer(raw, dtype="<u8").reshape(len(values), 4)
    return limbs.astype(np.uint64)  # a native-order, writable, C-contiguous copy
