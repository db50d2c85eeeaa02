"""Booleans: values constrained to {0, 1}, and the gates between them.

A `Boolean` is a linear combination known to hold 0 or 1: an allocated bit (one constraint,
b·(1 − b) = 0), a negation 1 − b (free), or a constant. Gates fold constants away, so a gate
with a constant operand costs nothing, and every other two-input gate costs one constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from crypto.circuit.lc import ONE, LCLike, LinearCombination, as_lc
from crypto.circuit.system import ConstraintSystem

BoolValue: TypeAlias = bool | Callable[[], bool] | None
"""A bit's value: a bool, a callable computing it (only called where values are computed), or
None where no value is known."""


class Boolean:
    """A linear combination holding 0 or 1; `constant` is its value where it is fixed."""

    __slots__ = ("constant", "lc")

    def __init__(self, lc: LinearCombination, constant: bool | None = None) -> None:
        self.lc = lc
        self.constant = constant

    @classmethod
    def alloc(cls, cs: ConstraintSystem, value: BoolValue = None, name: str = "bit") -> Boolean:
        """A new private bit, constrained by b·(1 − b) = 0."""
        var = cs.alloc(_int_value(value), name)
        cs.enforce(var, lambda: ONE - var, 0, name)
        return cls(var.lc())

    @classmethod
    def of(cls, value: bool) -> Boolean:
        """The constant `value` (no variable, no constraint)."""
        return cls(LinearCombination.constant(int(value)), value)

    def value(self, cs: ConstraintSystem) -> bool:
        """This bit's value; only where `cs.computes_values`."""
        if self.constant is not None:
            return self.constant
        return cs.value(self.lc) == 1

    def __invert__(self) -> Boolean:
        """1 − b: negation is linear, so it costs nothing."""
        if self.constant is not None:
            return Boolean.of(not self.constant)
        return Boolean(ONE - self.lc)

    def __repr__(self) -> str:
        shown = self.lc if self.constant is None else self.constant
        return f"Boolean({shown})"


TRUE = Boolean.of(True)
FALSE = Boolean.of(False)


def and_(cs: ConstraintSystem, a: Boolean, b: Boolean, name: str = "and") -> Boolean:
    """a ∧ b: one constraint a·b = c (c is a bit because a and b are)."""
    if a.constant is not None:
        return b if a.constant else FALSE
    if b.constant is not None:
        return a if b.constant else FALSE
    c = cs.alloc(lambda: int(a.value(cs) and b.value(cs)), name)
    cs.enforce(a.lc, b.lc, c, name)
    return Boolean(c.lc())


def or_(cs: ConstraintSystem, a: Boolean, b: Boolean, name: str = "or") -> Boolean:
    """a ∨ b = ¬(¬a ∧ ¬b): one constraint."""
    return ~and_(cs, ~a, ~b, name)


def xor(cs: ConstraintSystem, a: Boolean, b: Boolean, name: str = "xor") -> Boolean:
    """a ⊕ b: one constraint 2a·b = a + b − c."""
    if a.constant is not None:
        return ~b if a.constant else b
    if b.constant is not None:
        return ~a if b.constant else a
    c = cs.alloc(lambda: int(a.value(cs) != b.value(cs)), name)
    cs.enforce(a.lc * 2, b.lc, a.lc + b.lc - c, name)
    return Boolean(c.lc())


def choose(
    cs: ConstraintSystem, cond: Boolean, if_true: Boolean, if_false: Boolean, name: str = "choose"
) -> Boolean:
    """`if_true` where `cond` holds, else `if_false`: one constraint c·(t − f) = out − f.

    The result is one of two bits, so it needs no booleanity constraint of its own.
    """
    if cond.constant is not None:
        return if_true if cond.constant else if_false
    out = cs.alloc(lambda: int(if_true.value(cs) if cond.value(cs) else if_false.value(cs)), name)
    cs.enforce(cond.lc, if_true.lc - if_false.lc, out - if_false.lc, name)
    return Boolean(out.lc())


def enforce_if(
    cs: ConstraintSystem, cond: Boolean, a: LCLike, b: LCLike, name: str = "enforce_if"
) -> None:
    """a = b wherever `cond` holds (nothing otherwise): one constraint c·(a − b) = 0."""
    if cond.constant is False:
        return
    cs.enforce(cond.lc, as_lc(a) - b, 0, name)


def enforce_value(cs: ConstraintSystem, bit: Boolean, value: bool, name: str = "bit_value") -> None:
    """Forces `bit` to `value`: one constraint."""
    cs.enforce(bit.lc, ONE, int(value), name)


def _int_value(value: BoolValue) -> int | Callable[[], int] | None:
    if value is None:
        return None
    if callable(value):
        compute = value
        return lambda: int(compute())
    return int(value)


__all__ = [
    "FALSE",
    "TRUE",
    "BoolValue",
    "Boolean",
    "and_",
    "choose",
    "enforce_if",
    "enforce_value",
    "or_",
    "xor",
]
