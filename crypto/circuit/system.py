"""Constraint systems: the one interface circuits are written against, and its three modes.

- `ShapeRecorder` records constraints and never asks for a value: it yields the `R1CSShape`.
- `WitnessGenerator` computes values and ignores constraints: the per-step fast path.
- `SatisfactionChecker` does both and stops at the first violated constraint, naming it with
  its namespace path: the mode for writing and debugging gadgets.

Values are given as ints or as zero-argument callables; a callable is only called in modes that
compute values, so a shape is recorded without any witness. Constraint arguments may likewise be
callables returning a linear combination, so the witness mode builds none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeAlias

from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc
from crypto.errors import UnassignedValueError, UnsatisfiedConstraintError
from crypto.field import PrimeField

Value: TypeAlias = int | Callable[[], int] | None
"""A variable's value: an int, a callable computing it, or None where no value is known."""

Term: TypeAlias = LCLike | Callable[[], LCLike]
"""A constraint argument: a combination, or a callable building one only when recorded."""


@dataclass(frozen=True)
class Assignment:
    """Values of a circuit's variables: `public` = (x_1..x_l), `private` = (w_1..w_m)."""

    public: list[int]
    private: list[int]


class ConstraintSystem(ABC):
    """Allocates variables and enforces a·b = c over `field`."""

    def __init__(self, field: PrimeField) -> None:
        self.field = field
        self.modulus = field.modulus
        self._namespace: list[str] = []

    @property
    @abstractmethod
    def computes_values(self) -> bool:
        """Whether `value` may be called (False while only the shape is recorded)."""

    @property
    @abstractmethod
    def records_constraints(self) -> bool:
        """Whether `enforce` looks at its terms (False in the witness-only mode).

        Gadgets whose linear combinations are costly to build (Poseidon's partial rounds) skip
        building them where this is False, tracking plain values instead.
        """

    @abstractmethod
    def alloc(self, value: Value = None, name: str = "") -> Var:
        """A new private variable."""

    @abstractmethod
    def alloc_input(self, value: Value = None, name: str = "") -> Var:
        """A new public input."""

    @abstractmethod
    def enforce(self, a: Term, b: Term, c: Term, name: str = "") -> None:
        """Adds the constraint a · b = c."""

    @abstractmethod
    def value(self, x: LCLike) -> int:
        """The value of a variable or combination; only where `computes_values`."""

    @contextmanager
    def namespace(self, name: str) -> Iterator[None]:
        """Prefixes the names of constraints made inside with `name/`."""
        self._namespace.append(name)
        try:
            yield
        finally:
            self._namespace.pop()

    def path(self, name: str) -> str:
        """The full name of a constraint named `name` in the current namespace."""
        return "/".join([*self._namespace, name]) if self._namespace else name


def _term(term: Term) -> LinearCombination:
    return as_lc(term() if callable(term) else term)


class ShapeRecorder(ConstraintSystem):
    """Records constraints and counts variables; asks for no value."""

    def __init__(self, field: PrimeField) -> None:
        super().__init__(field)
        self.n_public = 0
        self.n_private = 0
        self.constraints: list[tuple[dict[int, int], dict[int, int], dict[int, int]]] = []
        self.names: list[str] = []

    @property
    def computes_values(self) -> bool:
        return False

    @property
    def records_constraints(self) -> bool:
        return True

    def alloc(self, value: Value = None, name: str = "") -> Var:
        var = Var(2 * self.n_private + 1)
        self.n_private += 1
        return var

    def alloc_input(self, value: Value = None, name: str = "") -> Var:
        self.n_public += 1
        return Var(2 * self.n_public)

    def enforce(self, a: Term, b: Term, c: Term, name: str = "") -> None:
        self.constraints.append((_term(a).terms, _term(b).terms, _term(c).terms))
        self.names.append(self.path(name))

    def value(self, x: LCLike) -> int:
        raise UnassignedValueError(
            "a value was read while recording the shape; wrap the computation in a callable "
            "passed to alloc() so it only runs when values are computed"
        )


class WitnessGenerator(ConstraintSystem):
    """Computes every variable's value; constraints cost nothing."""

    def __init__(self, field: PrimeField) -> None:
        super().__init__(field)
        self.public: list[int] = [1]
        self.private: list[int] = []

    @property
    def computes_values(self) -> bool:
        return True

    @property
    def records_constraints(self) -> bool:
        return False

    def _evaluate(self, value: Value, name: str) -> int:
        if value is None:
            raise UnassignedValueError(
                f"variable {self.path(name)!r} was allocated without a value"
            )
        return (value() if callable(value) else value) % self.modulus

    def alloc(self, value: Value = None, name: str = "") -> Var:
        self.private.append(self._evaluate(value, name))
        return Var(2 * len(self.private) - 1)

    def alloc_input(self, value: Value = None, name: str = "") -> Var:
        self.public.append(self._evaluate(value, name))
        return Var(2 * (len(self.public) - 1))

    def enforce(self, a: Term, b: Term, c: Term, name: str = "") -> None:
        return None

    def value(self, x: LCLike) -> int:
        if isinstance(x, Var):
            table = self.public if x.id % 2 == 0 else self.private
            return table[x.id >> 1]
        if isinstance(x, int):
            return x % self.modulus
        public, private = self.public, self.private
        total = 0
        for var, coeff in x.terms.items():
            total += coeff * (public[var >> 1] if var % 2 == 0 else private[var >> 1])
        return total % self.modulus

    def extend(self, values: list[int]) -> int:
        """Appends private values already reduced into [0, p), with no call per value, and
        returns the index of the first (`private_var(index)` names a private variable).

        The fast path of circuit-specific witness code: it must allocate exactly what the
        circuit's constraints would, in the same order, which its tests compare.
        """
        first = len(self.private)
        self.private.extend(values)
        return first

    def assignment(self) -> Assignment:
        """The values computed so far, without the constant one."""
        return Assignment(public=self.public[1:], private=list(self.private))


class SatisfactionChecker(WitnessGenerator):
    """Computes values and checks every constraint as it is made."""

    def __init__(self, field: PrimeField) -> None:
        super().__init__(field)
        self.n_constraints = 0

    @property
    def records_constraints(self) -> bool:
        return True

    def enforce(self, a: Term, b: Term, c: Term, name: str = "") -> None:
        av, bv, cv = (self.value(_term(t)) for t in (a, b, c))
        if av * bv % self.modulus != cv:
            raise UnsatisfiedConstraintError(
                f"constraint {self.n_constraints} ({self.path(name)!r}) is not satisfied: "
                f"{av} · {bv} ≠ {cv}",
                index=self.n_constraints,
                name=self.path(name),
            )
        self.n_constraints += 1


__all__ = [
    "ONE",
    "Assignment",
    "ConstraintSystem",
    "SatisfactionChecker",
    "ShapeRecorder",
    "WitnessGenerator",
]
