"""Boolean gadget: allocation, gates against their truth tables, constant folding, tampering."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from circuit_harness import first_failure, synthesize, tampered

from crypto.circuit import ConstraintSystem, Var
from crypto.circuit.gadgets.boolean import (
    FALSE,
    TRUE,
    Boolean,
    and_,
    choose,
    enforce_if,
    enforce_value,
    or_,
    xor,
)
from crypto.errors import UnsatisfiedConstraintError
from crypto.field import FQ, FR, PrimeField

Gate = Callable[[ConstraintSystem, Boolean, Boolean, str], Boolean]
GATES: dict[str, tuple[Gate, Callable[[bool, bool], bool]]] = {
    "and": (and_, lambda a, b: a and b),
    "or": (or_, lambda a, b: a or b),
    "xor": (xor, lambda a, b: a != b),
}
BITS = list(itertools.product([False, True], repeat=2))


def var_of(bit: Boolean) -> Var:
    (var_id,) = (v for v in bit.lc.terms if v != 0)
    return Var(var_id)


def test_alloc_costs_one_booleanity_constraint() -> None:
    result = synthesize(FR, lambda cs: Boolean.alloc(cs, True, "b"))
    assert result.shape.n_constraints == 1
    assert result.output.value(result.generator) is True
    bad = tampered(result.assignment, var_of(result.output), 2)
    assert first_failure(result.shape, bad) == "b"


@pytest.mark.parametrize("field", [FR, FQ], ids=["Fr", "Fq"])
@pytest.mark.parametrize("gate", GATES)
@pytest.mark.parametrize(("a", "b"), BITS)
def test_gate_matches_truth_table(field: PrimeField, gate: str, a: bool, b: bool) -> None:
    build, truth = GATES[gate]

    def circuit(cs: ConstraintSystem) -> Boolean:
        return build(cs, Boolean.alloc(cs, a, "a"), Boolean.alloc(cs, b, "b"), gate)

    result = synthesize(field, circuit)
    assert result.shape.n_constraints == 3
    assert result.output.value(result.generator) is truth(a, b)
    assert (~result.output).value(result.generator) is not truth(a, b)


@pytest.mark.parametrize("gate", GATES)
@pytest.mark.parametrize(("a", "b"), BITS)
def test_gate_output_tampered_is_rejected(gate: str, a: bool, b: bool) -> None:
    build, _truth = GATES[gate]

    def circuit(cs: ConstraintSystem) -> Boolean:
        return build(cs, Boolean.alloc(cs, a, "a"), Boolean.alloc(cs, b, "b"), gate)

    result = synthesize(FR, circuit)
    # `or` returns the negation of its allocated variable; flipping that variable flips the gate.
    var = var_of(result.output)
    stored = result.assignment.private[var.id >> 1]
    bad = tampered(result.assignment, var, 1 - stored)
    assert first_failure(result.shape, bad) == gate


@pytest.mark.parametrize("gate", GATES)
@pytest.mark.parametrize(("constant", "b"), BITS)
def test_constant_operand_costs_nothing(gate: str, constant: bool, b: bool) -> None:
    build, truth = GATES[gate]

    def circuit(cs: ConstraintSystem) -> tuple[Boolean, Boolean]:
        bit = Boolean.alloc(cs, b, "b")
        return build(cs, Boolean.of(constant), bit, gate), build(
            cs, bit, Boolean.of(constant), gate
        )

    result = synthesize(FR, circuit)
    assert result.shape.n_constraints == 1
    for out in result.output:
        assert out.value(result.generator) is truth(constant, b)


def test_constants_fold_to_constants() -> None:
    result = synthesize(FR, lambda cs: [and_(cs, TRUE, FALSE), or_(cs, FALSE, TRUE), ~TRUE])
    assert result.shape.n_constraints == 0
    assert [out.constant for out in result.output] == [False, True, False]


@pytest.mark.parametrize(
    ("cond", "if_true", "if_false"), list(itertools.product([False, True], repeat=3))
)
def test_choose(cond: bool, if_true: bool, if_false: bool) -> None:
    def circuit(cs: ConstraintSystem) -> Boolean:
        c, t, f = (Boolean.alloc(cs, v) for v in (cond, if_true, if_false))
        return choose(cs, c, t, f)

    result = synthesize(FR, circuit)
    assert result.shape.n_constraints == 4
    assert result.output.value(result.generator) is (if_true if cond else if_false)
    if if_true != if_false:
        var = var_of(result.output)
        stored = result.assignment.private[var.id >> 1]
        assert first_failure(result.shape, tampered(result.assignment, var, 1 - stored)) == "choose"


@pytest.mark.parametrize("cond", [False, True])
def test_enforce_if_binds_only_where_the_condition_holds(cond: bool) -> None:
    def circuit(cs: ConstraintSystem) -> None:
        bit = Boolean.alloc(cs, cond)
        enforce_if(cs, bit, cs.alloc(5), cs.alloc(6), "if")

    if cond:
        with pytest.raises(UnsatisfiedConstraintError) as caught:
            synthesize(FR, circuit)
        assert caught.value.name == "if"
    else:
        assert synthesize(FR, circuit).shape.n_constraints == 2


def test_enforce_value() -> None:
    def circuit(value: bool) -> Callable[[ConstraintSystem], None]:
        return lambda cs: enforce_value(cs, Boolean.alloc(cs, True), value, "one")

    assert synthesize(FR, circuit(True)).shape.n_constraints == 2
    with pytest.raises(UnsatisfiedConstraintError):
        synthesize(FR, circuit(False))
