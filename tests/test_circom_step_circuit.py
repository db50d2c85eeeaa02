"""A circom circuit as a step circuit: its shape, its embedding in a larger circuit, and the
chain of the poseidon_chain fixture from z0 to zN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crypto.circom import load_wtns, step_out
from crypto.circom.wtns import Witness
from crypto.circuit import (
    Assignment,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    WitnessGenerator,
)
from crypto.circuit.circom_step import CircomStepCircuit, _combination
from crypto.circuit.step import StepCircuit, trace
from crypto.circuit.synthesis import record_step_shape, step_witness
from crypto.errors import StepCircuitError, UnsatisfiedConstraintError
from crypto.field import FR

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
P = FR.modulus


@pytest.fixture(scope="module")
def circuit() -> CircomStepCircuit:
    return CircomStepCircuit.from_files(
        FIXTURE / "poseidon_chain.r1cs", FIXTURE / "poseidon_chain.wasm"
    )


@pytest.fixture(scope="module")
def witnesses() -> list[Witness]:
    return [load_wtns(FIXTURE / f"step_{i:03d}.wtns") for i in range(16)]


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURE / "trace.json").read_text())
    return data


@pytest.fixture(scope="module")
def embedded_shape(circuit: CircomStepCircuit) -> R1CSShape:
    return record_step_shape(circuit)


def advice_of(step: dict[str, Any]) -> dict[str, Any]:
    return {"advice": step["advice"][0]}


def test_it_is_a_step_circuit_named_by_its_r1cs(circuit: CircomStepCircuit) -> None:
    assert isinstance(circuit, StepCircuit)
    assert circuit.arity == 2
    assert circuit.key.startswith("circom:") and len(circuit.key) == 7 + 64


def test_the_r1cs_alone_is_the_same_circuit_proving_no_step(
    circuit: CircomStepCircuit, embedded_shape: R1CSShape
) -> None:
    """What a verifier builds: same key, arity and embedded shape (so the same parameters), but
    no witness to prove a step with."""
    alone = CircomStepCircuit.from_r1cs(FIXTURE / "poseidon_chain.r1cs")
    assert (alone.key, alone.arity) == (circuit.key, circuit.arity)
    assert record_step_shape(alone).digest == embedded_shape.digest
    with pytest.raises(StepCircuitError, match="no recorded step"):
        alone.native([1, 0], {"advice": "3"})


def test_the_shape_is_circoms_r1cs_over_its_wire_vector(circuit: CircomStepCircuit) -> None:
    shape = circuit.shape
    assert (shape.n_constraints, shape.n_columns) == (518, 522)
    assert (shape.n_public, shape.n_private) == (4, 517)


def test_every_step_witness_satisfies_the_shape(
    circuit: CircomStepCircuit, witnesses: list[Witness]
) -> None:
    for witness in witnesses:
        assert circuit.shape.first_unsatisfied(circuit.assignment(witness)) is None


@pytest.mark.parametrize("position", [0, 1, 2, 3, 4, 100, 516])
def test_a_flipped_value_breaks_the_shape(
    circuit: CircomStepCircuit, witnesses: list[Witness], position: int
) -> None:
    honest = circuit.assignment(witnesses[3])
    values = [*honest.public, *honest.private]
    values[position] = (values[position] + 1) % P
    tampered = Assignment(values[:4], values[4:])
    assert circuit.shape.first_unsatisfied(tampered) is not None


def test_the_wasm_witness_is_the_recorded_one(
    circuit: CircomStepCircuit, witnesses: list[Witness], recorded: dict[str, Any]
) -> None:
    for i in (0, 15):
        step = recorded["steps"][i]
        z = [int(v) for v in step["step_in"]]
        assert circuit.witness(z, advice_of(step)) == witnesses[i]


def test_outputs_chain_from_z0_to_zn(circuit: CircomStepCircuit, recorded: dict[str, Any]) -> None:
    z0 = [int(v) for v in json.loads((FIXTURE / "z0.json").read_text())]
    advice = [advice_of(step) for step in recorded["steps"]]
    states = trace(circuit, z0, advice)
    assert states[-1] == [int(v) for v in recorded["zN"]]
    assert states[-1][1] == 16
    for i, step in enumerate(recorded["steps"]):
        assert states[i + 1] == [int(v) for v in step["step_out"]]


def test_the_embedding_adds_exactly_circoms_constraints(embedded_shape: R1CSShape) -> None:
    # z_i are the two public inputs; every other wire but the constant is private.
    assert embedded_shape.n_constraints == 518
    assert (embedded_shape.n_public, embedded_shape.n_private) == (2, 519)
    assert embedded_shape.name_of(517) == "circom constraint 517"


def test_embedded_witnesses_satisfy_and_chain(
    circuit: CircomStepCircuit, embedded_shape: R1CSShape, recorded: dict[str, Any]
) -> None:
    for i in (0, 7):
        step = recorded["steps"][i]
        z = [int(v) for v in step["step_in"]]
        witness = step_witness(circuit, z, advice_of(step))
        assert witness.outputs == [int(v) for v in step["step_out"]]
        assignment = witness.assignment()
        assert embedded_shape.first_unsatisfied(assignment) is None
        for position in (0, 1, 300):
            private = list(assignment.private)
            private[position] = (private[position] + 1) % P
            tampered = Assignment(assignment.public, private)
            assert embedded_shape.first_unsatisfied(tampered) is not None


def test_a_wtns_file_embeds_like_the_wasm_witness(
    circuit: CircomStepCircuit, witnesses: list[Witness], recorded: dict[str, Any]
) -> None:
    step = recorded["steps"][5]
    z = [int(v) for v in step["step_in"]]
    from_file, from_wasm = WitnessGenerator(FR), WitnessGenerator(FR)
    out_file = circuit.embed(from_file, [from_file.alloc_input(v) for v in z], witnesses[5])
    out_wasm = circuit.synthesize(from_wasm, [from_wasm.alloc_input(v) for v in z], advice_of(step))
    assert from_file.private == from_wasm.private
    assert [from_file.value(v) for v in out_file] == list(step_out(witnesses[5], 2))
    assert [v.id for v in out_file] == [v.id for v in out_wasm]


def test_the_checker_replays_every_constraint(
    circuit: CircomStepCircuit, witnesses: list[Witness], recorded: dict[str, Any]
) -> None:
    step = recorded["steps"][2]
    z = [int(v) for v in step["step_in"]]
    checker = SatisfactionChecker(FR)
    outputs = circuit.synthesize(checker, [checker.alloc_input(v) for v in z], advice_of(step))
    assert checker.n_constraints == 518
    assert [checker.value(v) for v in outputs] == [int(v) for v in step["step_out"]]
    # The generic path allocates what the fast one appends.
    fast = WitnessGenerator(FR)
    circuit.synthesize(fast, [fast.alloc_input(v) for v in z], advice_of(step))
    assert fast.private == checker.private


def test_a_tampered_wtns_is_caught_by_the_checker(
    circuit: CircomStepCircuit, witnesses: list[Witness]
) -> None:
    honest = witnesses[4]
    values = list(honest.values)
    values[300] = (values[300] + 1) % P
    tampered = Witness(honest.prime, tuple(values))
    z = list(honest.values[3:5])
    checker = SatisfactionChecker(FR)
    with pytest.raises(UnsatisfiedConstraintError) as caught:
        circuit.embed(checker, [checker.alloc_input(v) for v in z], tampered)
    assert caught.value.name.startswith("circom constraint ")


def test_a_witness_of_another_step_is_rejected(
    circuit: CircomStepCircuit, witnesses: list[Witness]
) -> None:
    generator = WitnessGenerator(FR)
    z = [generator.alloc_input(v) for v in witnesses[1].values[3:5]]
    with pytest.raises(StepCircuitError):
        circuit.embed(generator, z, witnesses[2])
    with pytest.raises(StepCircuitError):
        circuit.embed(generator, z[:1], witnesses[1])


def test_wires_sharing_one_variable_add_up() -> None:
    # z = [v, v] maps two wires to one variable: their terms must add, not overwrite.
    assert _combination(((1, 2), (2, 3), (3, 4)), [0, 7, 7, 9]).terms == {7: 5, 9: 4}


def test_one_variable_for_both_inputs_embeds(circuit: CircomStepCircuit) -> None:
    recorder = ShapeRecorder(FR)
    x = recorder.alloc_input()
    circuit.synthesize(recorder, [x, x], None)
    assert len(recorder.constraints) == 518
    checker = SatisfactionChecker(FR)
    v = checker.alloc_input(5)
    outputs = circuit.synthesize(checker, [v, v], {"advice": "9"})
    assert checker.value(outputs[1]) == 6
