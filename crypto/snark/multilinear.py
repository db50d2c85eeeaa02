"""Multilinear extensions of field vectors, in the variable order the SNARK uses everywhere.

A vector ``v`` of length 2^k is the table of a multilinear polynomial ṽ in k variables:
``ṽ(b_0, …, b_{k-1}) = v[i]`` where ``b_0`` is the **most significant** bit of ``i``. So binding
the first variable to ``r_0`` folds the two halves: ``v'[i] = v[i] + r_0·(v[i + 2^(k-1)] − v[i])``.
``eq(r)`` is the table of ``x ↦ Π_j (r_j·x_j + (1 − r_j)(1 − x_j))``, and ``ṽ(r) = ⟨v, eq(r)⟩``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import crypto._kernel as _kernel
from crypto.errors import ShapeMismatchError
from crypto.field import PrimeField, Vector


def eq_table(field: PrimeField, r: Sequence[int]) -> Vector:
    """The 2^len(r) values of eq(r, x), x in index order (first variable = top bit).

    Computed by the kernel: each variable splits every value v into (v − v·r_j, v·r_j).
    """
    table: Vector = getattr(_kernel, f"{field.kernel_prefix}_eq_table")(field.from_ints(r))
    return table


def bind_top(field: PrimeField, v: Vector, r: int) -> Vector:
    """ṽ with its first variable fixed to ``r``: half the length."""
    half = _half(v)
    low, high = v[:half], v[half:]
    return field.axpy(low, r, field.sub(high, low))


def evaluate(field: PrimeField, v: Vector, r: Sequence[int]) -> int:
    """ṽ(r); ``len(v)`` must be 2^len(r)."""
    if len(v) != 1 << len(r):
        raise ShapeMismatchError(
            f"a multilinear table of {len(v)} values cannot be evaluated at {len(r)} variables; "
            f"it needs {1 << len(r)}"
        )
    return field.inner_product(v, eq_table(field, r))


def padded(field: PrimeField, v: Vector, n: int) -> Vector:
    """``v`` followed by zeros up to length ``n`` (a power of two at least ``len(v)``)."""
    if n < len(v) or n & (n - 1):
        raise ShapeMismatchError(f"cannot pad {len(v)} values to {n}: not a power of two above")
    if n == len(v):
        return v
    return np.concatenate([v, field.zeros(n - len(v))])


def _half(v: Vector) -> int:
    n = len(v)
    if n < 2 or n & (n - 1):
        raise ShapeMismatchError(f"a multilinear table has a power-of-two length ≥ 2, got {n}")
    return n // 2
