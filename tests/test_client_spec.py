"""The SDK's side that needs no network: job descriptions refused before any announcement,
deterministic request ids, and the offline check of a proof file against what was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.circuit.builtins import builtin
from crypto.snark import compressed
from crypto.snark.encoding import encode_proof, proof_file_of_blob
from crypto.tree.params import public_params
from crypto.tree.scheduler import prove_job
from node.client import (
    Expected,
    builtin_spec,
    circom_spec,
    load_advice,
    parse_state,
    prepare,
    recorded_spec,
    request_id,
    verify_offline,
)
from node.commands import tree
from node.errors import InvalidProofError, JobSpecError
from node.requester import PreparedJob, _lifetime_ms
from protocol.messages import JobAnnouncement, WorkerEntry

BUILTIN = "builtin:cubic?log2=4"
CIRCOM = Path(__file__).resolve().parent / "fixtures" / "circom" / "poseidon_chain"
CTX = bytes(range(32))


def test_a_builtin_spec_traces_to_the_circuits_final_state() -> None:
    prepared = prepare(builtin_spec(BUILTIN, [3], steps=3)).prepared
    z = (3,)
    circuit = builtin(BUILTIN)
    for _ in range(3):
        z = tuple(circuit.native(z, None))
    assert prepared.final_state == z
    assert prepared.steps == 3


def test_a_circom_spec_traces_to_the_fixtures_final_state() -> None:
    z0 = parse_state((CIRCOM / "z0.json").read_text())
    advice = load_advice(CIRCOM / "advice.json", 16)
    spec = circom_spec(
        CIRCOM / "poseidon_chain.r1cs", CIRCOM / "poseidon_chain.wasm", z0, steps=16, advice=advice
    )
    trace = json.loads((CIRCOM / "trace.json").read_text())
    assert list(prepare(spec).prepared.final_state) == [int(v) for v in trace["zN"]]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: builtin_spec("builtin:nope", [3], steps=2), "not a built-in"),
        (lambda: builtin_spec(BUILTIN, [3], steps=0), "1 to"),
        (lambda: builtin_spec(BUILTIN, [3], steps=2, advice=[{}]), "1 input objects for 2"),
        (lambda: builtin_spec(BUILTIN, [3], steps=1, advice=[[1]]), "not a JSON object"),
        (lambda: builtin_spec(BUILTIN, [-1], steps=1), "not an element"),
        (lambda: builtin_spec(BUILTIN, [], steps=1), "empty"),
        (lambda: parse_state("[1,"), "not JSON"),
        (lambda: parse_state('{"a": 1}'), "JSON array"),
        (
            lambda: circom_spec(
                Path("/nonexistent.r1cs"), Path("x.wasm"), [1], steps=1, advice=None
            ),
            "cannot read",
        ),
    ],
)
def test_specs_that_cannot_be_served_are_refused_with_the_reason(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(JobSpecError, match=message):
        make()


def test_a_z0_of_the_wrong_arity_is_refused_before_tracing() -> None:
    with pytest.raises(JobSpecError, match="arity 1"):
        prepare(builtin_spec(BUILTIN, [1, 2], steps=1))


def test_a_step_the_circuit_rejects_is_named(tmp_path: Path) -> None:
    advice = json.loads((CIRCOM / "advice.json").read_text())
    advice[5] = {"no_such_signal": 1}
    z0 = parse_state((CIRCOM / "z0.json").read_text())
    spec = circom_spec(
        CIRCOM / "poseidon_chain.r1cs", CIRCOM / "poseidon_chain.wasm", z0, steps=16, advice=advice
    )
    with pytest.raises(JobSpecError, match="step 5"):
        prepare(spec)


def test_request_ids_are_deterministic_per_requester_and_job() -> None:
    def job(key: str, z0: int, steps: int) -> PreparedJob:
        return prepare(builtin_spec(key, [z0], steps=steps)).prepared

    alice, bob = bytes(32), bytes([1]) * 32
    assert request_id(alice, job(BUILTIN, 3, 4)) == request_id(alice, job(BUILTIN, 3, 4))
    first = request_id(alice, job(BUILTIN, 3, 4))
    assert len(first) == 16
    others = {
        request_id(bob, job(BUILTIN, 3, 4)),
        request_id(alice, job(BUILTIN, 4, 4)),
        request_id(alice, job(BUILTIN, 3, 5)),
        request_id(alice, job("builtin:cubic?log2=5", 3, 4)),
    }
    assert first not in others and len(others) == 4


@pytest.fixture(scope="module")
def proof_file() -> tuple[bytes, Expected]:
    """A real compressed proof of 2 steps under a job-like ctx, as a network job returns it."""
    circuit = builtin(BUILTIN)
    root = prove_job(lambda: builtin(BUILTIN), CTX, [3], [None, None], 1, None, None, None)
    blob = encode_proof(compressed.prove(compressed.snark_keys(public_params(circuit)), root))
    expected = Expected(CTX, 2, (3,), tuple(root.statement.z_b))
    return proof_file_of_blob(circuit.key, blob), expected


def test_a_network_proof_file_verifies_offline_and_with_the_cli(
    proof_file: tuple[bytes, Expected], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, expected = proof_file
    statement = verify_offline(data, builtin(BUILTIN), expected)
    assert statement.z_b == expected.zn
    path = tmp_path / "proof.cbor"
    path.write_bytes(data)
    assert tree.verify(path, expect_job=CTX.hex()) == tree.OK
    assert f"job:     {CTX.hex()}" in capsys.readouterr().out
    assert tree.verify(path, expect_job="00" * 32) == tree.INVALID


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("job", bytes(32), "states job"),
        ("steps", 3, "states steps"),
        ("z0", (4,), "states z0"),
        ("zn", (5,), "states zN"),
    ],
)
def test_a_valid_proof_of_another_statement_is_refused(
    proof_file: tuple[bytes, Expected], field: str, value: object, message: str
) -> None:
    data, expected = proof_file
    wrong = Expected(**{**expected.__dict__, field: value})
    with pytest.raises(InvalidProofError, match=message):
        verify_offline(data, builtin(BUILTIN), wrong)


def test_a_tampered_proof_file_is_refused(proof_file: tuple[bytes, Expected]) -> None:
    data, expected = proof_file
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(InvalidProofError):
        verify_offline(bytes(tampered), builtin(BUILTIN), expected)


def test_a_proof_of_another_circuit_is_refused(proof_file: tuple[bytes, Expected]) -> None:
    data, expected = proof_file
    with pytest.raises(InvalidProofError, match="circuit"):
        verify_offline(data, builtin("builtin:cubic?log2=5"), expected)


def test_a_recorded_spec_traces_to_the_fixtures_final_state() -> None:
    witnesses = sorted(CIRCOM.glob("*.wtns"))
    z0 = parse_state((CIRCOM / "z0.json").read_text())
    traced = prepare(recorded_spec(CIRCOM / "poseidon_chain.r1cs", witnesses, z0))
    trace = json.loads((CIRCOM / "trace.json").read_text())
    assert list(traced.prepared.final_state) == [int(v) for v in trace["zN"]]
    assert traced.spec.steps == len(witnesses) == 16


def test_a_recorded_spec_whose_witnesses_skip_a_step_names_it() -> None:
    witnesses = sorted(CIRCOM.glob("*.wtns"))
    del witnesses[3]
    z0 = parse_state((CIRCOM / "z0.json").read_text())
    with pytest.raises(JobSpecError, match="witness 3"):
        prepare(recorded_spec(CIRCOM / "poseidon_chain.r1cs", witnesses, z0))


def test_a_job_too_large_for_the_workers_to_finish_in_a_jobs_lifetime_is_refused() -> None:
    workers = (WorkerEntry(bytes(32), 1000),)  # 1,000 constraints a second

    def announcement(steps: int) -> JobAnnouncement:
        return JobAnnouncement(
            bytes(16), bytes(32), 1_000_000, steps, bytes(32), bytes(32), 0, workers
        )

    assert _lifetime_ms(announcement(2)) >= 3_600_000  # ~2,000 s of work: it fits
    with pytest.raises(JobSpecError, match="split it into shorter jobs"):
        _lifetime_ms(announcement(1000))  # ~11 days of work
