"""The compressed proof of a root (docs/tree-nova.md §8.3, SPEC.md §7.2): completeness for
several step counts and both kinds of step circuit, rejection of every altered part and of
another statement or other parameters, and the blob's strict decoding.

The tamper tests alter one proof in every place it has a value and re-run verification; roots
are small (F = builtin:cubic of 2² constraints, a few steps) so each proof takes seconds.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest
from tree_samples import step

from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.step import trace
from crypto.errors import (
    CryptoError,
    EvaluationProofError,
    FoldMismatchError,
    ParameterMismatchError,
    ProofDecodingError,
    ProofInvalidPointError,
    ProofMalformedCborError,
    ProofNonCanonicalScalarError,
    ProofOversizeError,
    ProofRangeError,
    ProofUnknownFieldError,
    ProofWrongLengthError,
    SnarkError,
    StatementMismatchError,
    SumcheckError,
)
from crypto.folding.relaxed import RelaxedInstance
from crypto.group import G1, Grumpkin
from crypto.snark.compressed import CompressedProof, SnarkKeys, prove, snark_keys, verify
from crypto.snark.encoding import (
    decode_proof,
    decode_proof_file,
    encode_proof,
    encode_proof_file,
    encoded_size,
    max_encoded_size,
)
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams, public_params
from crypto.tree.scheduler import prove_range
from protocol.limits import MAX_PROOF_BYTES

CTX = bytes(32)
Z0 = (7,)
FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"


@functools.cache
def params() -> PublicParams:
    return public_params(step())


@functools.cache
def keys() -> SnarkKeys:
    return snark_keys(params())


@functools.cache
def root(n: int) -> Node:
    return prove_range(params(), CTX, 0, Z0, [None] * n)


@functools.cache
def proof(n: int = 3) -> CompressedProof:
    return prove(keys(), root(n))


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_roots_of_several_step_counts_verify(n: int) -> None:
    statement = verify(keys(), proof(n))
    assert statement == root(n).statement
    assert (statement.a, statement.b, statement.z_a) == (0, n, Z0)
    assert statement.z_b == tuple(trace(step(), Z0, [None] * n)[-1])


def test_circom_fixture_root_verifies() -> None:
    paths = sorted(FIXTURE.glob("step_*.wtns"))[:3]
    circuit = CircomStepCircuit.from_witnesses(FIXTURE / "poseidon_chain.r1cs", paths)
    circom_params = public_params(circuit)
    z0 = tuple(int(v) for v in json.loads((FIXTURE / "z0.json").read_text()))
    node = prove_range(circom_params, CTX, 0, z0, [None] * len(paths))
    circom_keys = snark_keys(circom_params)
    compressed = prove(circom_keys, node)
    statement = verify(circom_keys, compressed)
    steps = json.loads((FIXTURE / "trace.json").read_text())["steps"]
    assert list(statement.z_b) == [int(v) for v in steps[len(paths) - 1]["step_out"]]
    blob = encode_proof(compressed)
    assert encode_proof(decode_proof(blob, circom_keys)) == blob
    # A proof of the cubic step is not one of the circom circuit, and vice versa.
    with pytest.raises(ParameterMismatchError):
        verify(circom_keys, proof())
    with pytest.raises(ParameterMismatchError):
        verify(keys(), compressed)


def test_keys_are_derived_once_and_bind_the_parameters() -> None:
    assert snark_keys(params()) is keys()
    k = keys()
    assert len(k.primary_key) >= k.primary.opening_length
    assert len(k.secondary_key) >= k.secondary.opening_length
    assert k.digest != k.primary.digest != k.secondary.digest


# Statement


def _with_statement(p: CompressedProof, **changes: Any) -> CompressedProof:
    return dataclasses.replace(p, statement=dataclasses.replace(p.statement, **changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"z_a": (8,)},
        {"z_b": (1,)},
        {"b": 4},
        {"b": 2},
        {"ctx": bytes([1]) + bytes(31)},
    ],
    ids=["z0", "zN", "N+1", "N-1", "ctx"],
)
def test_another_statement_is_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(CryptoError):
        verify(keys(), _with_statement(proof(), **changes))


def test_other_parameters_are_rejected() -> None:
    other = _with_statement(proof(), params_digest=bytes(32))
    with pytest.raises(ParameterMismatchError):
        verify(keys(), other)
    with pytest.raises(StatementMismatchError):
        verify(keys(), _with_statement(proof(), z_a=(7, 7), z_b=(1, 1)))


# Every group element, scalar, sum-check message and opening value


def _bump_point(point: Any) -> Any:
    curve = G1 if type(point) is type(G1.identity()) else Grumpkin
    return point + curve.generator()


def _instance_tampers(name: str) -> list[tuple[str, Callable[[CompressedProof], CompressedProof]]]:
    def change(part: str) -> Callable[[CompressedProof], CompressedProof]:
        def apply(p: CompressedProof) -> CompressedProof:
            instance: RelaxedInstance = getattr(p, name)
            if part in ("comm_W", "comm_E"):
                new = dataclasses.replace(instance, **{part: _bump_point(getattr(instance, part))})
            elif part == "u":
                new = dataclasses.replace(instance, u=instance.u + 1)
            else:
                new = dataclasses.replace(instance, X=(instance.X[0] + 1, *instance.X[1:]))
            return dataclasses.replace(p, **{name: new})

        return apply

    return [(f"{name}.{part}", change(part)) for part in ("comm_W", "comm_E", "u", "X")]


def _spartan_tampers(
    side: str,
) -> list[tuple[str, Callable[[CompressedProof], CompressedProof]]]:
    def with_part(p: CompressedProof, **changes: Any) -> CompressedProof:
        return dataclasses.replace(p, **{side: dataclasses.replace(getattr(p, side), **changes)})

    def bump_round(
        rounds_name: str, i: int, j: int
    ) -> Callable[[CompressedProof], CompressedProof]:
        def apply(p: CompressedProof) -> CompressedProof:
            rounds = list(getattr(getattr(p, side), rounds_name))
            values = list(rounds[i])
            values[j] = (values[j] + 1) % keys().params.primary.field.modulus
            rounds[i] = tuple(values)
            return with_part(p, **{rounds_name: tuple(rounds)})

        return apply

    def bump_claim(claim: str) -> Callable[[CompressedProof], CompressedProof]:
        def apply(p: CompressedProof) -> CompressedProof:
            return with_part(p, **{claim: getattr(getattr(p, side), claim) + 1})

        return apply

    def bump_opening(part: str) -> Callable[[CompressedProof], CompressedProof]:
        def apply(p: CompressedProof) -> CompressedProof:
            opening = getattr(p, side).opening
            if part == "a":
                new = dataclasses.replace(opening, a=opening.a + 1)
            else:
                points = list(getattr(opening, part))
                points[0] = _bump_point(points[0])
                new = dataclasses.replace(opening, **{part: tuple(points)})
            return with_part(p, opening=new)

        return apply

    tampers = [
        (f"{side}.{rounds}[{i}][{j}]", bump_round(rounds, i, j))
        for rounds, i, j in (
            ("outer_rounds", 0, 0),
            ("outer_rounds", -1, 2),
            ("inner_rounds", 0, 1),
            ("inner_rounds", -1, 0),
            ("batch_rounds", 0, 0),
            ("batch_rounds", -1, 1),
        )
    ]
    tampers += [
        (f"{side}.{c}", bump_claim(c)) for c in ("az", "bz", "cz", "e_rx", "w_ry", "w_rz", "e_rz")
    ]
    tampers += [(f"{side}.opening.{part}", bump_opening(part)) for part in ("L", "R", "a")]
    return tampers


TAMPERS = [
    *_instance_tampers("U1"),
    *_instance_tampers("U2"),
    ("u2_comm_W", lambda p: dataclasses.replace(p, u2_comm_W=_bump_point(p.u2_comm_W))),
    ("comm_T", lambda p: dataclasses.replace(p, comm_T=_bump_point(p.comm_T))),
    *_spartan_tampers("primary"),
    *_spartan_tampers("secondary"),
    ("swapped rounds", lambda p: dataclasses.replace(
        p, primary=dataclasses.replace(
            p.primary, outer_rounds=(p.primary.outer_rounds[1], p.primary.outer_rounds[0],
                                     *p.primary.outer_rounds[2:])))),
]  # fmt: skip


@pytest.mark.parametrize("tamper", [t for _, t in TAMPERS], ids=[name for name, _ in TAMPERS])
def test_every_altered_part_is_rejected(
    tamper: Callable[[CompressedProof], CompressedProof],
) -> None:
    with pytest.raises((SnarkError, FoldMismatchError, CryptoError)) as caught:
        verify(keys(), tamper(proof()))
    assert isinstance(caught.value, SumcheckError | EvaluationProofError | SnarkError)


def test_a_proof_from_another_root_does_not_verify_for_this_statement() -> None:
    mixed = dataclasses.replace(proof(3), primary=proof(2).primary)
    with pytest.raises(SnarkError):
        verify(keys(), mixed)


# Encoding


def test_round_trip_and_exact_size() -> None:
    blob = encode_proof(proof())
    assert len(blob) == encoded_size(keys(), b=3)
    assert len(blob) <= max_encoded_size(keys()) <= MAX_PROOF_BYTES
    decoded = decode_proof(blob, keys())
    assert encode_proof(decoded) == blob
    assert verify(keys(), decoded) == proof().statement


def test_proof_file_round_trip() -> None:
    data = encode_proof_file(step().key, proof())
    seen: list[str] = []

    def keys_for(circuit: str) -> SnarkKeys:
        seen.append(circuit)
        return keys()

    decoded = decode_proof_file(data, keys_for)
    assert seen == [step().key] and decoded.circuit == step().key
    assert encode_proof(decoded.proof) == encode_proof(proof())


def _blob_map() -> dict[str, Any]:
    value: dict[str, Any] = cbor2.loads(encode_proof(proof()))
    return value


def _reencode(value: dict[str, Any]) -> bytes:
    return cbor2.dumps(value, canonical=True)


def test_truncated_and_oversize_input_is_rejected() -> None:
    """Input longer than the keys allow is refused before parsing; anything cut short or
    followed by more bytes is not one CBOR item."""
    blob = encode_proof(proof())
    for cut in (1, 100, len(blob) // 2, len(blob) - 1):
        with pytest.raises(ProofMalformedCborError):
            decode_proof(blob[:cut], keys())
    with pytest.raises(ProofMalformedCborError):
        decode_proof(blob + b"\x00", keys())
    with pytest.raises(ProofOversizeError):
        decode_proof(blob + bytes(max_encoded_size(keys())), keys())


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda m: m.update(t=m.pop("T")), ProofUnknownFieldError),
        (lambda m: m["P"].update(L=m["P"]["L"][:-32]), ProofWrongLengthError),
        (lambda m: m["S"].update(outer=m["S"]["outer"][32:]), ProofWrongLengthError),
        (lambda m: m["P"].update(a=b"\xff" * 32), ProofNonCanonicalScalarError),
        (lambda m: m["U1"].update(W=b"\xff" * 32), ProofInvalidPointError),
        (lambda m: m.update(a=1), ProofRangeError),
        (lambda m: m.update(b=0), ProofRangeError),
    ],
    ids=["unknown key", "short L", "short outer", "scalar >= p", "bad point", "a != 0", "N = 0"],
)
def test_field_level_faults_are_named(
    mutate: Callable[[dict[str, Any]], None], error: type[ProofDecodingError]
) -> None:
    value = _blob_map()
    mutate(value)
    with pytest.raises(error):
        decode_proof(_reencode(value), keys())


def test_statement_bytes_are_what_the_proof_states() -> None:
    value = _blob_map()
    assert value["b"] == 3 and value["za"] == (7).to_bytes(32, "little")
    assert isinstance(proof().statement, Statement)
