"""The constraint-system core: shapes, witnesses, satisfaction and digests."""

from __future__ import annotations

import pytest

from crypto.circuit import (
    ONE,
    ConstraintSystem,
    LinearCombination,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    Var,
    WitnessGenerator,
)
from crypto.errors import (
    ShapeMismatchError,
    UnassignedValueError,
    UnsatisfiedConstraintError,
)
from crypto.field import FQ, FR, PrimeField

P = FR.modulus


def cubic(cs: ConstraintSystem, x0: int | None, steps: int) -> None:
    """x ← x³ + x + 5, `steps` times, with x0 and the result public."""
    x = cs.alloc_input(x0, "x0")
    for i in range(steps):
        with cs.namespace(f"step{i}"):
            x2 = cs.alloc(lambda x=x: cs.value(x) ** 2, "x2")
            cs.enforce(x, x, x2, "square")
            y = cs.alloc(lambda x=x, x2=x2: cs.value(x2) * cs.value(x) + cs.value(x) + 5, "y")
            cs.enforce(x2, x, lambda x=x, y=y: y - x - 5, "cube")
            x = y
    out = cs.alloc_input(lambda: cs.value(x), "out")
    cs.enforce(x, ONE, out, "output")


def native_cubic(x: int, steps: int) -> int:
    for _ in range(steps):
        x = (x**3 + x + 5) % P
    return x


def shape_of(steps: int, field: PrimeField = FR) -> R1CSShape:
    recorder = ShapeRecorder(field)
    cubic(recorder, None, steps)
    return R1CSShape.from_recorder(recorder)


def test_shape_dimensions_and_layout() -> None:
    shape = shape_of(4)
    assert (shape.n_constraints, shape.n_public, shape.n_private) == (9, 2, 8)
    assert shape.n_columns == 11
    assert shape.A.shape == (9, 11)
    # The first square constraint reads x0, the first public input (column 1).
    indptr, indices, _ = shape.A.to_csr()
    assert list(indices[indptr[0] : indptr[1]]) == [1]
    assert shape.name_of(1) == "step0/cube"
    assert shape.name_of(8) == "output"


def test_witness_satisfies_shape_and_matches_native() -> None:
    shape = shape_of(16)
    generator = WitnessGenerator(FR)
    cubic(generator, 7, 16)
    assignment = generator.assignment()
    assert assignment.public == [7, native_cubic(7, 16)]
    assert shape.first_unsatisfied(assignment) is None


@pytest.mark.parametrize("position", [0, 5, 31])
def test_tampered_witness_names_first_failing_constraint(position: int) -> None:
    shape = shape_of(16)
    generator = WitnessGenerator(FR)
    cubic(generator, 7, 16)
    assignment = generator.assignment()
    assignment.private[position] = (assignment.private[position] + 1) % P
    index = shape.first_unsatisfied(assignment)
    assert index == position
    step, kind = divmod(position, 2)
    assert shape.name_of(index) == f"step{step}/{'square' if kind == 0 else 'cube'}"


def test_tampered_public_input_is_caught() -> None:
    shape = shape_of(3)
    generator = WitnessGenerator(FR)
    cubic(generator, 2, 3)
    assignment = generator.assignment()
    assignment.public[1] = (assignment.public[1] + 1) % P
    assert shape.first_unsatisfied(assignment) == 6


def test_checker_stops_at_first_violation_with_its_name() -> None:
    checker = SatisfactionChecker(FR)
    x = checker.alloc(3)
    y = checker.alloc(10)
    checker.enforce(x, x, 9, "fine")
    with checker.namespace("gadget"), pytest.raises(UnsatisfiedConstraintError) as caught:
        checker.enforce(x, x, y, "square")
    assert caught.value.index == 1
    assert caught.value.name == "gadget/square"


def test_recorder_never_asks_for_values() -> None:
    recorder = ShapeRecorder(FR)
    x = recorder.alloc(lambda: 1 // 0)
    recorder.enforce(x, x, x)
    with pytest.raises(UnassignedValueError):
        recorder.value(x)


def test_generator_requires_values() -> None:
    with pytest.raises(UnassignedValueError):
        WitnessGenerator(FR).alloc(None, "w")


def test_digest_is_deterministic_and_binds_shape_and_field() -> None:
    assert shape_of(5).digest == shape_of(5).digest
    assert shape_of(5).digest != shape_of(6).digest
    assert shape_of(5).digest != shape_of(5, FQ).digest
    assert len(shape_of(5).digest) == 32


def test_coefficients_merge_and_reduce() -> None:
    recorder = ShapeRecorder(FR)
    x = recorder.alloc()
    recorder.enforce(x + x - 2 * x + P, ONE, LinearCombination.sum([x, -x, 3]))
    shape = R1CSShape.from_recorder(recorder)
    assert shape.A.nnz == 0 and shape.C.nnz == 1


def test_wrong_assignment_length_is_rejected() -> None:
    shape = shape_of(2)
    generator = WitnessGenerator(FR)
    cubic(generator, 1, 3)
    with pytest.raises(ShapeMismatchError):
        shape.first_unsatisfied(generator.assignment())


def test_unsorted_csr_rows_are_rejected() -> None:
    with pytest.raises(ShapeMismatchError):
        R1CSShape.from_csr(FR, 1, 0, 2, [([0, 2], [2, 1], [1, 1])] * 3)


def test_var_arithmetic() -> None:
    a, b = Var(1), Var(3)
    assert (a + b - 1).terms == {1: 1, 3: 1, 0: -1}
    assert (2 * a - a).terms == {1: 1}
    assert (5 - a).terms == {0: 5, 1: -1}
    assert (-a).terms == {1: -1}


def test_explicit_zero_values_are_rejected() -> None:
    with pytest.raises(ShapeMismatchError, match="zero"):
        R1CSShape.from_csr(FR, 1, 0, 2, [([0, 1], [1], [0])] * 3)
