"""Commitment keys and relaxed R1CS: fresh instances satisfy, tampering is named."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from crypto.errors import (
    CommitmentMismatchError,
    FieldMismatchError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
    UnsatisfiedConstraintError,
    UnsatisfiedRelaxedConstraintError,
)
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import COMMITMENT_LABEL, commitment_key, curve_for
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness, check, key_for
from crypto.group import G1, Curve, CurvePoint, Grumpkin
from crypto.witness import CompactVector
from tests.folding_samples import Sample, builtin_sample, random_sample, recorded_sample

SAMPLES = {
    "cubic": lambda: builtin_sample("builtin:cubic?log2=5"),
    "cubic-Fq": lambda: recorded_sample("builtin:cubic?log2=5", FQ),
    "minroot": lambda: builtin_sample("builtin:minroot?iterations=4"),
    "random-Fr": lambda: random_sample(FR, 1, 3, 40),
    "random-Fq": lambda: random_sample(FQ, 2, 2, 40),
}


@pytest.fixture(params=sorted(SAMPLES), scope="module")
def sample(request: pytest.FixtureRequest) -> Sample:
    built: Sample = SAMPLES[request.param]()
    return built


def bump(field: PrimeField, vec: np.ndarray, index: int) -> np.ndarray:
    """A copy of `vec` with element `index` increased by one."""
    values = field.to_ints(vec)
    values[index] = (values[index] + 1) % field.modulus
    return field.from_ints(values)


# Commitment keys


@pytest.mark.parametrize("curve", [G1, Grumpkin], ids=lambda c: c.name)
def test_derived_generators_have_the_prefix_property(curve: Curve[CurvePoint]) -> None:
    short = curve.derive_generators(COMMITMENT_LABEL, 7)
    long = curve.derive_generators(COMMITMENT_LABEL, 19)
    assert list(short) == list(long)[:7]


@pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
def test_commitment_key_is_cached_and_a_prefix_of_longer_keys(field: PrimeField) -> None:
    long = commitment_key(field, 33)
    short = commitment_key(field, 12)
    assert commitment_key(field, 33) is long
    assert list(short.bases) == list(long.bases)[:12]
    assert list(long.bases) == list(curve_for(field).derive_generators(COMMITMENT_LABEL, 33))


@pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
def test_commit_is_the_sum_of_scaled_generators(field: PrimeField) -> None:
    key = commitment_key(field, 16)
    ints = [0, 1, field.modulus - 1, 5, 0, 12345678901234567890, 1, field.modulus - 2, 3]
    expected = curve_for(field).identity()
    for value, base in zip(ints, key.bases, strict=False):
        expected = expected + value * base
    dense = field.from_ints(ints)
    assert key.commit(dense) == expected
    assert key.commit_compact(CompactVector.from_dense(field, dense)) == expected


def test_commitment_rejects_a_vector_longer_than_the_key() -> None:
    with pytest.raises(ShapeMismatchError, match="at least 5"):
        commitment_key(FR, 4).commit(FR.zeros(5))


def test_commitment_rejects_a_vector_of_the_other_field() -> None:
    with pytest.raises(FieldMismatchError):
        commitment_key(FR, 4).commit_compact(CompactVector.from_dense(FQ, FQ.zeros(3)))


# Relaxed R1CS


def test_fresh_instances_satisfy(sample: Sample) -> None:
    rng = random.Random(3)
    for _ in range(2):
        instance, witness = sample.fresh(rng)
        assert instance.u == 1 and instance.comm_E.is_identity()
        check(sample.shape, instance, witness)


def test_tampered_W_names_the_first_failing_constraint() -> None:
    sample = builtin_sample("builtin:cubic?log2=5")
    instance, witness = sample.fresh(random.Random(4))
    dense = bump(FR, witness.dense_W(), 6)  # x² of iteration 3
    with pytest.raises(UnsatisfiedRelaxedConstraintError) as raised:
        check(sample.shape, instance, RelaxedWitness(dense, witness.E))
    assert raised.value.index == 6 and raised.value.name == "iteration3/square"
    assert isinstance(raised.value, UnsatisfiedConstraintError)


def test_tampered_E_names_its_constraint_and_namespace(sample: Sample) -> None:
    instance, witness = sample.fresh(random.Random(5))
    k = sample.shape.n_constraints - 2
    with pytest.raises(UnsatisfiedRelaxedConstraintError) as raised:
        check(
            sample.shape,
            instance,
            RelaxedWitness(witness.W, bump(sample.shape.field, witness.E, k)),
        )
    assert raised.value.index == k and raised.value.name == sample.shape.name_of(k)
    assert str(k) in str(raised.value)


def test_tampered_u_or_X_is_unsatisfied(sample: Sample) -> None:
    instance, witness = sample.fresh(random.Random(6))
    p = sample.shape.field.modulus
    for changed in (
        dataclasses.replace(instance, u=2),
        dataclasses.replace(instance, X=((instance.X[0] + 1) % p, *instance.X[1:])),
    ):
        with pytest.raises(UnsatisfiedRelaxedConstraintError):
            check(sample.shape, changed, witness)


def test_tampered_commitments_are_named(sample: Sample) -> None:
    instance, witness = sample.fresh(random.Random(7))
    g = curve_for(sample.shape.field).generator()
    with pytest.raises(CommitmentMismatchError, match="comm_W"):
        check(sample.shape, dataclasses.replace(instance, comm_W=instance.comm_W + g), witness)
    with pytest.raises(CommitmentMismatchError, match="comm_E"):
        check(sample.shape, dataclasses.replace(instance, comm_E=g), witness)


def test_a_nonzero_E_must_match_comm_E() -> None:
    sample = random_sample(FQ, 3, 2, 20)
    instance, witness = sample.fresh(random.Random(8))
    # E' = E + e_k with u' = u makes constraint k fail, so shift u·C·z instead: u = 2, E = -C·z.
    shape = sample.shape
    key = key_for(shape)
    z = np.concatenate([FQ.from_ints([2, *instance.X]), witness.dense_W()])
    E = FQ.sub(FQ.mul(shape.A.matvec(z), shape.B.matvec(z)), FQ.scale(shape.C.matvec(z), 2))
    relaxed = RelaxedInstance(instance.comm_W, key.commit(E), 2, instance.X)
    # z with u = 2 is a different z: it satisfies only if E absorbs the difference, as built.
    check(shape, relaxed, RelaxedWitness(witness.W, E))
    with pytest.raises(CommitmentMismatchError, match="comm_E"):
        check(
            shape,
            dataclasses.replace(relaxed, comm_E=instance.comm_E),
            RelaxedWitness(witness.W, E),
        )


def test_malformed_instances_and_witnesses_are_rejected() -> None:
    sample = random_sample(FR, 4, 2, 10)
    shape = sample.shape
    instance, witness = sample.fresh(random.Random(9))
    with pytest.raises(ShapeMismatchError, match="X has"):
        check(shape, dataclasses.replace(instance, X=instance.X[:1]), witness)
    with pytest.raises(NonCanonicalEncodingError, match="u"):
        check(shape, dataclasses.replace(instance, u=FR.modulus + 1), witness)
    with pytest.raises(FieldMismatchError, match="comm_W"):
        check(shape, dataclasses.replace(instance, comm_W=Grumpkin.generator()), witness)
    with pytest.raises(ShapeMismatchError, match="E has"):
        check(shape, instance, RelaxedWitness(witness.W, FR.zeros(3)))
    with pytest.raises(ShapeMismatchError, match="W has"):
        check(shape, instance, RelaxedWitness(FR.zeros(3), witness.E))
    with pytest.raises(FieldMismatchError, match="W is in Fq"):
        check(shape, instance, RelaxedWitness(CompactVector.from_dense(FQ, FQ.zeros(3)), witness.E))


def test_instance_equality_names_the_differing_component() -> None:
    sample = random_sample(FR, 5, 2, 10)
    instance, _ = sample.fresh(random.Random(10))
    assert instance == dataclasses.replace(instance)
    assert instance.first_difference(dataclasses.replace(instance, u=3)) == "u"
    assert (
        instance.first_difference(dataclasses.replace(instance, comm_E=G1.generator())) == "comm_E"
    )
    assert instance.first_difference(dataclasses.replace(instance, X=(0, 0))) == "X"


def test_a_key_that_does_not_fit_the_shape_is_refused() -> None:
    sample = random_sample(FR, 6, 2, 10)
    instance, witness = sample.fresh(random.Random(11))
    with pytest.raises(FieldMismatchError, match="Fq key"):
        check(sample.shape, instance, witness, commitment_key(FQ, 64))
    with pytest.raises(ShapeMismatchError, match="generators"):
        check(sample.shape, instance, witness, commitment_key(FR, 3))
    check(sample.shape, instance, witness, commitment_key(FR, 64))
