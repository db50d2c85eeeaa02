"""Relaxed instances for the SNARK tests, and a test-only opening argument.

``RevealingOpening`` opens a commitment by revealing the whole committed vector: the verifier
recommits it and evaluates it. It is sound (the commitment binds) but not succinct, which makes
it an independent check of what Spartan asks the real argument (``crypto.snark.ipa``) to prove.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from crypto.circuit import ConstraintSystem, R1CSShape, ShapeRecorder
from crypto.circuit.synthesis import compact_from_ints
from crypto.circuit.system import SatisfactionChecker
from crypto.errors import EvaluationProofError
from crypto.field import PrimeField, Vector
from crypto.folding import nifs
from crypto.folding.commitment import CommitmentKey
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness
from crypto.group import CurvePoint
from crypto.snark.multilinear import evaluate
from crypto.snark.transcript import SnarkTranscript
from crypto.witness import CompactVector
from tests.folding_samples import Sample


@dataclass(frozen=True)
class RevealedVector:
    """The committed vector itself, as ints."""

    values: tuple[int, ...]


class RevealingOpening:
    """Proves ṽ(point) = value by revealing v (absorbing comm, point and value first)."""

    def prove_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        poly: Vector,
        point: Sequence[int],
        value: int,
    ) -> RevealedVector:
        _absorb(key.field, transcript, comm, point, value)
        return RevealedVector(tuple(key.field.to_ints(poly)))

    def verify_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        point: Sequence[int],
        value: int,
        proof: RevealedVector,
    ) -> None:
        field = key.field
        _absorb(field, transcript, comm, point, value)
        if len(proof.values) != 1 << len(point):
            raise EvaluationProofError("the revealed vector does not have 2^len(point) values")
        poly = field.from_ints(proof.values)
        if key.commit(poly) != comm:
            raise EvaluationProofError("the revealed vector is not the committed one")
        if evaluate(field, poly, point) != value:
            raise EvaluationProofError("the revealed vector does not take the claimed value")


def _absorb(
    field: PrimeField,
    transcript: SnarkTranscript,
    comm: CurvePoint,
    point: Sequence[int],
    value: int,
) -> None:
    transcript.absorb_point(b"comm", comm)
    transcript.absorb_scalars(b"point", field, point)
    transcript.absorb_scalar(b"value", field, value)


def folded(sample: Sample, rng: random.Random) -> tuple[RelaxedInstance, RelaxedWitness]:
    """A running instance: two fresh ones folded, then a third folded in (u ≠ 1, E ≠ 0)."""
    U, W = sample.fresh(rng)
    for _ in range(2):
        U2, W2 = sample.fresh(rng)
        U, W, _ = nifs.prove(sample.shape, U, W, U2, W2)
    return U, W


def _few_variables(cs: ConstraintSystem, inputs: Sequence[int | None]) -> None:
    """x² = sq, stated in 20 scaled copies: many constraints over two private values."""
    x = cs.alloc_input(inputs[0], "x")
    sq = cs.alloc(lambda: cs.value(x * 1) ** 2 % cs.modulus, "sq")
    for i in range(1, 21):
        cs.enforce(x * i, x * 1, sq * i, f"square{i}")


def few_variables_sample(field: PrimeField) -> Sample:
    """A shape with far more constraints than witness values (the SNARK pads E beyond W)."""
    recorder = ShapeRecorder(field)
    _few_variables(recorder, [None])
    shape = R1CSShape.from_recorder(recorder)

    def draw(rng: random.Random) -> tuple[list[int], CompactVector]:
        checker = SatisfactionChecker(field)
        _few_variables(checker, [rng.randrange(field.modulus)])
        assignment = checker.assignment()
        return assignment.public, compact_from_ints(field, assignment.private)

    return Sample(f"few-variables-{field.name}", shape, draw)
