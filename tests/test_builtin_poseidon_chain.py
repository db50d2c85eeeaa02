"""The built-in Poseidon chain: its native evaluator and circuit reproduce the circom fixture."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import first_failure, synthesize, tampered
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import ConstraintSystem, ShapeRecorder, Var
from crypto.circuit.builtins.poseidon_chain import PoseidonChain, advice_value
from crypto.circuit.step import Advice, StepCircuit, trace
from crypto.errors import FieldMismatchError, StepCircuitError
from crypto.field import FQ, FR, PrimeField

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
TRACE: dict[str, Any] = json.loads((FIXTURE / "trace.json").read_text())
ADVICE: list[dict[str, Any]] = json.loads((FIXTURE / "advice.json").read_text())
Z0 = [int(v) for v in json.loads((FIXTURE / "z0.json").read_text())]


def ints(values: Sequence[str]) -> list[int]:
    return [int(v) for v in values]


def step_circuit(
    chain: PoseidonChain, z: Sequence[int], advice: Advice
) -> Callable[[ConstraintSystem], list[Var]]:
    """z as public inputs, one step, its outputs as the returned variables."""

    def circuit(cs: ConstraintSystem) -> list[Var]:
        inputs = [cs.alloc_input(v, f"z{i}") for i, v in enumerate(z)]
        return chain.synthesize(cs, inputs, advice)

    return circuit


def test_is_a_step_circuit() -> None:
    chain = PoseidonChain()
    assert isinstance(chain, StepCircuit)
    assert (chain.arity, chain.key) == (2, "builtin:poseidon_chain")
    assert PoseidonChain(FQ).key == "builtin:poseidon_chain?field=Fq"


def test_native_reproduces_the_circom_trace() -> None:
    chain = PoseidonChain()
    assert ints(TRACE["steps"][0]["step_in"]) == Z0
    for step in TRACE["steps"]:
        advice = {"advice": step["advice"][0]}
        assert chain.native(ints(step["step_in"]), advice) == ints(step["step_out"])
    states = trace(chain, Z0, ADVICE)
    assert states[-1] == ints(TRACE["zN"])
    assert len(states) == len(TRACE["steps"]) + 1


def test_circuit_chains_to_the_trace() -> None:
    chain = PoseidonChain()
    z = Z0
    for step, advice in zip(TRACE["steps"], ADVICE, strict=True):
        result = synthesize(FR, step_circuit(chain, z, advice))
        z = [result.generator.value(v) for v in result.output]
        assert z == ints(step["step_out"])
    assert z == ints(TRACE["zN"])


def test_shape_cost_and_independence_from_values() -> None:
    chain = PoseidonChain()
    shapes = [synthesize(FR, step_circuit(chain, Z0, a)).shape for a in ADVICE[:2]]
    recorder = ShapeRecorder(FR)
    step_circuit(chain, [0, 0], None)(recorder)
    assert len(recorder.constraints) == 242
    assert shapes[0].digest == shapes[1].digest


def test_wrong_hash_output_is_rejected() -> None:
    result = synthesize(FR, step_circuit(PoseidonChain(), Z0, ADVICE[0]))
    digest, counter = result.output
    assert first_failure(result.shape, tampered(result.assignment, digest, 5)) == "hash"
    assert first_failure(result.shape, tampered(result.assignment, counter, 0)) == "counter"


@settings(max_examples=5, deadline=None)
@given(data=st.data(), field=st.sampled_from([FR, FQ]))
def test_circuit_equals_native_on_random_states(data: st.DataObject, field: PrimeField) -> None:
    p = field.modulus
    z = data.draw(st.lists(st.integers(0, p - 1), min_size=2, max_size=2), label="z")
    advice = {"advice": data.draw(st.integers(-p, p), label="advice")}
    chain = PoseidonChain(field)
    result = synthesize(field, step_circuit(chain, z, advice))
    assert [result.generator.value(v) for v in result.output] == chain.native(z, advice)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), ("7", 7), ("0x1f", 31), ("-1", FR.modulus - 1), (["9"], 9), (-2, FR.modulus - 2)],
)
def test_advice_formats(value: object, expected: int) -> None:
    assert advice_value({"advice": value}, FR.modulus) == expected


@pytest.mark.parametrize(
    "advice",
    [
        None,
        {},
        {"advice": "3", "extra": 1},
        {"advice": "three"},
        {"advice": 1.5},
        {"advice": True},
        {"advice": ["1", "2"]},
        {"advice": "1_000"},
    ],
)
def test_bad_advice_is_refused(advice: Advice) -> None:
    with pytest.raises(StepCircuitError):
        PoseidonChain().native([1, 0], advice)


def test_bad_states_and_fields_are_refused() -> None:
    chain = PoseidonChain()
    with pytest.raises(StepCircuitError):
        chain.native([1], {"advice": 3})
    with pytest.raises(StepCircuitError):
        chain.native([FR.modulus, 0], {"advice": 3})
    with pytest.raises(StepCircuitError):
        step_circuit(chain, [1, 0, 0], {"advice": 3})(ShapeRecorder(FR))
    with pytest.raises(FieldMismatchError):
        step_circuit(chain, [1, 0], {"advice": 3})(ShapeRecorder(FQ))
