"""Small primitives the point and non-native gadgets need: selection, zero test, range check.

Stopgaps until the branch with `crypto.circuit.gadgets.boolean`, `bits` and `eq` merges; they
are then to be replaced by those modules' `select`, `is_zero` and `enforce_range`/`to_bits`.
"""

from __future__ import annotations

from crypto.circuit.gadgets._witness import hints
from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc
from crypto.circuit.system import ConstraintSystem, Value


def select_lc(cs: ConstraintSystem, bit: LCLike, a: LCLike, b: LCLike, name: str) -> Var:
    """bit ? a : b as b + bit·(a − b) (1 constraint)."""
    out = cs.alloc(lambda: cs.value(b) + cs.value(bit) * (cs.value(a) - cs.value(b)), name)
    cs.enforce(bit, lambda: as_lc(a) - b, lambda: out - as_lc(b), name)
    return out


def is_zero(cs: ConstraintSystem, x: LCLike, name: str) -> Var:
    """A bit that is 1 exactly where x = 0 (2 constraints: x·inv = 1 − z and x·z = 0 force z)."""
    modulus = cs.modulus
    with cs.namespace(name):
        inv_v, z_v = hints(cs, 2, lambda: _inverse_or_zero(cs.value(x), modulus))
        inv = cs.alloc(inv_v, "inverse")
        z = cs.alloc(z_v, "is_zero")
        cs.enforce(x, inv, ONE - z, "inverse")
        cs.enforce(x, z, 0, "zero")
        return z


def _inverse_or_zero(v: int, modulus: int) -> tuple[int, int]:
    return (pow(v, -1, modulus), 0) if v else (0, 1)


def alloc_range(cs: ConstraintSystem, value: Value, n_bits: int, name: str) -> Var:
    """A new variable constrained to [0, 2^n_bits) by its bits (n_bits + 1 constraints)."""
    with cs.namespace(name):
        var = cs.alloc(value, "value")
        bit_values = hints(
            cs, n_bits, lambda: tuple((cs.value(var) >> i) & 1 for i in range(n_bits))
        )
        bits = [alloc_bit(cs, v, f"bit{i}") for i, v in enumerate(bit_values)]
        cs.enforce(
            lambda: LinearCombination({b.id: 1 << i for i, b in enumerate(bits)}),
            ONE,
            var,
            "pack",
        )
        return var


def alloc_bit(cs: ConstraintSystem, value: Value, name: str) -> Var:
    """A new variable constrained to {0, 1} (1 constraint)."""
    bit = cs.alloc(value, name)
    cs.enforce(bit, lambda: ONE - bit, 0, name)
    return bit
