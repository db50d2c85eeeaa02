"""The size-parameterised benchmark circuit: x ← x³ + x + 5, repeated to 2^log2 constraints.

Each iteration is two constraints, x² = x · x and x² · x = y − x − 5, so a step of
2^(log2 − 1) iterations has exactly 2^log2 constraints and 2^log2 private variables.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.circuit.builtins.base import BuiltinStep, StepValues
from crypto.circuit.lc import Var
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
