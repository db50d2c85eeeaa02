"""Zero and equality tests, enforce_equal, select, swap and materialize."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from circuit_harness import first_failure, synthesize, tampered
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import ONE, ConstraintSystem, LinearCombination, Var
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.eq import (
    enforce_equal,
    is_equal,
    is_zero,
    materialize,
    select,
    swap,
)
from crypto.errors import UnsatisfiedConstraintError
from crypto.field import FQ, FR

FIELDS = {"Fr": FR, "Fq": FQ}


def element(field: str) -> st.SearchStrategy[int]:
    p = FIELDS[field].modulus
    return st.one_of(st.integers(0, p - 1), st.sampled_from([0, 1, p - 1]))


@settings(max_examples=50, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_is_zero_and_is_equal_match_native(field: str, data: st.DataObject) -> None:
    a = data.draw(element(field), label="a")
    b = data.draw(st.one_of(element(field), st.just(a)), label="b")

    def circuit(cs: ConstraintSystem) -> tuple[Boolean, Boolean]:
        x, y = cs.alloc(a, "a"), cs.alloc(b, "b")
        return is_zero(cs, x), is_equal(cs, x, y)

    result = synthesize(FIELDS[field], circuit)
    assert result.shape.n_constraints == 4
    zero, equal = (out.value(result.generator) for out in result.output)
    assert (zero, equal) == (a == 0, a == b)


@pytest.mark.parametrize("x", [1, 12345, FR.modulus - 1])
def test_wrong_inverse_is_rejected(x: int) -> None:
    """(Where x = 0 any inverse satisfies x·inv = 1 − out: the output is what is forced.)"""
    result = synthesize(FR, lambda cs: is_zero(cs, cs.alloc(x, "x")))
    inverse = Var(3)  # private variables: x, the inverse, the output
    bad = tampered(result.assignment, inverse, (result.assignment.private[1] + 1) % FR.modulus)
    assert first_failure(result.shape, bad) == "is_zero/inverse"


@pytest.mark.parametrize("x", [0, 7])
def test_wrong_zero_claim_is_rejected(x: int) -> None:
    """Claiming the opposite result fails whatever inverse the prover picks."""
    result = synthesize(FR, lambda cs: is_zero(cs, cs.alloc(x, "x")))
    inverse, out = Var(3), Var(5)
    claim = tampered(result.assignment, out, int(x != 0))
    for witness in (0, 1, pow(x, -1, FR.modulus) if x else 5):
        assert result.shape.first_unsatisfied(tampered(claim, inverse, witness)) is not None


def test_enforce_equal() -> None:
    def circuit(b: int) -> Callable[[ConstraintSystem], None]:
        return lambda cs: enforce_equal(cs, cs.alloc(3), cs.alloc(b), "same")

    assert synthesize(FR, circuit(3)).shape.n_constraints == 1
    with pytest.raises(UnsatisfiedConstraintError) as caught:
        synthesize(FR, circuit(4))
    assert caught.value.name == "same"


@settings(max_examples=50, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), cond=st.booleans(), data=st.data())
def test_select_and_swap_match_native(field: str, cond: bool, data: st.DataObject) -> None:
    a, b = data.draw(element(field), label="a"), data.draw(element(field), label="b")

    def circuit(cs: ConstraintSystem) -> tuple[Var, LinearCombination, LinearCombination]:
        c = Boolean.alloc(cs, cond)
        x, y = cs.alloc(a), cs.alloc(b)
        return (select(cs, c, x, y), *swap(cs, c, x + 0, y))

    result = synthesize(FIELDS[field], circuit)
    assert result.shape.n_constraints == 3
    chosen, first, second = (result.generator.value(out) for out in result.output)
    assert chosen == (a if cond else b)
    assert (first, second) == ((b, a) if cond else (a, b))


@pytest.mark.parametrize("cond", [False, True])
def test_wrong_selection_is_rejected(cond: bool) -> None:
    def circuit(cs: ConstraintSystem) -> Var:
        return select(cs, Boolean.alloc(cs, cond), cs.alloc(10), cs.alloc(20), "pick")

    result = synthesize(FR, circuit)
    other = 20 if cond else 10
    assert first_failure(result.shape, tampered(result.assignment, result.output, other)) == "pick"


def test_materialize() -> None:
    def circuit(cs: ConstraintSystem) -> tuple[Var, Var]:
        x = cs.alloc(4)
        return materialize(cs, x), materialize(cs, 3 * x + ONE, "held")

    result = synthesize(FR, circuit)
    assert result.shape.n_constraints == 1
    kept, held = result.output
    assert kept.id == 1 and result.generator.value(held) == 13
    assert first_failure(result.shape, tampered(result.assignment, held, 12)) == "held"
