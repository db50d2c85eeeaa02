"""Equality and selection: is_zero, is_equal, enforce_equal, select, swap.

`is_zero` is the usual inverse trick: with inv a witness for 1/x (0 where x = 0), the two
constraints x·inv = 1 − out and x·out = 0 leave out = 1 exactly when x = 0, so out is a bit
without a booleanity constraint.
"""

from __future__ import annotations

from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc
from crypto.circuit.system import ConstraintSystem


def enforce_equal(cs: ConstraintSystem, a: LCLike, b: LCLike, name: str = "equal") -> None:
    """a = b: one constraint (a − b)·1 = 0."""
    cs.enforce(as_lc(a) - b, ONE, 0, name)


def is_zero(cs: ConstraintSystem, x: LCLike, name: str = "is_zero") -> Boolean:
    """The bit [x = 0]: two constraints."""
    with cs.namespace(name):
        value = cs.value(x) if cs.computes_values else None
        inverse = cs.alloc(
            None if value is None else pow(value, -1, cs.modulus) if value else 0, "inverse"
        )
        out = cs.alloc(None if value is None else int(value == 0), "out")
        cs.enforce(x, inverse, ONE - out, "inverse")
        cs.enforce(x, out, 0, "zero_if_out")
    return Boolean(out.lc())


def is_equal(cs: ConstraintSystem, a: LCLike, b: LCLike, name: str = "is_equal") -> Boolean:
    """The bit [a = b]: two constraints."""
    return is_zero(cs, as_lc(a) - b, name)


def select(
    cs: ConstraintSystem, cond: Boolean, if_true: LCLike, if_false: LCLike, name: str = "select"
) -> Var:
    """`if_true` where `cond` holds, else `if_false`: one constraint c·(t − f) = out − f."""
    out = cs.alloc(lambda: cs.value(if_true) if cond.value(cs) else cs.value(if_false), name)
    cs.enforce(cond.lc, as_lc(if_true) - if_false, out - as_lc(if_false), name)
    return out


def swap(
    cs: ConstraintSystem, cond: Boolean, a: LCLike, b: LCLike, name: str = "swap"
) -> tuple[LinearCombination, LinearCombination]:
    """(b, a) where `cond` holds, else (a, b): one constraint (the second is a + b − first)."""
    first = select(cs, cond, b, a, name)
    return first.lc(), as_lc(a) + b - first


def materialize(cs: ConstraintSystem, x: LCLike, name: str = "materialize") -> Var:
    """A variable equal to x (x itself if it is one; else one constraint x·1 = v).

    Where an interface takes variables (a step circuit's outputs), a linear combination must be
    held by one.
    """
    if isinstance(x, Var):
        return x
    var = cs.alloc(lambda: cs.value(x), name)
    cs.enforce(x, ONE, var, name)
    return var


__all__ = ["enforce_equal", "is_equal", "is_zero", "materialize", "select", "swap"]
