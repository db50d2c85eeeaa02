"""Spartan over relaxed R1CS: complete on running and fresh instances of shapes of several
paddings, and every altered part of a proof, of its instance or of its key is rejected.

Each case runs with two openings: the IPA (``crypto.snark.ipa``) and the test-only
``RevealingOpening`` (reveals the vector; the verifier recommits and evaluates it), which pins
what Spartan asks of the real argument independently of it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest

from crypto.errors import (
    EvaluationProofError,
    FieldMismatchError,
    ShapeMismatchError,
    SnarkError,
    SumcheckError,
)
from crypto.field import FQ, FR, PrimeField, Vector
from crypto.folding.commitment import CommitmentKey, commitment_key
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness, check, key_for
from crypto.snark import ipa, spartan
from crypto.snark.spartan import SpartanKey, SpartanProof
from crypto.snark.transcript import SnarkTranscript
from tests.folding_samples import Sample, builtin_sample, random_sample
from tests.snark_samples import RevealedVector, RevealingOpening, few_variables_sample, folded

LABEL = b"test/spartan"
OPENINGS: dict[str, spartan.EvaluationArgument[Any]] = {
    "ipa": ipa,
    "revealing": RevealingOpening(),
}

SAMPLES: dict[str, Callable[[], Sample]] = {
    # 30 constraints and 30 witness values over 3 inputs: both padded to 2^5.
    "random-Fr": lambda: random_sample(FR, 11, 3, 30),
    "random-Fq": lambda: random_sample(FQ, 12, 2, 13),
    # 2 witness values but 1 + 6 public ones: W is padded to 2^3 to hold (u, X).
    "wide-public-Fr": lambda: random_sample(FR, 13, 6, 2),
    # 20 constraints over 1 witness value: E is longer than W.
    "few-variables-Fq": lambda: few_variables_sample(FQ),
    "cubic": lambda: builtin_sample("builtin:cubic?log2=4"),
}


@dataclasses.dataclass(frozen=True)
class Proved:
    sample: Sample
    key: SpartanKey
    ck: CommitmentKey
    instance: RelaxedInstance
    witness: RelaxedWitness
    opening: spartan.EvaluationArgument[Any]
    proof: SpartanProof[Any]

    def prove(self, U: RelaxedInstance, W: RelaxedWitness) -> SpartanProof[Any]:
        return spartan.prove(self.key, self.ck, U, W, SnarkTranscript(LABEL), self.opening)


def _verify(proved: Proved, **changes: object) -> None:
    parts = {"key": proved.key, "ck": proved.ck, "instance": proved.instance}
    parts.update(changes)
    proof = parts.pop("proof", proved.proof)
    spartan.verify(
        parts["key"], parts["ck"], parts["instance"], proof, SnarkTranscript(LABEL), proved.opening
    )


def _proved(sample: Sample, seed: int, opening: str = "ipa") -> Proved:
    key = SpartanKey.of(sample.shape)
    ck = commitment_key(sample.shape.field, key.opening_length)
    U, W = folded(sample, random.Random(seed))
    check(sample.shape, U, W)
    pcs = OPENINGS[opening]
    proof = spartan.prove(key, ck, U, W, SnarkTranscript(LABEL), pcs)
    return Proved(sample, key, ck, U, W, pcs, proof)


@pytest.fixture(params=sorted(OPENINGS), scope="module")
def opening(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=sorted(SAMPLES), scope="module")
def proved(request: pytest.FixtureRequest, opening: str) -> Proved:
    return _proved(SAMPLES[request.param](), 1, opening)


def test_running_instance_proves_and_verifies(proved):
    assert proved.instance.u != 1 and proved.witness.E.any()
    prover, verifier = SnarkTranscript(LABEL), SnarkTranscript(LABEL)
    U, W, pcs = proved.instance, proved.witness, proved.opening
    proof = spartan.prove(proved.key, proved.ck, U, W, prover, pcs)
    spartan.verify(proved.key, proved.ck, U, proof, verifier, pcs)
    # Both sides end in one transcript state, so a caller can go on with it.
    assert prover.challenge(b"next", FR) == verifier.challenge(b"next", FR)
    key = proved.key
    assert len(proof.outer_rounds) == key.log_rows
    assert len(proof.inner_rounds) == key.log_witness + 1
    assert len(proof.batch_rounds) == key.log_opening


def test_fresh_instance_proves_and_verifies(proved):
    U, W = proved.sample.fresh(random.Random(2))
    assert U.u == 1 and not W.E.any() and U.comm_E.is_identity()
    _verify(proved, instance=U, proof=proved.prove(U, W))


def test_a_longer_commitment_key_opens_with_its_prefix(proved):
    longer = commitment_key(proved.key.field, 2 * proved.key.opening_length + 1)
    U, W = proved.instance, proved.witness
    proof = spartan.prove(proved.key, longer, U, W, SnarkTranscript(LABEL), proved.opening)
    _verify(proved, ck=longer, proof=proof)


def test_key_is_deterministic_and_names_its_shape():
    sample = SAMPLES["wide-public-Fr"]()
    key = SpartanKey.of(sample.shape)
    assert (key.log_rows, key.log_witness, key.opening_length) == (1, 3, 8)
    assert SpartanKey.of(sample.shape).digest == key.digest
    other = random_sample(FR, 14, 6, 2).shape
    assert SpartanKey.of(other).digest != key.digest


def _bump(field: PrimeField, value: int) -> int:
    return (value + 1) % field.modulus


def test_unsatisfying_witness_does_not_verify(opening):
    proved = _proved(SAMPLES["random-Fr"](), 3, opening)
    field = proved.key.field
    ck_W = key_for(proved.sample.shape)

    def bumped(vector: Vector) -> Vector:
        values = field.to_ints(vector)
        values[0] = _bump(field, values[0])
        return field.from_ints(values)

    W = bumped(proved.witness.dense_W())
    U = dataclasses.replace(proved.instance, comm_W=ck_W.commit(W))
    proof = proved.prove(U, RelaxedWitness(W, proved.witness.E))
    with pytest.raises(SumcheckError):
        _verify(proved, instance=U, proof=proof)
    E = bumped(proved.witness.E)
    U = dataclasses.replace(proved.instance, comm_E=ck_W.commit(E))
    proof = proved.prove(U, RelaxedWitness(proved.witness.W, E))
    with pytest.raises(SumcheckError):
        _verify(proved, instance=U, proof=proof)


TAMPERED = ["random-Fr", "few-variables-Fq"]


@pytest.fixture(params=TAMPERED, scope="module")
def tampered(request: pytest.FixtureRequest, opening: str) -> Proved:
    return _proved(SAMPLES[request.param](), 4, opening)


@pytest.mark.parametrize("rounds", ["outer_rounds", "inner_rounds", "batch_rounds"])
def test_every_altered_round_value_is_rejected(tampered, rounds):
    messages = getattr(tampered.proof, rounds)
    field = tampered.key.field
    for j, message in enumerate(messages):
        for k in range(len(message)):
            altered = list(messages)
            altered[j] = (*message[:k], _bump(field, message[k]), *message[k + 1 :])
            proof = dataclasses.replace(tampered.proof, **{rounds: tuple(altered)})
            with pytest.raises(SumcheckError):
                _verify(tampered, proof=proof)


@pytest.mark.parametrize("rounds", ["outer_rounds", "inner_rounds", "batch_rounds"])
def test_truncated_or_extended_rounds_are_rejected(tampered, rounds):
    messages = getattr(tampered.proof, rounds)
    for changed in (messages[:-1], (*messages, messages[-1])):
        proof = dataclasses.replace(tampered.proof, **{rounds: changed})
        with pytest.raises(SumcheckError, match="rounds"):
            _verify(tampered, proof=proof)


@pytest.mark.parametrize("claim", ["az", "bz", "cz", "e_rx", "w_ry", "w_rz", "e_rz"])
def test_every_altered_claim_is_rejected(tampered, claim):
    field = tampered.key.field
    proof = dataclasses.replace(
        tampered.proof, **{claim: _bump(field, getattr(tampered.proof, claim))}
    )
    with pytest.raises(SumcheckError):
        _verify(tampered, proof=proof)
    proof = dataclasses.replace(tampered.proof, **{claim: field.modulus})
    with pytest.raises(SnarkError, match=claim):
        _verify(tampered, proof=proof)


def _altered_openings(proved: Proved) -> list[object]:
    opening = proved.proof.opening
    field = proved.key.field
    if isinstance(opening, RevealedVector):
        return [RevealedVector((_bump(field, opening.values[0]), *opening.values[1:]))]
    assert isinstance(opening, ipa.EvaluationProof)
    generator = proved.ck.curve.generator()
    return [
        dataclasses.replace(opening, a=_bump(field, opening.a)),
        dataclasses.replace(opening, L=(opening.L[0] + generator, *opening.L[1:])),
        dataclasses.replace(opening, R=(*opening.R[:-1], opening.R[-1] + generator)),
    ]


def test_altered_opening_is_rejected(tampered):
    for altered in _altered_openings(tampered):
        proof = dataclasses.replace(tampered.proof, opening=altered)
        with pytest.raises(EvaluationProofError):
            _verify(tampered, proof=proof)


def test_altered_instance_is_rejected(tampered):
    U = tampered.instance
    field = tampered.key.field
    generator = tampered.ck.curve.generator()
    for changes in (
        {"u": _bump(field, U.u)},
        {"X": (_bump(field, U.X[0]), *U.X[1:])},
        {"comm_W": U.comm_W + generator},
        {"comm_E": U.comm_E + generator},
    ):
        with pytest.raises(SumcheckError):
            _verify(tampered, instance=dataclasses.replace(U, **changes))


def test_key_of_another_shape_is_rejected(opening):
    proved = _proved(SAMPLES["random-Fr"](), 5, opening)
    other = SpartanKey.of(random_sample(FR, 99, 3, 30).shape)
    assert (other.log_rows, other.log_witness) == (proved.key.log_rows, proved.key.log_witness)
    with pytest.raises(SumcheckError):
        _verify(proved, key=other)
    smaller = SpartanKey.of(random_sample(FR, 11, 3, 20).shape)
    with pytest.raises(SnarkError):
        _verify(proved, key=smaller)


def test_malformed_sizes_are_rejected():
    proved = _proved(SAMPLES["random-Fr"](), 6)
    U = proved.instance
    with pytest.raises(ShapeMismatchError):
        _verify(proved, instance=dataclasses.replace(U, X=U.X[:-1]))
    with pytest.raises(ShapeMismatchError):
        _verify(proved, ck=commitment_key(FR, proved.key.opening_length - 1))
    with pytest.raises(FieldMismatchError):
        _verify(proved, ck=commitment_key(FQ, proved.key.opening_length))
    short = RelaxedWitness(proved.witness.dense_W()[:-1], proved.witness.E)
    with pytest.raises(ShapeMismatchError):
        proved.prove(U, short)
