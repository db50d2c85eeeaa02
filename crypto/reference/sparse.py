"""Sparse matrix-vector products from CSR arrays, one row at a time."""

from __future__ import annotations

from collections.abc import Sequence


def csr_matvec(
    p: int, indptr: Sequence[int], indices: Sequence[int], data: Sequence[int], z: Sequence[int]
) -> list[int]:
    """``(M · z)_i = Σ data[k] · z[indices[k]]`` over the entries ``k`` of row ``i``."""
    return [
        sum(data[k] * z[indices[k]] for k in range(indptr[i], indptr[i + 1])) % p
        for i in range(len(indptr) - 1)
    ]
