"""MinRoot, the VDF Nova's example folds: k iterations of a fifth root per step.

State (x, y); one iteration is x' = (x + y)^(1/5), y' = x. The root is slow to compute (an
exponentiation by a 254-bit exponent) and cheap to check: the circuit proves x'^5 = x + y with
three multiplications, x'² = x'·x', x'⁴ = x'²·x'², x'⁴·x' = x + y.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd

import numpy as np

from crypto.circuit.builtins.base import BuiltinStep, StepValues, csr_matrix
from crypto.circuit.lc import Var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.system import ConstraintSystem
from crypto.errors import UnsupportedParameterError
from crypto.field import FR

MAX_ITERATIONS = 1 << 22
"""Most iterations a step may take (three constraints each)."""


def fifth_root_exponent(p: int) -> int:
    """e with (x^e)^5 = x for all x in F_p, which exists iff gcd(5, p − 1) = 1.

    Then x ↦ x^5 is a bijection and e = 5^(−1) mod (p − 1): x^(5e) = x^(1 + m(p−1)) = x.
    For BN254's Fr, p ≡ 2 (mod 5), so p − 1 ≡ 1 and e = (4p − 3) / 5 (the (2p − 1) / 5 seen
    elsewhere is for fields with p ≡ 3 mod 5, such as Pasta's).
    """
    if gcd(5, p - 1) != 1:
        raise UnsupportedParameterError(f"x ↦ x^5 is not a bijection modulo {p}: 5 divides p - 1")
    return pow(5, -1, p - 1)


FIFTH_ROOT_EXPONENT = fifth_root_exponent(FR.modulus)


def fifth_root(value: int) -> int:
    """The unique x in Fr with x^5 = value."""
    return pow(value, FIFTH_ROOT_EXPONENT, FR.modulus)


class MinRoot(BuiltinStep):
    """MinRoot with `iterations` iterations per step, arity 2 (z = (x, y))."""

    def __init__(self, iterations: int) -> None:
        if (
            isinstance(iterations, bool)
            or not isinstance(iterations, int)
            or not 1 <= iterations <= MAX_ITERATIONS
        ):
            raise UnsupportedParameterError(
                f"minroot: iterations must be an integer from 1 to {MAX_ITERATIONS}; "
                f"got {iterations!r}"
            )
        self.iterations = iterations

    @property
    def arity(self) -> int:
        return 2

    @property
    def key(self) -> str:
        return f"builtin:minroot?iterations={self.iterations}"

    def constrain(self, cs: ConstraintSystem, z: Sequence[Var]) -> list[Var]:
        x, y = z
        for i in range(self.iterations):
            with cs.namespace(f"iteration{i}"):
                x, y = _iteration(cs, x, y), x
        return [x, y]

    def values(self, z: Sequence[int]) -> StepValues:
        p, e = FR.modulus, FIFTH_ROOT_EXPONENT
        x, y = z
        private: list[int] = []
        for _ in range(self.iterations):
            root = pow(x + y, e, p)
            square = root * root % p
            private += (root, square, square * square % p)
            x, y = root, x
        # z_{i+1} = (last root, the root before it — or z_i's x after a single iteration).
        last = self.arity + len(private) - 3
        return StepValues(private, [last, last - 3 if self.iterations > 1 else 0])

    def direct_shape(self) -> R1CSShape:
        # Columns: 0 the constant, 1 = x_0, 2 = y_0, then per iteration i the root, its square
        # and fourth power in columns 3i + 3, 3i + 4, 3i + 5. x_i is column 1 for i = 0, else
        # the previous root, 3i; y_i is column 2, then 1, then the root before that, 3i − 3.
        k = self.iterations
        i = np.arange(k, dtype=np.int64)
        root, square, fourth = 3 * i + 3, 3 * i + 4, 3 * i + 5
        x = np.where(i == 0, 1, 3 * i)
        y = np.where(i == 0, 2, np.where(i == 1, 1, 3 * i - 3))
        ones = np.ones(3 * k, dtype=np.int64)
        a = csr_matrix(ones, np.stack([root, square, fourth], axis=1).reshape(-1), ones)
        b = csr_matrix(ones, np.stack([root, square, root], axis=1).reshape(-1), ones)
        # C: square, fourth, then x_i + y_i with its two columns in increasing order.
        c_counts = np.tile(np.array([1, 1, 2], dtype=np.int64), k)
        c_indices = np.stack([square, fourth, np.minimum(x, y), np.maximum(x, y)], axis=1).reshape(
            -1
        )
        c = csr_matrix(c_counts, c_indices, np.ones(4 * k, dtype=np.int64))
        names = [
            f"iteration{j}/{name}"
            for j in range(k)
            for name in ("square", "fourth power", "fifth power")
        ]
        return R1CSShape.from_csr(FR, 3 * k, 2, 3 * k, [a, b, c], names)

    def step(self, z: Sequence[int]) -> list[int]:
        p, e = FR.modulus, FIFTH_ROOT_EXPONENT
        x, y = z
        for _ in range(self.iterations):
            x, y = pow(x + y, e, p), x
        return [x, y]


def _iteration(cs: ConstraintSystem, x: Var, y: Var) -> Var:
    """x' with x'^5 = x + y, in three multiplications."""
    exponent = fifth_root_exponent(cs.modulus)
    root = cs.alloc(lambda: pow(cs.value(x + y), exponent, cs.modulus), "x'")
    square = cs.alloc(lambda: cs.value(root) ** 2, "x'^2")
    cs.enforce(root, root, square, "square")
    fourth = cs.alloc(lambda: cs.value(square) ** 2, "x'^4")
    cs.enforce(square, square, fourth, "fourth power")
    cs.enforce(fourth, root, x + y, "fifth power")
    return root
