"""The size-parameterised benchmark circuit: x ← x³ + x + 5, repeated to 2^log2 constraints.

Each iteration is two constraints, x² = x · x and x² · x = y − x − 5, so a step of
2^(log2 − 1) iterations has exactly 2^log2 constraints and 2^log2 private variables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crypto.circuit.builtins.base import BuiltinStep, StepValues, csr_matrix
from crypto.circuit.lc import Var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.system import ConstraintSystem
from crypto.errors import UnsupportedParameterError
from crypto.field import FR

MAX_LOG2 = 26
"""Largest size accepted: a step of 2^26 constraints is already far past what one machine folds
in a step's time budget."""


class Cubic(BuiltinStep):
    """Nova's cubic example as a step circuit of arity 1 and 2^`log2` constraints."""

    def __init__(self, log2: int) -> None:
        if isinstance(log2, bool) or not isinstance(log2, int) or not 1 <= log2 <= MAX_LOG2:
            raise UnsupportedParameterError(
                f"cubic: log2 must be an integer from 1 to {MAX_LOG2} (two constraints an "
                f"iteration); got {log2!r}"
            )
        self.log2 = log2
        self.iterations = 1 << (log2 - 1)

    @property
    def arity(self) -> int:
        return 1

    @property
    def key(self) -> str:
        return f"builtin:cubic?log2={self.log2}"

    def constrain(self, cs: ConstraintSystem, z: Sequence[Var]) -> list[Var]:
        (x,) = z
        for i in range(self.iterations):
            with cs.namespace(f"iteration{i}"):
                x = _iteration(cs, x)
        return [x]

    def values(self, z: Sequence[int]) -> StepValues:
        p = FR.modulus
        (x,) = z
        private: list[int] = []
        append = private.append
        for _ in range(self.iterations):
            x2 = x * x % p
            x = (x2 * x + x + 5) % p
            append(x2)
            append(x)
        return StepValues(private, [len(private)])

    def direct_shape(self) -> R1CSShape:
        # Columns: 0 the constant, 1 = x_0, then private 2i = x²_i (column 2i + 2) and
        # 2i + 1 = y_i = x_{i+1} (column 2i + 3); so x_i sits in column 2i + 1 for every i.
        m = self.iterations
        n = 2 * m
        i = np.arange(m, dtype=np.int64)
        x, x2, y = 2 * i + 1, 2 * i + 2, 2 * i + 3
        ones = np.ones(n, dtype=np.int64)
        a = csr_matrix(ones, np.arange(1, n + 1, dtype=np.int64), ones)  # x_i, then x²_i
        b = csr_matrix(ones, np.repeat(x, 2), ones)  # x_i twice
        # Row 2i: x²_i. Row 2i + 1: y_i − x_i − 5 over columns (0, x_i, y_i).
        c_counts = np.tile(np.array([1, 3], dtype=np.int64), m)
        c_indices = np.stack([x2, np.zeros(m, dtype=np.int64), x, y], axis=1).reshape(-1)
        c_coefficients = np.tile(np.array([1, -5, -1, 1], dtype=np.int64), m)
        c = csr_matrix(c_counts, c_indices, c_coefficients)
        names = [name for k in range(m) for name in (f"iteration{k}/square", f"iteration{k}/cube")]
        return R1CSShape.from_csr(FR, n, 1, n, [a, b, c], names)

    def step(self, z: Sequence[int]) -> list[int]:
        p = FR.modulus
        (x,) = z
        for _ in range(self.iterations):
            x = (x * x * x + x + 5) % p
        return [x]


def _iteration(cs: ConstraintSystem, x: Var) -> Var:
    """y = x³ + x + 5 in two constraints."""
    x2 = cs.alloc(lambda: cs.value(x) ** 2, "x^2")
    cs.enforce(x, x, x2, "square")
    y = cs.alloc(lambda: cs.value(x2) * cs.value(x) + cs.value(x) + 5, "y")
    cs.enforce(x2, x, lambda: y - x - 5, "cube")
    return y
