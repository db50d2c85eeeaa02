"""Built-in step circuits: shapes, the fast witness path against the generic one, natives,
tampering, and the registry of keys."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import (
    Assignment,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    Var,
    WitnessGenerator,
)
from crypto.circuit.builtins import BUILTINS, builtin
from crypto.circuit.builtins.base import BuiltinStep
from crypto.circuit.builtins.cubic import Cubic
from crypto.circuit.builtins.minroot import (
    FIFTH_ROOT_EXPONENT,
    MinRoot,
    fifth_root,
    fifth_root_exponent,
)
from crypto.circuit.step import StepCircuit, trace
from crypto.circuit.synthesis import (
    DirectShape,
    compact_from_ints,
    record_step_shape,
    step_witness,
)
from crypto.errors import (
    StepCircuitError,
    UnsupportedParameterError,
)
from crypto.field import FQ, FR
from crypto.witness import CompactVector

P = FR.modulus
elements = st.integers(min_value=0, max_value=P - 1)

CIRCUITS: list[BuiltinStep] = [Cubic(1), Cubic(2), Cubic(7), MinRoot(1), MinRoot(2), MinRoot(9)]


def generic_private(circuit: BuiltinStep, z: list[int]) -> tuple[list[int], list[int]]:
    """Private values and outputs through `constrain`, one alloc call per variable."""
    generator = WitnessGenerator(FR)
    inputs = [generator.alloc_input(v) for v in z]
    outputs = circuit.constrain(generator, inputs)
    return generator.private, [generator.value(v) for v in outputs]


def fast_private(circuit: BuiltinStep, z: list[int]) -> tuple[list[int], list[Var]]:
    generator = WitnessGenerator(FR)
    inputs = [generator.alloc_input(v) for v in z]
    outputs = circuit.synthesize(generator, inputs, None)
    return generator.private, outputs


def test_the_builtins_are_step_circuits() -> None:
    for circuit in CIRCUITS:
        assert isinstance(circuit, StepCircuit)


@pytest.mark.parametrize("log2", [1, 2, 5, 10])
def test_cubic_has_exactly_two_to_the_log2_constraints(log2: int) -> None:
    shape = record_step_shape(Cubic(log2))
    assert (shape.n_constraints, shape.n_public, shape.n_private) == (1 << log2, 1, 1 << log2)


@pytest.mark.parametrize("iterations", [1, 3])
def test_minroot_has_three_constraints_an_iteration(iterations: int) -> None:
    shape = record_step_shape(MinRoot(iterations))
    assert shape.n_constraints == 3 * iterations
    assert (shape.n_public, shape.n_private) == (2, 3 * iterations)
    assert shape.name_of(2) == "iteration0/fifth power"


@pytest.mark.parametrize("circuit", CIRCUITS, ids=repr)
@settings(max_examples=20, deadline=None)
@given(seed=st.lists(elements, min_size=2, max_size=2))
def test_fast_witness_equals_the_generic_path(circuit: BuiltinStep, seed: list[int]) -> None:
    z = seed[: circuit.arity]
    fast, fast_outputs = fast_private(circuit, z)
    generic, generic_outputs = generic_private(circuit, z)
    assert fast == generic
    generator = WitnessGenerator(FR)
    generator.public.extend(z)
    generator.private.extend(fast)
    assert [generator.value(v) for v in fast_outputs] == generic_outputs
    assert generic_outputs == circuit.native(z, None)


@pytest.mark.parametrize("circuit", [*CIRCUITS, Cubic(12), MinRoot(3), MinRoot(200)], ids=repr)
def test_the_direct_shape_is_the_recorded_one(circuit: BuiltinStep) -> None:
    direct, recorded = circuit.direct_shape(), record_step_shape(circuit)
    assert direct.digest == recorded.digest
    assert list(direct.names) == list(recorded.names)
    assert (direct.n_constraints, direct.n_public, direct.n_private) == (
        recorded.n_constraints,
        recorded.n_public,
        recorded.n_private,
    )
    for mine, theirs in zip(
        (direct.A, direct.B, direct.C), (recorded.A, recorded.B, recorded.C), strict=True
    ):
        for x, y in zip(mine.to_csr(), theirs.to_csr(), strict=True):
            assert np.array_equal(x, y)
    assert isinstance(circuit, DirectShape)


@pytest.mark.parametrize("circuit", CIRCUITS, ids=repr)
def test_step_witness_satisfies_the_shape_and_the_checker(circuit: BuiltinStep) -> None:
    z = [3, 11][: circuit.arity]
    shape = record_step_shape(circuit)
    witness = step_witness(circuit, z, None)
    assert isinstance(witness.private, CompactVector)
    assert len(witness.private) == shape.n_private
    assert witness.public == z
    assert witness.outputs == circuit.native(z, None)
    assert shape.first_unsatisfied(witness.assignment()) is None
    checker = SatisfactionChecker(FR)
    outputs = circuit.synthesize(checker, [checker.alloc_input(v) for v in z], None)
    assert [checker.value(v) for v in outputs] == witness.outputs
    assert checker.n_constraints == shape.n_constraints


@pytest.mark.parametrize("circuit", CIRCUITS, ids=repr)
def test_any_changed_private_value_breaks_the_shape(circuit: BuiltinStep) -> None:
    z = [5, 8][: circuit.arity]
    shape = record_step_shape(circuit)
    honest = step_witness(circuit, z, None).assignment()
    for position in range(len(honest.private)):
        private = list(honest.private)
        private[position] = (private[position] + 1) % P
        assert shape.first_unsatisfied(Assignment(honest.public, private)) is not None


def test_fifth_root_exponent_is_derived_for_bn254() -> None:
    assert FIFTH_ROOT_EXPONENT == (4 * P - 3) // 5
    assert 5 * FIFTH_ROOT_EXPONENT % (P - 1) == 1
    assert P % 5 == 2  # so (2p − 1)/5, Pasta's exponent, is not even an integer here
    with pytest.raises(UnsupportedParameterError):
        fifth_root_exponent(11)  # 5 divides 11 − 1


@settings(max_examples=50, deadline=None)
@given(x=elements)
def test_fifth_root_inverts_the_fifth_power(x: int) -> None:
    assert pow(fifth_root(x), 5, P) == x
    assert fifth_root(pow(x, 5, P)) == x


def test_natives_follow_the_definitions() -> None:
    assert Cubic(1).native([2], None) == [2**3 + 2 + 5]
    assert Cubic(2).native([1], None) == [7**3 + 7 + 5]
    x1 = fifth_root(5)
    assert MinRoot(1).native([2, 3], None) == [x1, 2]
    assert MinRoot(2).native([2, 3], None) == [fifth_root(x1 + 2), x1]


def test_trace_runs_the_native_evaluator() -> None:
    circuit = MinRoot(4)
    states = trace(circuit, [1, 2], [None] * 3)
    assert len(states) == 4
    assert states[3] == MinRoot(12).native([1, 2], None)


def test_bad_z_and_advice_are_rejected() -> None:
    with pytest.raises(StepCircuitError):
        Cubic(2).native([1, 2], None)
    with pytest.raises(StepCircuitError):
        Cubic(2).native([P], None)
    with pytest.raises(StepCircuitError):
        MinRoot(1).native([1, 2], {"advice": "1"})
    with pytest.raises(StepCircuitError):
        step_witness(Cubic(2), [1, 2], None)
    with pytest.raises(StepCircuitError):
        step_witness(MinRoot(2), [1, P], None)


@pytest.mark.parametrize(
    "make", [lambda: Cubic(0), lambda: Cubic(27), lambda: MinRoot(0), lambda: Cubic(True)]
)
def test_out_of_range_parameters_are_rejected(make: object) -> None:
    with pytest.raises(UnsupportedParameterError):
        make()  # type: ignore[operator]


def test_keys_name_the_circuits_and_round_trip() -> None:
    assert set(BUILTINS) >= {"cubic", "minroot"}
    for circuit in CIRCUITS:
        rebuilt = builtin(circuit.key)
        assert type(rebuilt) is type(circuit) and rebuilt.key == circuit.key
    assert builtin("builtin:cubic?log2=16").key == "builtin:cubic?log2=16"


@pytest.mark.parametrize(
    "key",
    [
        "cubic?log2=3",
        "builtin:square?log2=3",
        "builtin:cubic",
        "builtin:cubic?log2=x",
        "builtin:cubic?log2=03",
        "builtin:cubic?log2=3&log2=3",
        "builtin:cubic?size=3",
        "builtin:cubic?log2=3&extra=1",
        "builtin:cubic?log2=-3",
        "builtin:minroot?iterations=٣",
    ],
)
def test_malformed_or_unknown_keys_are_rejected(key: str) -> None:
    with pytest.raises(UnsupportedParameterError):
        builtin(key)


def test_the_shape_recorder_asks_the_fast_path_for_nothing() -> None:
    recorder = ShapeRecorder(FR)
    z = [recorder.alloc_input()]
    Cubic(3).synthesize(recorder, z, None)
    assert len(recorder.constraints) == 8


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.one_of(st.sampled_from([0, 1, P - 1]), elements), max_size=40))
def test_compact_from_ints_matches_the_dense_vector(values: list[int]) -> None:
    compact = compact_from_ints(FR, values)
    assert compact == CompactVector.from_dense(FR, FR.from_ints(values))
    assert FR.to_ints(compact.to_dense()) == values


@pytest.mark.parametrize("circuit", [Cubic(4), MinRoot(3)], ids=["cubic", "minroot"])
def test_witness_over_fq_takes_the_generic_path_and_satisfies(circuit: BuiltinStep) -> None:
    recorder = ShapeRecorder(FQ)
    circuit.synthesize(recorder, [recorder.alloc_input() for _ in range(circuit.arity)], None)
    shape = R1CSShape.from_recorder(recorder)
    generator = WitnessGenerator(FQ)
    z = [generator.alloc_input(v) for v in range(3, 3 + circuit.arity)]
    circuit.synthesize(generator, z, None)
    assert shape.first_unsatisfied(generator.assignment()) is None
