"""The IPA evaluation proof: the kernel's generator fold against the pure-Python curve, the
verifier's closed forms against step-by-step folding, completeness on both curves, and the
rejection of every tampered part."""

from __future__ import annotations

import dataclasses
import random

import pytest

from crypto import group
from crypto.errors import (
    EvaluationProofError,
    FieldMismatchError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
)
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import CommitmentKey, commitment_key
from crypto.group import CurvePoint
from crypto.reference import curve as ref
from crypto.snark.ipa import (
    EvaluationProof,
    folded_eq,
    prove_eval,
    tensor_table,
    value_generator,
    verify_eval,
)
from crypto.snark.multilinear import eq_table, evaluate
from crypto.snark.transcript import SnarkTranscript

FIELDS = [FR, FQ]
IDS = ["bn254", "grumpkin"]
REFERENCE = {"BN254-G1": ref.BN254_G1, "Grumpkin": ref.GRUMPKIN}
LABEL = b"test/ipa"
KEY_LENGTH = 64


def affine(point: CurvePoint) -> ref.Point:
    if point.x is None or point.y is None:
        return None
    return (point.x, point.y)


def key_for(field: PrimeField) -> CommitmentKey:
    return commitment_key(field, KEY_LENGTH)


@dataclasses.dataclass(frozen=True)
class Claim:
    key: CommitmentKey
    comm: CurvePoint
    point: list[int]
    value: int
    proof: EvaluationProof

    def verify(self, **changes: object) -> None:
        """Verifies the claim with some of its parts replaced."""
        parts: dict[str, object] = {
            "key": self.key,
            "transcript": SnarkTranscript(LABEL),
            "comm": self.comm,
            "point": self.point,
            "value": self.value,
            "proof": self.proof,
        }
        parts.update(changes)
        verify_eval(**parts)  # type: ignore[arg-type]


def make_claim(field: PrimeField, k: int, seed: int) -> Claim:
    rng = random.Random(seed)
    key = key_for(field)
    poly = field.random(1 << k, seed=seed)
    point = [rng.randrange(field.modulus) for _ in range(k)]
    value = evaluate(field, poly, point)
    comm = key.commit(poly)
    proof = prove_eval(key, SnarkTranscript(LABEL), comm, poly, point, value)
    return Claim(key, comm, point, value, proof)


@pytest.fixture(scope="module", params=FIELDS, ids=IDS)
def claim(request: pytest.FixtureRequest) -> Claim:
    return make_claim(request.param, 4, seed=7)


# The kernel's generator fold


@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_fold_agrees_with_the_reference_curve(field: PrimeField) -> None:
    """G_lo + (x0 + x1·λ)·G_hi, the kernel's endomorphism included, on the pure-Python curve."""
    curve = key_for(field).curve
    reference = REFERENCE[curve.name]
    bases = curve.derive_generators(b"test/ipa/fold", 8)
    points = [affine(p) for p in bases]
    rng = random.Random(1)
    top = (1 << 64) - 1
    for x0, x1 in [(0, 0), (1, 0), (0, 1), (top, top), (rng.randrange(top), rng.randrange(top))]:
        x = (x0 + x1 * curve.endomorphism_scalar) % curve.order
        folded = curve.fold_generators(bases, x0, x1)
        expected = [
            ref.add(reference, points[i], ref.mul(reference, points[i + 4], x)) for i in range(4)
        ]
        assert [affine(p) for p in folded] == expected


@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_the_endomorphism_scalar_is_a_cube_root_of_unity(field: PrimeField) -> None:
    curve = key_for(field).curve
    lam = curve.endomorphism_scalar
    assert lam != 1
    assert pow(lam, 3, curve.order) == 1


@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_fold_refuses_odd_lengths_and_wide_halves(field: PrimeField) -> None:
    curve = key_for(field).curve
    bases = curve.derive_generators(b"test/ipa/fold", 3)
    with pytest.raises(ShapeMismatchError, match="even length"):
        curve.fold_generators(bases, 2, 0)
    with pytest.raises(OverflowError):
        curve.fold_generators(bases[:2], 1 << 64, 0)
    with pytest.raises(OverflowError):
        curve.fold_generators(bases[:2], 0, -1)


# The verifier's closed forms


@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_closed_forms_match_folding_step_by_step(field: PrimeField) -> None:
    """b_final and the final generator ⟨s, G⟩ equal the prover's round-by-round folds."""
    p = field.modulus
    curve = key_for(field).curve
    reference = REFERENCE[curve.name]
    rng = random.Random(3)
    k = 3
    point = [rng.randrange(p) for _ in range(k)]
    xs = [rng.randrange(p) for _ in range(k)]
    bases = [affine(q) for q in curve.derive_generators(b"test/ipa/closed", 1 << k)]
    b = field.to_ints(eq_table(field, point))
    g = list(bases)
    for x in xs:
        half = len(b) // 2
        b = [(lo + x * hi) % p for lo, hi in zip(b[:half], b[half:], strict=True)]
        g = [
            ref.add(reference, lo, ref.mul(reference, hi, x))
            for lo, hi in zip(g[:half], g[half:], strict=True)
        ]
    assert folded_eq(field, point, xs) == b[0]
    scale = rng.randrange(p)
    s = field.to_ints(tensor_table(field, scale, xs))
    for i, s_i in enumerate(s):
        bits = [(i >> (k - 1 - j)) & 1 for j in range(k)]
        expected = scale
        for x, bit in zip(xs, bits, strict=True):
            expected = expected * (x if bit else 1) % p
        assert s_i == expected
    assert ref.msm(reference, bases, s) == ref.mul(reference, g[0], scale)


# Completeness


@pytest.mark.parametrize("k", range(7))
@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_honest_proofs_verify(field: PrimeField, k: int) -> None:
    claim = make_claim(field, k, seed=100 + k)
    claim.verify()
    assert len(claim.proof.L) == len(claim.proof.R) == k
    assert claim.proof.size_bytes() == 32 * (2 * k + 1)


def test_a_key_longer_than_the_polynomial_commits_it_alike() -> None:
    """The proof uses the key's prefix, so any key at least as long verifies it."""
    claim = make_claim(FR, 3, seed=5)
    claim.verify(key=commitment_key(FR, 8))


@pytest.mark.parametrize("field", FIELDS, ids=IDS)
def test_a_key_with_a_fixed_base_table_verifies_alike(field: PrimeField) -> None:
    """The verifier's MSM goes through the key's table when it has one: same verdicts."""
    claim = make_claim(field, 5, seed=9)
    tabled = CommitmentKey(field, claim.key.bases)
    tabled.precompute()
    claim.verify(key=tabled)
    with pytest.raises(EvaluationProofError, match="does not verify"):
        claim.verify(key=tabled, proof=dataclasses.replace(claim.proof, a=claim.proof.a + 1))


# Rejections


def tampered(point: CurvePoint) -> CurvePoint:
    return point + point.double()


@pytest.mark.parametrize("side", ["L", "R"])
def test_every_round_point_is_bound(claim: Claim, side: str) -> None:
    points = getattr(claim.proof, side)
    for j in range(len(points)):
        changed = (*points[:j], tampered(points[j]), *points[j + 1 :])
        proof = dataclasses.replace(claim.proof, **{side: changed})
        with pytest.raises(EvaluationProofError, match="does not verify"):
            claim.verify(proof=proof)


def test_swapped_l_and_r_are_rejected(claim: Claim) -> None:
    proof = EvaluationProof(L=claim.proof.R, R=claim.proof.L, a=claim.proof.a)
    with pytest.raises(EvaluationProofError):
        claim.verify(proof=proof)


def test_the_final_scalar_is_bound(claim: Claim) -> None:
    p = claim.key.field.modulus
    for a in [(claim.proof.a + 1) % p, (claim.proof.a - 1) % p, 0]:
        with pytest.raises(EvaluationProofError):
            claim.verify(proof=dataclasses.replace(claim.proof, a=a))


def test_the_value_is_bound(claim: Claim) -> None:
    p = claim.key.field.modulus
    for value in [(claim.value + 1) % p, (claim.value - 1) % p]:
        with pytest.raises(EvaluationProofError):
            claim.verify(value=value)


def test_the_point_is_bound(claim: Claim) -> None:
    p = claim.key.field.modulus
    for j in range(len(claim.point)):
        point = list(claim.point)
        point[j] = (point[j] + 1) % p
        with pytest.raises(EvaluationProofError):
            claim.verify(point=point)


def test_the_commitment_is_bound(claim: Claim) -> None:
    curve = claim.key.curve
    for comm in [tampered(claim.comm), claim.comm + curve.generator(), curve.identity()]:
        with pytest.raises(EvaluationProofError):
            claim.verify(comm=comm)


def test_a_value_hidden_in_the_commitment_is_rejected(claim: Claim) -> None:
    """comm + δ·U claimed with value − δ: what the challenge w on U is there to stop."""
    p = claim.key.field.modulus
    u = value_generator(claim.key.curve)
    with pytest.raises(EvaluationProofError):
        claim.verify(comm=claim.comm + u * 5, value=(claim.value - 5) % p)


def test_the_transcript_is_bound(claim: Claim) -> None:
    with pytest.raises(EvaluationProofError):
        claim.verify(transcript=SnarkTranscript(b"test/ipa/other"))
    earlier = SnarkTranscript(LABEL)
    earlier.absorb_bytes(b"earlier", b"a message the prover did not see")
    with pytest.raises(EvaluationProofError):
        claim.verify(transcript=earlier)


def test_a_proof_for_another_polynomial_is_rejected(claim: Claim) -> None:
    other = make_claim(claim.key.field, 4, seed=8)
    with pytest.raises(EvaluationProofError):
        claim.verify(proof=other.proof)


def test_round_count_must_match_the_variables(claim: Claim) -> None:
    short = dataclasses.replace(claim.proof, L=claim.proof.L[:-1], R=claim.proof.R[:-1])
    with pytest.raises(ShapeMismatchError, match="4 L and 4 R"):
        claim.verify(proof=short)
    lopsided = dataclasses.replace(claim.proof, R=claim.proof.R[:-1])
    with pytest.raises(ShapeMismatchError):
        claim.verify(proof=lopsided)
    with pytest.raises(ShapeMismatchError):
        claim.verify(point=claim.point[:-1])


def test_non_canonical_final_scalar_is_refused(claim: Claim) -> None:
    p = claim.key.field.modulus
    for a in [p, claim.proof.a + p, -1]:
        with pytest.raises(NonCanonicalEncodingError):
            claim.verify(proof=dataclasses.replace(claim.proof, a=a))
    with pytest.raises(NonCanonicalEncodingError):
        claim.verify(point=[claim.point[0] + p, *claim.point[1:]])


def test_points_of_the_other_curve_are_refused(claim: Claim) -> None:
    other_curve = group.Grumpkin if claim.key.curve is group.G1 else group.G1
    foreign = other_curve.generator()
    with pytest.raises(FieldMismatchError, match="the commitment"):
        claim.verify(comm=foreign)
    proof = dataclasses.replace(claim.proof, R=(foreign, *claim.proof.R[1:]))
    with pytest.raises(FieldMismatchError, match=r"R\[0\]"):
        claim.verify(proof=proof)


def test_the_other_curves_key_is_refused(claim: Claim) -> None:
    other_field = FQ if claim.key.field is FR else FR
    with pytest.raises(FieldMismatchError):
        claim.verify(key=key_for(other_field))


def test_a_key_shorter_than_the_polynomial_is_refused() -> None:
    claim = make_claim(FR, 4, seed=9)
    with pytest.raises(ShapeMismatchError, match="at most 8"):
        claim.verify(key=commitment_key(FR, 8))


def test_the_prover_refuses_inconsistent_inputs() -> None:
    key = key_for(FR)
    poly = FR.random(8, seed=1)
    point = [3, 5, 7]
    value = evaluate(FR, poly, point)
    comm = key.commit(poly)
    with pytest.raises(ShapeMismatchError, match="has 4 values, got 8"):
        prove_eval(key, SnarkTranscript(LABEL), comm, poly, point[:2], value)
    with pytest.raises(ShapeMismatchError, match="at most 4"):
        prove_eval(commitment_key(FR, 4), SnarkTranscript(LABEL), comm, poly, point, value)
    with pytest.raises(EvaluationProofError, match="not the polynomial's value"):
        prove_eval(key, SnarkTranscript(LABEL), comm, poly, point, value + 1)
    with pytest.raises(FieldMismatchError):
        prove_eval(key_for(FQ), SnarkTranscript(LABEL), comm, FQ.random(8, seed=1), point, 0)
