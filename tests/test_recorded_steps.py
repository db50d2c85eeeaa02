"""Circom jobs of recorded steps (SPEC.md §9.2, §9.4): a package of the .r1cs alone, each step's
input carrying that step's .wtns, which a prover bounds by the circuit's wire count, checks
against the circuit and the step's state, and proves from only if it satisfies the constraints;
and the requester's preparation, which checks the same and that the witnesses chain from z0."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2
import pytest
import trio

from crypto.circom import carried_advice, encode_wtns, parse_wtns, wtns_size
from crypto.circom.wtns import Witness
from crypto.circuit import SatisfactionChecker
from crypto.circuit import package as package_module
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.package import (
    builtin_package,
    circom_package,
    load_package,
    recorded_package,
    step_cost,
)
from crypto.circuit.synthesis import record_step_shape, step_witness
from crypto.errors import (
    BadMagicError,
    CircuitPackageOversizeError,
    ConstantWireError,
    StepCircuitError,
    UnsatisfiedWitnessError,
    WireCountMismatchError,
)
from crypto.field import FR
from node.errors import ProvingInputError, RecordedWitnessError
from node.job_inputs import advice, state
from node.proving import CircuitRef, open_proving
from node.requester import prepare_job, prepare_recorded_job
from protocol.content import (
    RecordedStepInput,
    StepInput,
    decode_step_input,
    encode_step_input,
)
from protocol.errors import (
    MissingFieldError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    UnknownFieldError,
    WrongTypeError,
)
from protocol.limits import MAX_WITNESS_BYTES

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
R1CS = (FIXTURE / "poseidon_chain.r1cs").read_bytes()
WASM = (FIXTURE / "poseidon_chain.wasm").read_bytes()
WTNS = [(FIXTURE / f"step_{i:03d}.wtns").read_bytes() for i in range(16)]
TRACE: dict[str, Any] = json.loads((FIXTURE / "trace.json").read_text())
Z0 = [int(v) for v in TRACE["z0"]]
ZN = [int(v) for v in TRACE["zN"]]


@pytest.fixture(scope="module")
def recorded() -> CircomStepCircuit:
    circuit = load_package(recorded_package(R1CS))
    assert isinstance(circuit, CircomStepCircuit)
    return circuit


def tampered(wtns: bytes, wire: int) -> bytes:
    """The witness with one wire's value changed."""
    witness = parse_wtns(wtns)
    values = list(witness.values)
    values[wire] = (values[wire] + 1) % witness.prime
    return encode_wtns(Witness(witness.prime, tuple(values)))


def state_of(step: dict[str, Any], key: str) -> list[int]:
    return [int(v) for v in step[key]]


# The package.


def test_recorded_package_is_the_r1cs_alone() -> None:
    assert recorded_package(R1CS) == cbor2.dumps({"v": 1, "r1cs": R1CS}, canonical=True)


def test_it_is_the_circom_circuit_without_a_generator(recorded: CircomStepCircuit) -> None:
    """Same key, shape and cost as the wasm package of the same .r1cs: the same parameters, so
    either package verifies the other's proofs."""
    with_wasm = load_package(circom_package(R1CS, WASM))
    assert isinstance(with_wasm, CircomStepCircuit)
    assert recorded.carries_witnesses and not with_wasm.carries_witnesses
    assert (recorded.key, recorded.arity) == (with_wasm.key, with_wasm.arity)
    assert record_step_shape(recorded).digest == record_step_shape(with_wasm).digest
    assert step_cost(recorded) == step_cost(with_wasm) == 518


def test_a_garbage_r1cs_is_refused() -> None:
    with pytest.raises(BadMagicError):
        recorded_package(b"not an r1cs file")


def test_a_circuit_whose_witness_cannot_fit_in_a_step_input_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 16 MiB witness is too much for a test: the same check, under a bound one byte short.
    size = wtns_size(len(parse_wtns(WTNS[0]).values))
    monkeypatch.setattr(package_module, "MAX_WITNESS_BYTES", size - 1)
    with pytest.raises(CircuitPackageOversizeError, match="ship the wasm") as raised:
        recorded_package(R1CS)
    assert raised.value.field == "r1cs"
    monkeypatch.setattr(package_module, "MAX_WITNESS_BYTES", size)
    assert load_package(recorded_package(R1CS)).arity == 2


# Proving a step from its carried witness.


def test_each_step_runs_from_its_own_witness(recorded: CircomStepCircuit) -> None:
    for step, wtns in zip(TRACE["steps"], WTNS, strict=True):
        out = recorded.native(state_of(step, "step_in"), carried_advice(wtns))
        assert out == state_of(step, "step_out")


def test_the_embedded_step_satisfies_the_augmented_constraints(
    recorded: CircomStepCircuit,
) -> None:
    step = TRACE["steps"][3]
    z = state_of(step, "step_in")
    checker = SatisfactionChecker(FR)
    outputs = recorded.synthesize(
        checker, [checker.alloc_input(v) for v in z], carried_advice(WTNS[3])
    )
    assert [checker.value(v) for v in outputs] == state_of(step, "step_out")
    assert step_witness(recorded, z, carried_advice(WTNS[3])).outputs == state_of(step, "step_out")


def test_a_witness_not_starting_from_the_state_is_refused(recorded: CircomStepCircuit) -> None:
    with pytest.raises(StepCircuitError, match="not from the step's state"):
        recorded.native(Z0, carried_advice(WTNS[1]))


@pytest.mark.parametrize("wire", [1, 2, 5, 300, 520])
def test_a_witness_that_violates_a_constraint_is_refused(
    recorded: CircomStepCircuit, wire: int
) -> None:
    """Any wire changed — a claimed output (1, 2), a private input (5), an internal wire — and
    the witness proves nothing; step_in (3, 4) is the state, checked before."""
    with pytest.raises(UnsatisfiedWitnessError, match="violates circom constraint"):
        recorded.native(Z0, carried_advice(tampered(WTNS[0], wire)))


def test_a_witness_of_another_circuit_is_refused_before_it_is_parsed(
    recorded: CircomStepCircuit,
) -> None:
    witness = parse_wtns(WTNS[0])
    longer = encode_wtns(Witness(witness.prime, (*witness.values, 0)))
    shorter = encode_wtns(Witness(witness.prime, witness.values[:-1]))
    for wtns in (longer, shorter, WTNS[0] + b"\x00", b"\xff" * 16):
        with pytest.raises(WireCountMismatchError, match="another circuit"):
            recorded.native(Z0, carried_advice(wtns))
    # Of the right length but not a .wtns: the parser's own error.
    with pytest.raises(BadMagicError):
        recorded.native(Z0, carried_advice(b"x" + WTNS[0][1:]))


def test_a_witness_whose_constant_wire_is_not_one_is_refused(
    recorded: CircomStepCircuit,
) -> None:
    with pytest.raises(ConstantWireError):
        recorded.native(Z0, carried_advice(tampered(WTNS[0], 0)))


def test_a_step_without_a_witness_is_refused(recorded: CircomStepCircuit) -> None:
    for step_advice in ({"advice": "3"}, {"wtns": "not bytes"}, None):
        with pytest.raises(StepCircuitError, match="carries none"):
            recorded.native(Z0, step_advice)


def test_the_wasm_circuit_refuses_a_carried_witness() -> None:
    with_wasm = load_package(circom_package(R1CS, WASM))
    with pytest.raises(StepCircuitError, match="belongs to a job of recorded steps"):
        with_wasm.native(Z0, carried_advice(WTNS[0]))


# The step input that carries the witness.


def test_recorded_step_input_round_trips_and_gives_the_worker_its_witness() -> None:
    step_input = RecordedStepInput(tuple(v.to_bytes(32, "little") for v in Z0), WTNS[0])
    blob = encode_step_input(step_input)
    assert cbor2.loads(blob) == {"z": list(step_input.z), "witness": WTNS[0]}
    decoded = decode_step_input(blob, 2)
    assert decoded == step_input
    assert state(decoded) == tuple(Z0)
    assert advice(decoded) == carried_advice(WTNS[0])


def test_an_advice_step_input_is_still_its_own_kind() -> None:
    step_input = StepInput((bytes(32),), b'{"a": 1}')
    decoded = decode_step_input(encode_step_input(step_input), 1)
    assert isinstance(decoded, StepInput) and advice(decoded) == {"a": 1}


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        ({"z": [bytes(32)], "witness": b"w", "advice": b"{}"}, UnknownFieldError),
        ({"witness": b"w"}, MissingFieldError),
        ({"z": [bytes(32)], "witness": "w"}, WrongTypeError),
        ({"z": [bytes(32)], "witness": b""}, OutOfRangeError),
        ({"z": [b"\xff" * 32], "witness": b"w"}, NonCanonicalError),
    ],
)
def test_recorded_step_input_is_decoded_strictly(
    wire: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        decode_step_input(cbor2.dumps(wire, canonical=True), 1)


def test_a_witness_over_the_bound_is_refused_by_the_step_input() -> None:
    with pytest.raises(OversizeError):
        RecordedStepInput((bytes(32),), bytes(MAX_WITNESS_BYTES + 1))


# The requester.


def test_prepare_recorded_job_chains_the_witnesses_from_z0() -> None:
    prepared = prepare_recorded_job(recorded_package(R1CS), WTNS, Z0)
    assert prepared.circuit == recorded_package(R1CS)
    assert (prepared.steps, prepared.cost) == (16, 518)
    assert prepared.z0 == tuple(Z0) and prepared.final_state == tuple(ZN)
    for step, (blob, wtns) in enumerate(zip(prepared.inputs, WTNS, strict=True)):
        step_input = decode_step_input(blob, 2)
        assert isinstance(step_input, RecordedStepInput) and step_input.witness == wtns
        assert list(state(step_input)) == state_of(TRACE["steps"][step], "step_in")


def test_the_wasm_job_of_the_same_computation_has_the_same_final_state() -> None:
    wasm_job = prepare_job(circom_package(R1CS, WASM), Z0, [{"advice": "3"}])
    assert (
        wasm_job.final_state
        == prepare_recorded_job(recorded_package(R1CS), WTNS[:1], Z0).final_state
    )


def test_a_broken_chain_names_the_step() -> None:
    skipped = [*WTNS[:5], *WTNS[6:]]
    with pytest.raises(RecordedWitnessError, match=r"witness 5 \(step 5.*witness 4 ends in"):
        prepare_recorded_job(recorded_package(R1CS), skipped, Z0)


def test_witnesses_not_starting_from_z0_are_refused() -> None:
    with pytest.raises(RecordedWitnessError, match=r"witness 0 \(step 0, which must start from z0"):
        prepare_recorded_job(recorded_package(R1CS), WTNS, [2, 0])


def test_an_unsatisfying_or_foreign_witness_names_the_step() -> None:
    with pytest.raises(RecordedWitnessError, match=r"witness 2 .*violates circom constraint"):
        prepare_recorded_job(recorded_package(R1CS), [*WTNS[:2], tampered(WTNS[2], 300)], Z0)
    with pytest.raises(RecordedWitnessError, match=r"witness 1 .*another circuit"):
        prepare_recorded_job(recorded_package(R1CS), [WTNS[0], WTNS[1][:-32]], Z0)


# The worker.


def test_a_worker_proves_a_step_from_its_input_alone_and_refuses_bad_ones(tmp_path: Path) -> None:
    """The path a network job takes on a worker: the step-input blob, decoded, handed to a
    proving worker process with the recorded package; a tampered witness, a witness of the
    wrong step and a step input without one are refused as inputs, never proven."""
    prepared = prepare_recorded_job(recorded_package(R1CS), WTNS[:3], Z0)
    path = tmp_path / "circuit"
    path.write_bytes(prepared.circuit)
    circuit = CircuitRef(hashlib.sha256(prepared.circuit).digest(), path)
    ctx = bytes(32)
    step = decode_step_input(prepared.inputs[2], 2)

    async def scenario() -> None:
        async with open_proving(1, tmp_path / "cache") as service:
            leaf = await service.prove_step(circuit, ctx, 2, state(step), advice(step), None, None)
            statement = await service.verify_node(circuit, leaf, ctx=ctx, a=2, b=3, z_a=state(step))
            assert list(statement.z_b) == state_of(TRACE["steps"][2], "step_out")
            for bad, reason in (
                (carried_advice(tampered(WTNS[2], 300)), "violates circom constraint"),
                (carried_advice(WTNS[1]), "not from the step's state"),
                ({"advice": "3"}, "carries none"),
            ):
                with pytest.raises(ProvingInputError, match=f"step 2: .*{reason}"):
                    await service.prove_step(circuit, ctx, 2, state(step), bad, None, None)

    trio.run(scenario)


def test_a_builtin_circuit_refuses_a_recorded_step_briefly() -> None:
    with pytest.raises(StepCircuitError, match=r"takes no advice; got keys \['wtns'\]$"):
        load_package(builtin_package("builtin:cubic?log2=4")).native([3], carried_advice(WTNS[0]))


def test_a_job_needs_a_witness() -> None:
    with pytest.raises(RecordedWitnessError, match="at least one step"):
        prepare_recorded_job(recorded_package(R1CS), [], Z0)
