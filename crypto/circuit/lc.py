"""Variables and linear combinations of a constraint system.

A `Var` names a column of z = (1, x_1..x_l, w_1..w_m): the constant one, public inputs, then
private (auxiliary) variables — the layout circom uses, so its matrices import unchanged.
While a circuit is being synthesised the number of public inputs is not known yet, so a
variable's id encodes its kind: public input i has id 2i (the constant one is input 0), private
variable j has id 2j + 1. `column(id, n_public)` maps an id to its final column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias


class Var:
    """A variable of a constraint system; arithmetic on it builds `LinearCombination`s."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = id

    @property
    def is_public(self) -> bool:
        return self.id % 2 == 0

    def lc(self) -> LinearCombination:
        return LinearCombination({self.id: 1})

    def __add__(self, other: LCLike) -> LinearCombination:
        return self.lc() + other

    __radd__ = __add__

    def __sub__(self, other: LCLike) -> LinearCombination:
        return self.lc() - other

    def __rsub__(self, other: LCLike) -> LinearCombination:
        return as_lc(other) - self.lc()

    def __mul__(self, coeff: int) -> LinearCombination:
        return LinearCombination({self.id: coeff})

    __rmul__ = __mul__

    def __neg__(self) -> LinearCombination:
        return LinearCombination({self.id: -1})

    def __repr__(self) -> str:
        kind = "public" if self.is_public else "private"
        return f"Var({kind} {self.id // 2})"


ONE = Var(0)
"""The constant one (column 0 of z)."""


class LinearCombination:
    """Σ coeff · var, with coefficients as Python ints (reduced mod p when the shape is built)."""

    __slots__ = ("terms",)

    def __init__(self, terms: Mapping[int, int] | None = None) -> None:
        self.terms: dict[int, int] = dict(terms) if terms else {}

    @classmethod
    def constant(cls, value: int) -> LinearCombination:
        return cls({ONE.id: value}) if value else cls()

    @classmethod
    def sum(cls, items: Iterable[LCLike]) -> LinearCombination:
        total = cls()
        for item in items:
            total._accumulate(item, 1)
        return total

    def _accumulate(self, other: LCLike, sign: int) -> None:
        terms = self.terms
        for var, coeff in as_lc(other).terms.items():
            terms[var] = terms.get(var, 0) + sign * coeff

    def __add__(self, other: LCLike) -> LinearCombination:
        result = LinearCombination(self.terms)
        result._accumulate(other, 1)
        return result

    __radd__ = __add__

    def __sub__(self, other: LCLike) -> LinearCombination:
        result = LinearCombination(self.terms)
        result._accumulate(other, -1)
        return result

    def __rsub__(self, other: LCLike) -> LinearCombination:
        return as_lc(other) - self

    def __mul__(self, coeff: int) -> LinearCombination:
        return LinearCombination({var: c * coeff for var, c in self.terms.items()})

    __rmul__ = __mul__

    def __neg__(self) -> LinearCombination:
        return self * -1

    def evaluate(self, values: Mapping[int, int] | list[int], modulus: int) -> int:
        """The value of this combination under an assignment indexed by variable id."""
        return sum(coeff * values[var] for var, coeff in self.terms.items()) % modulus

    def __repr__(self) -> str:
        return f"LinearCombination({self.terms})"


LCLike: TypeAlias = LinearCombination | Var | int
"""Anything a constraint accepts: a combination, a variable, or a constant."""


def as_lc(value: LCLike) -> LinearCombination:
    """`value` as a linear combination (an int is a multiple of the constant one)."""
    if isinstance(value, LinearCombination):
        return value
    if isinstance(value, Var):
        return value.lc()
    if isinstance(value, int):
        return LinearCombination.constant(value)
    raise TypeError(f"cannot use {type(value).__name__} in a linear combination")


def private_var(index: int) -> Var:
    """The `index`-th private variable (counting from 0)."""
    return Var(2 * index + 1)


def column(var_id: int, n_public: int) -> int:
    """The column of z holding variable `var_id` once the circuit has `n_public` public inputs.

    `n_public` counts the inputs after the constant one.
    """
    index = var_id >> 1
    return index if var_id % 2 == 0 else 1 + n_public + index
