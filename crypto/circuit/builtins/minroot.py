"""MinRoot, the VDF Nova's example folds: k iterations of a fifth root per step.

State (x, y); one iteration is x' = (x + y)^(1/5), y' = x. The root is slow to compute (an
exponentiation by a 254-bit exponent) and cheap to check: the circuit proves x'^5 = x + y with
three multiplications, x'² = x'·x', x'⁴ = x'²·x'², x'⁴·x' = x + y.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd

from crypto.circuit.builtins.base import BuiltinStep, StepValues
from crypto.circuit.lc import Var
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

    def step(self, z: Sequence[int]) -> list[int]:
        p, e = FR.modulus, FIFTH_ROOT_EXPONENT
        x, y = z
        for _ in range(self.iterations):
            x, y = pow(x + y, e, p), x
        return [x, y]


def _iteration(cs: ConstraintSystem, x: Var, y: Var) -> Var:
    """x' with x'^5 = x + y, in three multiplications."""
    root = cs.alloc(lambda: fifth_root(cs.value(x + y)), "x'")
    square = cs.alloc(lambda: cs.value(root) ** 2, "x'^2")
    cs.enforce(root, root, square, "square")
    fourth = cs.alloc(lambda: cs.value(square) ** 2, "x'^4")
    cs.enforce(square, square, fourth, "fourth power")
    cs.enforce(fourth, root, x + y, "fifth power")
    return root
