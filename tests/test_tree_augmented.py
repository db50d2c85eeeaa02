"""The augmented circuits P and S (docs/tree-nova.md §5, §6): every case satisfies the one
shape recorded without inputs, and each single violation of a seam or flag rule is caught."""

from __future__ import annotations

import dataclasses

import pytest
from tree_samples import CASES, Case, primary_inputs, secondary_inputs, step

from crypto.circuit import R1CSShape, SatisfactionChecker, ShapeRecorder, WitnessGenerator
from crypto.circuit.system import Assignment
from crypto.errors import FieldMismatchError, UnsatisfiedConstraintError
from crypto.field import FQ, FR
from crypto.tree.augmented import (
    PrimaryCircuit,
    PrimaryInputs,
    SecondaryCircuit,
)
from crypto.tree.params import public_params

P_BUDGET = 40_000
S_BUDGET = 40_000


def primary_shape() -> R1CSShape:
    """P's shape with F embedded, recorded without inputs (through the parameters' cache,
    which other tree tests share)."""
    return public_params(step()).primary


def secondary_shape() -> R1CSShape:
    return public_params(step()).secondary


def run_primary(inputs: PrimaryInputs) -> Assignment:
    checker = SatisfactionChecker(FR)
    PrimaryCircuit(step()).synthesize(checker, inputs)
    return checker.assignment()


def primary_public(inputs: PrimaryInputs) -> list[int]:
    generator = WitnessGenerator(FR)
    PrimaryCircuit(step()).synthesize(generator, inputs)
    return generator.assignment().public


@pytest.mark.parametrize("case", CASES)
def test_primary_every_case_satisfies_the_one_shape(case: Case) -> None:
    inputs = primary_inputs(case)
    generator = WitnessGenerator(FR)
    PrimaryCircuit(step()).synthesize(generator, inputs)
    assignment = generator.assignment()
    assert primary_shape().first_unsatisfied(assignment) is None
    x0, x1, x2 = assignment.public
    assert x0 < 1 << 250
    assert x1 == (0 if inputs.left is None else inputs.left.u2.X[1])
    assert x2 == (0 if inputs.right is None else inputs.right.u2.X[1])


@pytest.mark.parametrize("case", CASES)
def test_secondary_every_case_satisfies_the_one_shape(case: Case) -> None:
    inputs = secondary_inputs(case)
    generator = WitnessGenerator(FQ)
    SecondaryCircuit().synthesize(generator, inputs)
    assignment = generator.assignment()
    assert secondary_shape().first_unsatisfied(assignment) is None
    assert assignment.public[0] == inputs.u1.X[0]


def test_primary_output_depends_on_every_statement_field() -> None:
    base = primary_inputs("both")
    assert base.left is not None
    h = primary_public(base)[0]
    variants = [
        dataclasses.replace(base, ctx=bytes(32)),
        dataclasses.replace(base, d_S=bytes(32)),
    ]
    assert all(primary_public(v)[0] != h for v in variants)


def test_secondary_checker_counts_the_shape_constraints() -> None:
    s_inputs = secondary_inputs("join")
    checker = SatisfactionChecker(FQ)
    SecondaryCircuit().synthesize(checker, s_inputs)
    assert checker.n_constraints == secondary_shape().n_constraints


def _shift_child(inputs: PrimaryInputs, side: str, **changes: object) -> PrimaryInputs:
    child = inputs.left if side == "L" else inputs.right
    assert child is not None
    moved = dataclasses.replace(child, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(inputs, **{"left" if side == "L" else "right": moved})


def _violations() -> list[tuple[str, PrimaryInputs, str]]:
    both, join, leaf = primary_inputs("both"), primary_inputs("join"), primary_inputs("leaf")
    assert both.left is not None and both.right is not None and join.right is not None
    F = step()
    z_m = join.right.z_start[0]
    return [
        ("join without left child", dataclasses.replace(join, left=None), "join_has_children"),
        ("join without right child", dataclasses.replace(join, right=None), "join_has_children"),
        ("leaf that does not step", dataclasses.replace(leaf, step=False), "join_has_children"),
        ("left starts elsewhere", _shift_child(both, "L", a=both.a + 1), "seam/a_L0"),
        ("left starts in another state", _shift_child(both, "L", z_start=(4,)), "z_L_start0"),
        ("right not adjacent", _shift_child(both, "R", a=both.right.a + 1), "seam/a_R0"),
        ("right overlaps the pivot", _shift_child(both, "R", a=both.right.a - 1), "seam/a_R0"),
        ("z discontinuous", _shift_child(both, "R", z_start=(5,)), "z_R_start0"),
        (
            "join whose right child starts after F",
            _shift_child(join, "R", z_start=tuple(F.native([z_m], None))),
            "z_R_start0",
        ),
        ("join counting a step", _shift_child(join, "R", a=join.right.a + 1), "seam/a_R0"),
    ]


@pytest.mark.parametrize("label, inputs, where", _violations(), ids=lambda v: str(v)[:40])
def test_primary_rejects_each_single_violation(
    label: str, inputs: PrimaryInputs, where: str
) -> None:
    with pytest.raises(UnsatisfiedConstraintError) as caught:
        run_primary(inputs)
    assert where in str(caught.value), label


def test_circuits_refuse_the_wrong_field() -> None:
    with pytest.raises(FieldMismatchError):
        PrimaryCircuit(step()).synthesize(ShapeRecorder(FQ), None)
    with pytest.raises(FieldMismatchError):
        SecondaryCircuit().synthesize(ShapeRecorder(FR), None)


def test_constraint_counts_within_budget() -> None:
    f_constraints = 4  # builtin:cubic?log2=2
    p = primary_shape().n_constraints - f_constraints
    s = secondary_shape().n_constraints
    print(f"P (excluding F): {p} constraints; S: {s} constraints")
    assert p <= P_BUDGET and s <= S_BUDGET
    assert primary_shape().n_public == 3 and secondary_shape().n_public == 2
